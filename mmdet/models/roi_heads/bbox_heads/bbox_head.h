// BBoxHead (MMDetection v2.0's roi_heads/bbox_heads/bbox_head.py): the targets, losses and
// test-time boxes of a box head, public for subclassing. A subclass builds its layers and
// implements forward() (RoI features -> class scores and deltas), as ConvFCBBoxHead does;
// its factory gets the coder and losses from BuildBBoxHeadParts and registers with
//
//   MMDET_REGISTER(BBoxHeadRegistry, config::MyBBoxHead, MyBBoxHeadFromConfig);
//
// Semantics (v2.0): labels of the sampled RoIs with the background as class num_classes,
// loss_cls softmax CE averaged over the RoIs with a positive weight, acc (top-1 accuracy in
// percent), loss_bbox on the class-specific (or class-agnostic) deltas of the positives
// averaged over all sampled RoIs; testing takes softmax scores, decodes the deltas clipped to
// the image, rescales to the original image and runs multiclass NMS.
#ifndef MMDET_MODELS_ROI_HEADS_BBOX_HEADS_BBOX_HEAD_H_
#define MMDET_MODELS_ROI_HEADS_BBOX_HEADS_BBOX_HEAD_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "mmdet/core/registry.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/losses/loss.h"
#include "mmdet/models/model_types.h"
#include "mmdet/models/roi_heads/bbox_heads/bbox_head.pb.h"
#include "mmdet/models/task_modules/coders/bbox_coder.h"
#include "mmdet/models/task_modules/samplers/sampler.h"
#include "mmdet/models/train_test_cfg.pb.h"
#include "torch/nn/module.h"

namespace mmdet::models {

// What a box head is configured with besides its layers.
struct BBoxHeadParts {
  int64_t num_classes = 80;          // foreground classes
  bool reg_class_agnostic = false;   // one box per RoI instead of one per class
  int64_t roi_feat_size = 7;         // side of the pooled RoI features; 0 = any
  std::shared_ptr<BBoxCoder> coder;
  std::shared_ptr<models::Loss> loss_cls, loss_bbox;
};

class BBoxHeadImpl : public torch::nn::Module {
 public:
  // RoI features [K, C, s, s] -> class scores [K, num_classes + 1] and deltas [K, 4 * num_classes]
  // (or [K, 4] when class-agnostic).
  virtual std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& roi_feats) = 0;

  int64_t num_classes() const { return parts_.num_classes; }
  int64_t roi_feat_size() const { return parts_.roi_feat_size; }
  const BBoxCoder& coder() const { return *parts_.coder; }

  struct Targets {
    torch::Tensor labels, label_weights, bbox_targets, bbox_weights;
  };
  // get_targets: per sampled RoI (positives first, as the samplers order them).
  virtual Targets GetTargets(const std::vector<SamplingResult>& results,
                             const config::AssignConfig& cfg) const;
  // loss: loss_cls, acc, loss_bbox.
  virtual LossMap Loss(const torch::Tensor& cls_score, const torch::Tensor& bbox_pred,
                       const Targets& targets) const;
  // get_bboxes(cfg=None) of one image: the boxes [k, 4C] decoded from rois [k, 5] and the
  // deltas, clipped to meta.img_shape, in the network input's frame, and the softmax scores
  // [k, C + 1] (what test-time augmentation merges).
  std::pair<torch::Tensor, torch::Tensor> DecodeBBoxes(const torch::Tensor& rois,
                                                       const torch::Tensor& cls_score,
                                                       const torch::Tensor& bbox_pred,
                                                       const ImageMeta& meta) const;
  // get_bboxes of one image: rois [k, 5], its scores and deltas -> detections, in the
  // original image's frame when `rescale`.
  virtual Detections GetBBoxes(const torch::Tensor& rois, const torch::Tensor& cls_score,
                               const torch::Tensor& bbox_pred, const ImageMeta& meta,
                               bool rescale, const config::DetectionTestConfig& cfg) const;

 protected:
  explicit BBoxHeadImpl(BBoxHeadParts parts) : parts_(std::move(parts)) {}
  BBoxHeadParts parts_;
};

// Factories take the config member's path ("...bbox_head.shared2fc_bbox_head").
using BBoxHeadRegistry = Registry<BBoxHeadImpl, const std::string&>;
absl::StatusOr<std::shared_ptr<BBoxHeadImpl>> BuildBBoxHead(const config::BBoxHead& cfg,
                                                            const std::string& path);

// The parts of a box-head config with num_classes, reg_class_agnostic, roi_feat_size,
// bbox_coder, loss_cls and loss_bbox members (as Shared2FCBBoxHead), with v2.0's defaults
// for the unset ones: DeltaXYWHBBoxCoder with stds (0.1, 0.1, 0.2, 0.2), softmax
// CrossEntropyLoss, SmoothL1Loss(beta 1). Errors name `path`.
template <typename HeadConfig>
absl::StatusOr<BBoxHeadParts> BuildBBoxHeadParts(const HeadConfig& cfg, const std::string& path) {
  if (cfg.num_classes() < 1) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".num_classes: must be >= 1"));
  }
  BBoxHeadParts parts;
  parts.num_classes = cfg.num_classes();
  parts.reg_class_agnostic = cfg.reg_class_agnostic();
  parts.roi_feat_size = cfg.roi_feat_size();
  MMDET_ASSIGN_OR_RETURN(
      parts.coder,
      BuildBBoxCoder(ConfigOrDefault(cfg.has_bbox_coder(), cfg.bbox_coder(),
                                     "delta_xywh_bbox_coder { target_stds: [0.1, 0.1, 0.2, 0.2] }"),
                     path + ".bbox_coder"));
  MMDET_ASSIGN_OR_RETURN(
      parts.loss_cls,
      BuildLoss(ConfigOrDefault(cfg.has_loss_cls(), cfg.loss_cls(),
                                "cross_entropy_loss { loss_weight: 1.0 }"),
                path + ".loss_cls"));
  MMDET_ASSIGN_OR_RETURN(
      parts.loss_bbox,
      BuildLoss(ConfigOrDefault(cfg.has_loss_bbox(), cfg.loss_bbox(),
                                "smooth_l1_loss { beta: 1.0 loss_weight: 1.0 }"),
                path + ".loss_bbox"));
  if (parts.loss_cls->use_sigmoid()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ".loss_cls: the bbox head needs a softmax classification loss"));
  }
  return parts;
}

}  // namespace mmdet::models

#endif  // MMDET_MODELS_ROI_HEADS_BBOX_HEADS_BBOX_HEAD_H_
