// StandardRoIHead (MMDetection v2.0's roi_heads/standard_roi_head.py), parameter names as
// MMDetection's (roi_head.bbox_head.shared_fcs.0.weight, roi_head.bbox_head.fc_cls.weight,
// roi_head.mask_head.convs.0.conv.weight, roi_head.mask_head.upsample.weight, ...).
//
// Training: proposals (gts added by the sampler) are assigned and sampled per image, RoI
// features pooled by the bbox RoI extractor, and the box head's losses computed (loss_cls,
// acc, loss_bbox); with a mask branch, the positives' features from the mask RoI extractor
// give loss_mask against the gt masks. Testing: the box head's detections per image; masks
// predicted at the detections (in the network input's frame) and pasted into the original
// image (rescale) or the resized one.
#ifndef MMDET_MODELS_ROI_HEADS_STANDARD_ROI_HEAD_H_
#define MMDET_MODELS_ROI_HEADS_STANDARD_ROI_HEAD_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/models/roi_heads/bbox_heads/bbox_head.h"
#include "mmdet/models/roi_heads/mask_heads/mask_head.h"
#include "mmdet/models/roi_heads/roi_extractors/base_roi_extractor.h"
#include "mmdet/models/roi_heads/roi_head.h"
#include "mmdet/models/roi_heads/standard_roi_head.pb.h"
#include "mmdet/models/task_modules/assigners/assigner.h"
#include "mmdet/models/task_modules/samplers/sampler.h"

namespace mmdet::models {

class StandardRoIHeadImpl : public RoIHeadImpl {
 public:
  static absl::StatusOr<std::shared_ptr<StandardRoIHeadImpl>> Create(
      const config::StandardRoIHead& cfg, const std::string& path);

  bool with_mask() const override { return mask_head_ != nullptr; }
  int64_t num_classes() const override { return bbox_head_->num_classes(); }

  absl::StatusOr<LossMap> ForwardTrain(const std::vector<torch::Tensor>& feats,
                                       const std::vector<ImageMeta>& metas,
                                       const std::vector<torch::Tensor>& proposals,
                                       const GroundTruth& gt,
                                       const config::AssignConfig& cfg) override;

  std::vector<ImageResult> SimpleTest(const std::vector<torch::Tensor>& feats,
                                      const std::vector<ImageMeta>& metas,
                                      const std::vector<torch::Tensor>& proposals,
                                      const config::DetectionTestConfig& cfg,
                                      bool rescale) override;
  void ForwardDummy(const std::vector<torch::Tensor>& feats,
                    const torch::Tensor& proposals) override;
  // MMDetection v2.0's aug_test: aug_test_bboxes (each view's box head on the proposals mapped
  // into it, merge_aug_bboxes, multiclass_nms) then aug_test_mask (each view's mask head on
  // the detections mapped into it, sigmoid, merge_aug_masks, pasted at ori_shape).
  ImageResult AugTest(const std::vector<std::vector<torch::Tensor>>& feats,
                      const std::vector<ImageMeta>& metas, const torch::Tensor& proposals,
                      const config::DetectionTestConfig& cfg, bool rescale) override;

 protected:
  StandardRoIHeadImpl() = default;
  absl::Status EnsureTrainModules(const config::AssignConfig& cfg);
  // The heads' forward at test time, under autocast in head_dtype() when that is reduced,
  // their outputs back in float32.
  std::pair<torch::Tensor, torch::Tensor> TestBBoxForward(const torch::Tensor& bbox_feats);
  torch::Tensor TestMaskForward(const torch::Tensor& mask_feats);

  std::shared_ptr<RoIExtractorImpl> bbox_roi_extractor_, mask_roi_extractor_;
  std::shared_ptr<BBoxHeadImpl> bbox_head_;
  std::shared_ptr<MaskHeadImpl> mask_head_;
  std::shared_ptr<Assigner> assigner_;
  std::shared_ptr<BBoxSampler> sampler_;
  std::string train_cfg_key_;
};

}  // namespace mmdet::models

#endif  // MMDET_MODELS_ROI_HEADS_STANDARD_ROI_HEAD_H_
