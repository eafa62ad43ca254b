// RoI heads of two-stage detectors: MMDetection v2's StandardRoIHead with SingleRoIExtractor,
// Shared2FCBBoxHead and (Mask R-CNN) FCNMaskHead, parameter names as MMDetection's
// (roi_head.bbox_head.shared_fcs.0.weight, roi_head.bbox_head.fc_cls.weight,
// roi_head.mask_head.convs.0.conv.weight, roi_head.mask_head.upsample.weight, ...).
//
// Training: proposals (gts added by the sampler) are assigned and sampled per image, RoI
// features pooled from the FPN level chosen by each RoI's scale
// (floor(log2(sqrt(w h) / finest_scale + 1e-6)), clamped), and the losses are v2.0's:
// loss_cls (softmax CE averaged over sampled RoIs), acc (top-1 accuracy in percent),
// loss_bbox (class-specific deltas of the positives, averaged over all sampled RoIs),
// loss_mask (per-class mask BCE against gt masks RoIAligned to 28x28 and thresholded at 0.5).
// Testing: softmax scores, decoded class-specific boxes clipped to the image, optional
// rescale to the original image, multiclass NMS; masks pasted into the original image
// (_do_paste_mask) and binarised with mask_thr_binary.
#ifndef MMDET_MODELS_ROI_HEADS_ROI_HEAD_H_
#define MMDET_MODELS_ROI_HEADS_ROI_HEAD_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/core/registry.h"
#include "mmdet/models/model_types.h"
#include "mmdet/models/roi_heads/roi_head.pb.h"
#include "mmdet/models/train_test_cfg.pb.h"
#include "torch/nn.h"

namespace mmdet::models {

class RoIHeadImpl : public torch::nn::Module {
 public:
  virtual bool with_mask() const = 0;
  virtual int64_t num_classes() const = 0;
  // Losses for the batch; proposals[i] is [k, 4 or 5] for image i.
  virtual absl::StatusOr<LossMap> ForwardTrain(const std::vector<torch::Tensor>& feats,
                                               const std::vector<ImageMeta>& metas,
                                               const std::vector<torch::Tensor>& proposals,
                                               const GroundTruth& gt,
                                               const config::AssignConfig& cfg) = 0;
  // Test results per image (boxes, and masks with a mask head).
  virtual std::vector<ImageResult> SimpleTest(const std::vector<torch::Tensor>& feats,
                                              const std::vector<ImageMeta>& metas,
                                              const std::vector<torch::Tensor>& proposals,
                                              const config::DetectionTestConfig& cfg,
                                              bool rescale) = 0;
};

using RoIHeadRegistry = Registry<RoIHeadImpl, const std::string&>;

// SingleRoIExtractor.map_roi_levels: rois [k, 5] -> level per RoI,
// floor(log2(sqrt(w * h) / finest_scale + 1e-6)) clamped to [0, num_levels - 1].
torch::Tensor MapRoiLevels(const torch::Tensor& rois, int64_t num_levels, int64_t finest_scale);
absl::StatusOr<std::shared_ptr<RoIHeadImpl>> BuildRoIHead(const config::RoIHead& cfg,
                                                          const std::string& path);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_ROI_HEADS_ROI_HEAD_H_
