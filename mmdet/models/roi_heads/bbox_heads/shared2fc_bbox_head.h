// Shared2FCBBoxHead (MMDetection v2.0's roi_heads/bbox_heads/convfc_bbox_head.py): two shared
// fully-connected layers (shared_fcs.0, shared_fcs.1), then fc_cls and fc_reg.
#ifndef MMDET_MODELS_ROI_HEADS_BBOX_HEADS_SHARED2FC_BBOX_HEAD_H_
#define MMDET_MODELS_ROI_HEADS_BBOX_HEADS_SHARED2FC_BBOX_HEAD_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "mmdet/models/roi_heads/bbox_heads/bbox_head.h"
#include "mmdet/models/roi_heads/bbox_heads/shared2fc_bbox_head.pb.h"

namespace mmdet::models {

class Shared2FCBBoxHeadImpl : public BBoxHeadImpl {
 public:
  Shared2FCBBoxHeadImpl(const config::Shared2FCBBoxHead& cfg, BBoxHeadParts parts);
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& roi_feats) override;

 protected:
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr}, fc_cls_{nullptr}, fc_reg_{nullptr};
};

// The registered factory of config::Shared2FCBBoxHead.
absl::StatusOr<std::shared_ptr<BBoxHeadImpl>> Shared2FCBBoxHeadFromConfig(
    const config::Shared2FCBBoxHead& cfg, const std::string& path);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_ROI_HEADS_BBOX_HEADS_SHARED2FC_BBOX_HEAD_H_
