// AnchorHead (MMDetection v2.0's mmdet/models/dense_heads/anchor_head.py): the training and
// inference logic of anchor-based dense heads, public for subclassing. A subclass builds its
// layers and implements forward(); targets, losses, proposals and detections come from here:
//
//   class MyHeadImpl : public AnchorHeadImpl {
//    public:
//     MyHeadImpl(AnchorHeadParts parts, int64_t in_channels)
//         : AnchorHeadImpl(std::move(parts), "loss_") {
//       cls_ = register_module("my_cls", torch::nn::Conv2d(torch::nn::Conv2dOptions(
//           in_channels, num_anchors() * cls_out_channels_, 3).padding(1)));
//       ...
//     }
//     DenseOutputs forward(const std::vector<torch::Tensor>& feats) override;
//   };
//
// and its factory gets the anchor generator, box coder and losses from BuildAnchorHeadParts
// (tests/extension/ has a complete one, used as docs/new_component.md shows).
//
// Semantics are v2.0's: targets from anchors inside the image (allowed_border), MaxIoU
// assignment, sampling (RandomSampler, or all anchors for focal-loss heads), labels with the
// background as class num_classes, losses averaged over the sampled anchors (or the positives
// for focal loss, each image counting at least one), per-level losses summed. Ground truths
// are never added to the anchors as proposals: a random_sampler with add_gt_as_proposals is a
// config error here (MMDetection v2.0 would index its anchor targets with the shifted sample
// indices; its dense-head configs all set add_gt_as_proposals=False).
//
// One convention follows MMDetection >= 2.5 rather than 2.0-2.4: a softmax RPN
// (loss_cls use_sigmoid: false, two channels per anchor) has foreground as channel 0; v2.0
// trained it with foreground as channel 1, so such a v2.0 checkpoint's rpn_cls channels come
// swapped. The sigmoid RPN of every shipped config is the same in all versions.
#ifndef MMDET_MODELS_DENSE_HEADS_ANCHOR_HEAD_H_
#define MMDET_MODELS_DENSE_HEADS_ANCHOR_HEAD_H_

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "mmdet/core/registry.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/dense_heads/dense_head.h"
#include "mmdet/models/losses/loss.h"
#include "mmdet/models/task_modules/assigners/assigner.h"
#include "mmdet/models/task_modules/coders/bbox_coder.h"
#include "mmdet/models/task_modules/prior_generators/prior_generator.h"
#include "mmdet/models/task_modules/samplers/sampler.h"

namespace mmdet::models {

// What an anchor head is configured with besides its layers.
struct AnchorHeadParts {
  int64_t num_classes = 1;
  std::shared_ptr<PriorGenerator> anchor_generator;
  std::shared_ptr<BBoxCoder> bbox_coder;
  std::shared_ptr<models::Loss> loss_cls, loss_bbox;
  // v2.0: heads with a focal loss use every anchor (PseudoSampler) and average the losses
  // over the positives; the others sample and average over the samples.
  bool sampling = true;
};

// The training and inference logic shared by anchor heads (RPNHead, RetinaHead, a user's).
class AnchorHeadImpl : public DenseHeadImpl {
 public:
  int64_t num_classes() const override { return parts_.num_classes; }
  absl::StatusOr<LossMap> Loss(const DenseOutputs& out, const GroundTruth& gt,
                               const std::vector<ImageMeta>& metas,
                               const config::AssignConfig& cfg) override;
  std::vector<torch::Tensor> GetProposals(const DenseOutputs& out,
                                          const std::vector<ImageMeta>& metas,
                                          const config::ProposalConfig& cfg) override;
  std::vector<Detections> GetBBoxes(const DenseOutputs& out, const std::vector<ImageMeta>& metas,
                                    const config::DetectionTestConfig& cfg,
                                    bool rescale) override;

  // get_targets: per level, the targets of every anchor of every image ([N, level anchors]
  // labels with the background as num_classes and their weights, [N, level anchors, 4] box
  // targets and weights) and what the losses are averaged over (v2.0: the sampled anchors,
  // or the positives for focal-loss heads, each image counting at least one).
  struct Targets {
    std::vector<torch::Tensor> labels, label_weights, bbox_targets, bbox_weights;
    int64_t num_total_pos = 0, num_total_neg = 0;
    double num_total_samples = 0;
  };
  absl::StatusOr<Targets> GetTargets(const std::vector<FeatSize>& featmap_sizes,
                                     const torch::Device& device, const GroundTruth& gt,
                                     const std::vector<ImageMeta>& metas,
                                     const config::AssignConfig& cfg);

 protected:
  explicit AnchorHeadImpl(AnchorHeadParts parts, std::string loss_prefix)
      : parts_(std::move(parts)), loss_prefix_(std::move(loss_prefix)) {
    use_sigmoid_ = parts_.loss_cls->use_sigmoid();
    cls_out_channels_ = use_sigmoid_ ? parts_.num_classes : parts_.num_classes + 1;
    sampling_ = parts_.sampling;
  }
  int64_t num_anchors() const { return parts_.anchor_generator->num_base_anchors()[0]; }
  // Where this head's train_cfg is: "train_cfg.rpn" or "train_cfg.single_stage".
  std::string train_cfg_path() const {
    return loss_prefix_ == "loss_rpn_" ? "train_cfg.rpn" : "train_cfg.single_stage";
  }

  AnchorHeadParts parts_;
  std::string loss_prefix_;
  bool use_sigmoid_ = true;
  bool sampling_ = true;
  int64_t cls_out_channels_ = 1;

 private:
  struct ImageTargets {
    torch::Tensor labels, label_weights, bbox_targets, bbox_weights;
    int64_t num_pos = 0, num_neg = 0;
  };
  absl::StatusOr<ImageTargets> TargetsForImage(const torch::Tensor& anchors,
                                               const torch::Tensor& valid, const torch::Tensor& gt_bboxes,
                                               const torch::Tensor& gt_ignore, const torch::Tensor& gt_labels,
                                               const ImageMeta& meta, const config::AssignConfig& cfg);
  absl::Status EnsureTrainModules(const config::AssignConfig& cfg);

  std::shared_ptr<Assigner> assigner_;
  std::shared_ptr<BBoxSampler> sampler_;
  std::string train_cfg_key_;
};

// The parts every anchor head config has (anchor_generator, bbox_coder, loss_cls, loss_bbox
// members, as RPNHead and RetinaHead), with the given defaults (text-format configs) for the
// members left unset. Errors name `path`.
template <typename HeadConfig>
absl::StatusOr<AnchorHeadParts> BuildAnchorHeadParts(const HeadConfig& cfg, const std::string& path,
                                                     int64_t num_classes,
                                                     const char* default_anchors,
                                                     const char* default_loss_cls,
                                                     const char* default_loss_bbox) {
  AnchorHeadParts parts;
  parts.num_classes = num_classes;
  MMDET_ASSIGN_OR_RETURN(
      parts.anchor_generator,
      BuildPriorGenerator(
          ConfigOrDefault(cfg.has_anchor_generator(), cfg.anchor_generator(), default_anchors),
          path + ".anchor_generator"));
  MMDET_ASSIGN_OR_RETURN(
      parts.bbox_coder,
      BuildBBoxCoder(
          ConfigOrDefault(cfg.has_bbox_coder(), cfg.bbox_coder(), "delta_xywh_bbox_coder {}"),
          path + ".bbox_coder"));
  MMDET_ASSIGN_OR_RETURN(
      parts.loss_cls, BuildLoss(ConfigOrDefault(cfg.has_loss_cls(), cfg.loss_cls(), default_loss_cls),
                                path + ".loss_cls"));
  MMDET_ASSIGN_OR_RETURN(
      parts.loss_bbox,
      BuildLoss(ConfigOrDefault(cfg.has_loss_bbox(), cfg.loss_bbox(), default_loss_bbox),
                path + ".loss_bbox"));
  const auto counts = parts.anchor_generator->num_base_anchors();
  if (std::adjacent_find(counts.begin(), counts.end(), std::not_equal_to<>()) != counts.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ".anchor_generator: every level needs the same number of anchors"));
  }
  return parts;
}

}  // namespace mmdet::models

#endif  // MMDET_MODELS_DENSE_HEADS_ANCHOR_HEAD_H_
