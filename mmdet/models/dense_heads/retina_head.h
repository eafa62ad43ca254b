// RetinaHead (MMDetection v2.0's mmdet/models/dense_heads/retina_head.py): stacked 3x3
// ConvModule towers for classification and regression, then retina_cls / retina_reg; sigmoid
// focal loss by default.
#ifndef MMDET_MODELS_DENSE_HEADS_RETINA_HEAD_H_
#define MMDET_MODELS_DENSE_HEADS_RETINA_HEAD_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/models/dense_heads/anchor_head.h"
#include "mmdet/models/dense_heads/retina_head.pb.h"
#include "mmdet/models/layers/layers.h"

namespace mmdet::models {

class RetinaHeadImpl : public AnchorHeadImpl {
 public:
  static absl::StatusOr<std::shared_ptr<RetinaHeadImpl>> Create(AnchorHeadParts parts,
                                                                const config::RetinaHead& cfg,
                                                                const std::string& path);
  DenseOutputs forward(const std::vector<torch::Tensor>& feats) override;

 protected:
  explicit RetinaHeadImpl(AnchorHeadParts parts) : AnchorHeadImpl(std::move(parts), "loss_") {}
  std::vector<std::shared_ptr<ConvModuleImpl>> cls_convs_, reg_convs_;
  torch::nn::Conv2d retina_cls_{nullptr}, retina_reg_{nullptr};
  ops::OneDnnConv fast_[2];  // their fused inference state (layers.h: ConvSumRelu)
};

// The registered factory of config::RetinaHead.
absl::StatusOr<std::shared_ptr<DenseHeadImpl>> RetinaHeadFromConfig(const config::RetinaHead& cfg,
                                                                    const std::string& path);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_DENSE_HEADS_RETINA_HEAD_H_
