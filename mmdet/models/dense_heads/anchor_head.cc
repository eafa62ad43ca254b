// AnchorHead (v2.0's mmdet/models/dense_heads/anchor_head.py).
#include "mmdet/models/dense_heads/anchor_head.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "mmdet/core/status.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/post_processing/bbox_nms.h"
#include "mmdet/models/task_modules/samplers/pseudo_sampler.h"
#include "mmdet/ops/nms.h"

namespace mmdet::models {
namespace {

// Puts `data` (for the inside anchors) back into a tensor over all anchors, `fill` elsewhere.
torch::Tensor Unmap(const torch::Tensor& data, int64_t count, const torch::Tensor& inside,
                    double fill) {
  std::vector<int64_t> shape = data.sizes().vec();
  shape[0] = count;
  torch::Tensor out = torch::full(shape, fill, data.options());
  out.index_put_({inside}, data);
  return out;
}

// [images][all anchors] -> [levels][images, level anchors].
std::vector<torch::Tensor> ImagesToLevels(const std::vector<torch::Tensor>& per_image,
                                          const std::vector<int64_t>& level_sizes) {
  const torch::Tensor stacked = torch::stack(per_image, 0);
  std::vector<torch::Tensor> levels;
  int64_t start = 0;
  for (int64_t size : level_sizes) {
    levels.push_back(stacked.narrow(1, start, size));
    start += size;
  }
  return levels;
}

}  // namespace

absl::Status AnchorHeadImpl::EnsureTrainModules(const config::AssignConfig& cfg) {
  const std::string key = cfg.SerializeAsString();
  if (assigner_ && key == train_cfg_key_) return absl::OkStatus();
  if (!cfg.has_assigner()) {
    return absl::InvalidArgumentError(absl::StrCat(train_cfg_path(), ".assigner: required for training"));
  }
  MMDET_ASSIGN_OR_RETURN(assigner_, BuildAssigner(cfg.assigner(), train_cfg_path() + ".assigner"));
  if (sampling_ && cfg.has_sampler()) {
    if (cfg.sampler().has_random_sampler() && cfg.sampler().random_sampler().add_gt_as_proposals()) {
      return absl::InvalidArgumentError(absl::StrCat(
          train_cfg_path(), ".sampler.random_sampler.add_gt_as_proposals: must be false for a dense head (ground "
          "truths are not anchors; MMDetection's dense-head configs set it to False)"));
    }
    MMDET_ASSIGN_OR_RETURN(sampler_, BuildBBoxSampler(cfg.sampler(), train_cfg_path() + ".sampler"));
  } else {
    // v2.0's AnchorHead: no sampler configured means PseudoSampler (every anchor), while the
    // losses are still averaged over positives + negatives when the head samples.
    sampler_ = std::make_shared<PseudoSampler>();
  }
  train_cfg_key_ = key;
  return absl::OkStatus();
}

absl::StatusOr<AnchorHeadImpl::ImageTargets> AnchorHeadImpl::TargetsForImage(
    const torch::Tensor& flat_anchors, const torch::Tensor& valid, const torch::Tensor& gt_bboxes,
    const torch::Tensor& gt_ignore, const torch::Tensor& gt_labels, const ImageMeta& meta,
    const config::AssignConfig& cfg) {
  const torch::Tensor inside = AnchorInsideFlags(flat_anchors, valid, {meta.img_shape[0], meta.img_shape[1]},
                                                 cfg.allowed_border());
  ImageTargets t;
  const int64_t total = flat_anchors.size(0);
  const auto opts = flat_anchors.options();
  if (!inside.any().item<bool>()) {
    t.labels = torch::full({total}, parts_.num_classes, opts.dtype(torch::kInt64));
    t.label_weights = torch::zeros({total}, opts);
    t.bbox_targets = torch::zeros({total, 4}, opts);
    t.bbox_weights = torch::zeros({total, 4}, opts);
    return t;
  }
  const torch::Tensor anchors = flat_anchors.index({inside});
  const bool rpn = loss_prefix_ == "loss_rpn_";
  const torch::Tensor assign_labels = (rpn || sampling_) ? torch::Tensor() : gt_labels;
  AssignResult assign = assigner_->Assign(anchors, gt_bboxes, gt_ignore, assign_labels);
  SamplingResult s = sampler_->Sample(assign, anchors, gt_bboxes, torch::Tensor());
  const int64_t n = anchors.size(0);
  if ((s.pos_inds.numel() > 0 && s.pos_inds.max().item<int64_t>() >= n) ||
      (s.neg_inds.numel() > 0 && s.neg_inds.max().item<int64_t>() >= n)) {
    return absl::InvalidArgumentError(absl::StrCat(
        train_cfg_path(),
        ".sampler: the sampler returned indices beyond the anchors (did it add the ground "
        "truths as proposals? a dense head samples anchors only)"));
  }
  torch::Tensor labels = torch::full({n}, parts_.num_classes, opts.dtype(torch::kInt64));
  torch::Tensor label_weights = torch::zeros({n}, opts);
  torch::Tensor bbox_targets = torch::zeros_like(anchors);
  torch::Tensor bbox_weights = torch::zeros_like(anchors);
  if (s.pos_inds.numel() > 0) {
    bbox_targets.index_put_({s.pos_inds}, parts_.bbox_coder->Encode(s.pos_bboxes, s.pos_gt_bboxes));
    bbox_weights.index_put_({s.pos_inds}, 1.0);
    if (rpn || !gt_labels.defined()) {
      labels.index_put_({s.pos_inds}, 0);
    } else {
      labels.index_put_({s.pos_inds}, gt_labels.index({s.pos_assigned_gt_inds}));
    }
    label_weights.index_put_({s.pos_inds}, cfg.pos_weight() <= 0 ? 1.0 : cfg.pos_weight());
  }
  if (s.neg_inds.numel() > 0) label_weights.index_put_({s.neg_inds}, 1.0);
  t.labels = Unmap(labels, total, inside, static_cast<double>(parts_.num_classes));
  t.label_weights = Unmap(label_weights, total, inside, 0);
  t.bbox_targets = Unmap(bbox_targets, total, inside, 0);
  t.bbox_weights = Unmap(bbox_weights, total, inside, 0);
  t.num_pos = s.pos_inds.numel();
  t.num_neg = s.neg_inds.numel();
  return t;
}

absl::StatusOr<AnchorHeadImpl::Targets> AnchorHeadImpl::GetTargets(
    const std::vector<FeatSize>& sizes, const torch::Device& device, const GroundTruth& gt,
    const std::vector<ImageMeta>& metas, const config::AssignConfig& cfg) {
  MMDET_RETURN_IF_ERROR(EnsureTrainModules(cfg));
  const std::vector<torch::Tensor> level_anchors = parts_.anchor_generator->GridAnchors(sizes, device);
  std::vector<int64_t> level_counts;
  for (const auto& a : level_anchors) level_counts.push_back(a.size(0));
  const torch::Tensor flat_anchors = torch::cat(level_anchors);

  std::vector<torch::Tensor> labels, label_weights, bbox_targets, bbox_weights;
  int64_t num_total_pos = 0, num_total_neg = 0;
  for (size_t i = 0; i < metas.size(); ++i) {
    const ImageMeta& meta = metas[i];
    const torch::Tensor valid = torch::cat(parts_.anchor_generator->ValidFlags(
        sizes, {meta.pad_shape[0], meta.pad_shape[1]}, device));
    const torch::Tensor ignore = i < gt.bboxes_ignore.size() ? gt.bboxes_ignore[i] : torch::Tensor();
    const torch::Tensor gt_labels = i < gt.labels.size() ? gt.labels[i] : torch::Tensor();
    MMDET_ASSIGN_OR_RETURN(ImageTargets t, TargetsForImage(flat_anchors, valid, gt.bboxes[i], ignore,
                                                           gt_labels, meta, cfg));
    labels.push_back(t.labels);
    label_weights.push_back(t.label_weights);
    bbox_targets.push_back(t.bbox_targets);
    bbox_weights.push_back(t.bbox_weights);
    num_total_pos += std::max<int64_t>(t.num_pos, 1);
    num_total_neg += std::max<int64_t>(t.num_neg, 1);
  }
  Targets targets;
  targets.num_total_pos = num_total_pos;
  targets.num_total_neg = num_total_neg;
  targets.num_total_samples =
      static_cast<double>(sampling_ ? num_total_pos + num_total_neg : num_total_pos);
  targets.labels = ImagesToLevels(labels, level_counts);
  targets.label_weights = ImagesToLevels(label_weights, level_counts);
  targets.bbox_targets = ImagesToLevels(bbox_targets, level_counts);
  targets.bbox_weights = ImagesToLevels(bbox_weights, level_counts);
  return targets;
}

absl::StatusOr<LossMap> AnchorHeadImpl::Loss(const DenseOutputs& out, const GroundTruth& gt,
                                             const std::vector<ImageMeta>& metas,
                                             const config::AssignConfig& cfg) {
  std::vector<FeatSize> sizes;
  for (const auto& score : out.cls_scores) sizes.push_back({score.size(2), score.size(3)});
  MMDET_ASSIGN_OR_RETURN(const Targets t,
                         GetTargets(sizes, out.cls_scores[0].device(), gt, metas, cfg));
  const double num_total_samples = t.num_total_samples;
  const auto& labels_l = t.labels;
  const auto& label_weights_l = t.label_weights;
  const auto& bbox_targets_l = t.bbox_targets;
  const auto& bbox_weights_l = t.bbox_weights;
  torch::Tensor loss_cls, loss_bbox;
  for (size_t level = 0; level < out.cls_scores.size(); ++level) {
    const torch::Tensor cls_score =
        out.cls_scores[level].permute({0, 2, 3, 1}).reshape({-1, cls_out_channels_});
    const torch::Tensor bbox_pred = out.bbox_preds[level].permute({0, 2, 3, 1}).reshape({-1, 4});
    torch::Tensor lc = parts_.loss_cls->Compute(cls_score, labels_l[level].reshape(-1),
                                                label_weights_l[level].reshape(-1), num_total_samples);
    torch::Tensor lb = parts_.loss_bbox->Compute(bbox_pred, bbox_targets_l[level].reshape({-1, 4}),
                                                 bbox_weights_l[level].reshape({-1, 4}),
                                                 num_total_samples);
    loss_cls = level == 0 ? lc : loss_cls + lc;
    loss_bbox = level == 0 ? lb : loss_bbox + lb;
  }
  return LossMap{{loss_prefix_ + "cls", loss_cls}, {loss_prefix_ + "bbox", loss_bbox}};
}

std::vector<torch::Tensor> AnchorHeadImpl::GetProposals(const DenseOutputs& out,
                                                        const std::vector<ImageMeta>& metas,
                                                        const config::ProposalConfig& cfg) {
  torch::NoGradGuard no_grad;
  const torch::Device device = out.cls_scores[0].device();
  std::vector<FeatSize> sizes;
  for (const auto& score : out.cls_scores) sizes.push_back({score.size(2), score.size(3)});
  const std::vector<torch::Tensor> anchors = parts_.anchor_generator->GridAnchors(sizes, device);
  std::vector<torch::Tensor> result;
  for (size_t img = 0; img < metas.size(); ++img) {
    const std::array<int64_t, 2> img_shape{metas[img].img_shape[0], metas[img].img_shape[1]};
    std::vector<torch::Tensor> level_scores, level_deltas, level_anchors, level_ids;
    for (size_t level = 0; level < out.cls_scores.size(); ++level) {
      torch::Tensor score = out.cls_scores[level][img].permute({1, 2, 0});
      torch::Tensor scores = use_sigmoid_ ? score.reshape(-1).sigmoid()
                                          : score.reshape({-1, 2}).softmax(1).select(1, 0);
      torch::Tensor deltas = out.bbox_preds[level][img].permute({1, 2, 0}).reshape({-1, 4});
      torch::Tensor anchors_here = anchors[level];
      if (cfg.nms_pre() > 0 && scores.size(0) > cfg.nms_pre()) {
        auto [ranked, order] = scores.sort(/*dim=*/0, /*descending=*/true);
        const torch::Tensor top = order.narrow(0, 0, cfg.nms_pre());
        scores = ranked.narrow(0, 0, cfg.nms_pre());
        deltas = deltas.index({top});
        anchors_here = anchors_here.index({top});
      }
      level_ids.push_back(torch::full({scores.size(0)}, static_cast<int64_t>(level),
                                      scores.options().dtype(torch::kInt64)));
      level_scores.push_back(scores);
      level_deltas.push_back(deltas);
      level_anchors.push_back(anchors_here);
    }
    torch::Tensor scores = torch::cat(level_scores);
    torch::Tensor ids = torch::cat(level_ids);
    torch::Tensor proposals =
        parts_.bbox_coder->Decode(torch::cat(level_anchors), torch::cat(level_deltas), img_shape);
    if (cfg.min_bbox_size() > 0) {
      const torch::Tensor w = proposals.select(1, 2) - proposals.select(1, 0);
      const torch::Tensor h = proposals.select(1, 3) - proposals.select(1, 1);
      const torch::Tensor keep =
          torch::nonzero((w >= cfg.min_bbox_size()) & (h >= cfg.min_bbox_size())).view(-1);
      proposals = proposals.index({keep});
      scores = scores.index({keep});
      ids = ids.index({keep});
    }
    ops::NmsOptions nms;
    nms.iou_threshold = cfg.nms_thr();
    // nms_across_levels (MMDetection v1's key, ignored by v2.0): one NMS over all levels.
    nms.class_agnostic = cfg.nms_across_levels();
    torch::Tensor dets = std::get<0>(ops::BatchedNms(proposals, scores, ids, nms));
    const int64_t keep = cfg.nms_across_levels() ? cfg.max_num() : cfg.nms_post();
    if (dets.size(0) > keep) dets = dets.narrow(0, 0, keep);
    result.push_back(dets);
  }
  return result;
}

std::vector<Detections> AnchorHeadImpl::GetBBoxes(const DenseOutputs& out,
                                                  const std::vector<ImageMeta>& metas,
                                                  const config::DetectionTestConfig& cfg,
                                                  bool rescale) {
  torch::NoGradGuard no_grad;
  const torch::Device device = out.cls_scores[0].device();
  std::vector<FeatSize> sizes;
  for (const auto& score : out.cls_scores) sizes.push_back({score.size(2), score.size(3)});
  const std::vector<torch::Tensor> anchors = parts_.anchor_generator->GridAnchors(sizes, device);
  std::vector<Detections> result;
  for (size_t img = 0; img < metas.size(); ++img) {
    const ImageMeta& meta = metas[img];
    std::vector<torch::Tensor> level_bboxes, level_scores;
    for (size_t level = 0; level < out.cls_scores.size(); ++level) {
      const torch::Tensor logits =
          out.cls_scores[level][img].permute({1, 2, 0}).reshape({-1, cls_out_channels_});
      torch::Tensor scores = use_sigmoid_ ? logits.sigmoid() : logits.softmax(-1);
      torch::Tensor deltas = out.bbox_preds[level][img].permute({1, 2, 0}).reshape({-1, 4});
      torch::Tensor level_anchors = anchors[level];
      if (cfg.nms_pre() > 0 && scores.size(0) > cfg.nms_pre()) {
        const torch::Tensor max_scores =
            std::get<0>((use_sigmoid_ ? scores : scores.narrow(1, 0, parts_.num_classes)).max(1));
        const torch::Tensor top = std::get<1>(max_scores.topk(cfg.nms_pre()));
        level_anchors = level_anchors.index({top});
        deltas = deltas.index({top});
        scores = scores.index({top});
      }
      level_bboxes.push_back(parts_.bbox_coder->Decode(
          level_anchors, deltas, std::array<int64_t, 2>{meta.img_shape[0], meta.img_shape[1]}));
      level_scores.push_back(scores);
    }
    torch::Tensor bboxes = torch::cat(level_bboxes);
    if (rescale) {
      bboxes = bboxes / torch::tensor({meta.scale_factor[0], meta.scale_factor[1],
                                       meta.scale_factor[2], meta.scale_factor[3]},
                                      bboxes.options());
    }
    torch::Tensor scores = torch::cat(level_scores);
    if (use_sigmoid_) scores = torch::cat({scores, torch::zeros({scores.size(0), 1}, scores.options())}, 1);
    result.push_back(MulticlassNms(bboxes, scores, cfg.score_thr(), cfg.nms(), cfg.max_per_img()));
  }
  return result;
}

}  // namespace mmdet::models
