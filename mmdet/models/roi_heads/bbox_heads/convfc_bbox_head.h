// ConvFCBBoxHead (MMDetection v2.0's roi_heads/bbox_heads/convfc_bbox_head.py, shared layers):
// shared_convs.{i} (ConvModules: conv, gn/bn), shared_fcs.{i}, fc_cls, fc_reg. With
// num_shared_convs 4 and num_shared_fcs 1 it is Shared4Conv1FCBBoxHead, the box head of
// MMDetection's GroupNorm and from-scratch configs.
#ifndef MMDET_MODELS_ROI_HEADS_BBOX_HEADS_CONVFC_BBOX_HEAD_H_
#define MMDET_MODELS_ROI_HEADS_BBOX_HEADS_CONVFC_BBOX_HEAD_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/models/layers/layers.h"
#include "mmdet/models/roi_heads/bbox_heads/bbox_head.h"
#include "mmdet/models/roi_heads/bbox_heads/convfc_bbox_head.pb.h"

namespace mmdet::models {

class ConvFCBBoxHeadImpl : public BBoxHeadImpl {
 public:
  static absl::StatusOr<std::shared_ptr<BBoxHeadImpl>> Create(const config::ConvFCBBoxHead& cfg,
                                                              const std::string& path);
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& roi_feats) override;

 private:
  explicit ConvFCBBoxHeadImpl(BBoxHeadParts parts) : BBoxHeadImpl(std::move(parts)) {}
  std::vector<std::shared_ptr<ConvModuleImpl>> convs_;
  std::vector<torch::nn::Linear> fcs_;
  torch::nn::Linear fc_cls_{nullptr}, fc_reg_{nullptr};
};

}  // namespace mmdet::models

#endif  // MMDET_MODELS_ROI_HEADS_BBOX_HEADS_CONVFC_BBOX_HEAD_H_
