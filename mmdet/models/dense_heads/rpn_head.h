// RPNHead (MMDetection v2.0's mmdet/models/dense_heads/rpn_head.py): a shared 3x3 conv, then
// objectness (rpn_cls) and box deltas (rpn_reg) per anchor; class-agnostic, losses named
// loss_rpn_cls / loss_rpn_bbox.
#ifndef MMDET_MODELS_DENSE_HEADS_RPN_HEAD_H_
#define MMDET_MODELS_DENSE_HEADS_RPN_HEAD_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/models/dense_heads/anchor_head.h"
#include "mmdet/models/dense_heads/rpn_head.pb.h"
#include "mmdet/ops/onednn_conv.h"
#include "torch/nn/modules/conv.h"

namespace mmdet::models {

class RPNHeadImpl : public AnchorHeadImpl {
 public:
  RPNHeadImpl(AnchorHeadParts parts, int64_t in_channels, int64_t feat_channels);

  DenseOutputs forward(const std::vector<torch::Tensor>& feats) override;

 private:
  torch::nn::Conv2d rpn_conv_{nullptr}, rpn_cls_{nullptr}, rpn_reg_{nullptr};
  ops::OneDnnConv fast_[3];  // their fused inference state (layers.h: ConvSumRelu)
};

// The registered factory of config::RPNHead.
absl::StatusOr<std::shared_ptr<DenseHeadImpl>> RPNHeadFromConfig(const config::RPNHead& cfg,
                                                                 const std::string& path);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_DENSE_HEADS_RPN_HEAD_H_
