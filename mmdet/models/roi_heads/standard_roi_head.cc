#include "mmdet/models/roi_heads/standard_roi_head.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "mmdet/core/status.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/layers/autocast.h"
#include "mmdet/models/post_processing/bbox_nms.h"
#include "mmdet/models/post_processing/merge_augs.h"
#include "mmdet/models/task_modules/bbox_transforms.h"

namespace mmdet::models {

absl::StatusOr<std::shared_ptr<StandardRoIHeadImpl>> StandardRoIHeadImpl::Create(
    const config::StandardRoIHead& cfg, const std::string& path) {
  std::shared_ptr<StandardRoIHeadImpl> head(new StandardRoIHeadImpl);
  if (!cfg.has_bbox_roi_extractor()) {
    return absl::InvalidArgumentError(path + ".bbox_roi_extractor: required");
  }
  if (!cfg.has_bbox_head()) return absl::InvalidArgumentError(path + ".bbox_head: required");
  MMDET_ASSIGN_OR_RETURN(auto bbox_extractor, BuildRoIExtractor(cfg.bbox_roi_extractor(),
                                                                path + ".bbox_roi_extractor"));
  head->bbox_roi_extractor_ = head->register_module("bbox_roi_extractor", bbox_extractor);
  const std::string bpath = SelectedMemberPath(cfg.bbox_head(), path + ".bbox_head");
  MMDET_ASSIGN_OR_RETURN(auto bbox_head, BuildBBoxHead(cfg.bbox_head(), path + ".bbox_head"));
  if (bbox_head->roi_feat_size() > 0 &&
      bbox_head->roi_feat_size() != head->bbox_roi_extractor_->out_size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        bpath, ".roi_feat_size: ", bbox_head->roi_feat_size(), " but the extractor pools ",
        head->bbox_roi_extractor_->out_size()));
  }
  head->bbox_head_ = head->register_module("bbox_head", bbox_head);
  if (cfg.has_mask_head() != cfg.has_mask_roi_extractor()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": mask_roi_extractor and mask_head go together"));
  }
  if (cfg.has_mask_head()) {
    MMDET_ASSIGN_OR_RETURN(auto mask_extractor, BuildRoIExtractor(cfg.mask_roi_extractor(),
                                                                  path + ".mask_roi_extractor"));
    head->mask_roi_extractor_ = head->register_module("mask_roi_extractor", mask_extractor);
    MMDET_ASSIGN_OR_RETURN(auto mask_head, BuildMaskHead(cfg.mask_head(), path + ".mask_head"));
    if (mask_head->num_classes() != bbox_head->num_classes()) {
      return absl::InvalidArgumentError(absl::StrCat(
          SelectedMemberPath(cfg.mask_head(), path + ".mask_head"), ".num_classes: ",
          mask_head->num_classes(), " but the bbox head has ", bbox_head->num_classes()));
    }
    head->mask_head_ = head->register_module("mask_head", mask_head);
  }
  return head;
}

absl::Status StandardRoIHeadImpl::EnsureTrainModules(const config::AssignConfig& cfg) {
  const std::string key = cfg.SerializeAsString();
  if (assigner_ && key == train_cfg_key_) return absl::OkStatus();
  if (!cfg.has_assigner() || !cfg.has_sampler()) {
    return absl::InvalidArgumentError("train_cfg.rcnn: assigner and sampler are required");
  }
  MMDET_ASSIGN_OR_RETURN(assigner_, BuildAssigner(cfg.assigner(), "train_cfg.rcnn.assigner"));
  MMDET_ASSIGN_OR_RETURN(sampler_, BuildBBoxSampler(cfg.sampler(), "train_cfg.rcnn.sampler"));
  train_cfg_key_ = key;
  return absl::OkStatus();
}

absl::StatusOr<LossMap> StandardRoIHeadImpl::ForwardTrain(
    const std::vector<torch::Tensor>& feats, const std::vector<ImageMeta>& metas,
    const std::vector<torch::Tensor>& proposals, const GroundTruth& gt,
    const config::AssignConfig& cfg) {
  MMDET_RETURN_IF_ERROR(EnsureTrainModules(cfg));
  std::vector<SamplingResult> samples;
  for (size_t i = 0; i < metas.size(); ++i) {
    const torch::Tensor ignore = i < gt.bboxes_ignore.size() ? gt.bboxes_ignore[i] : torch::Tensor();
    const torch::Tensor boxes = proposals[i].narrow(1, 0, 4).detach();
    AssignResult assign = assigner_->Assign(boxes, gt.bboxes[i], ignore, gt.labels[i]);
    samples.push_back(sampler_->Sample(assign, boxes, gt.bboxes[i], gt.labels[i]));
  }
  std::vector<torch::Tensor> sampled;
  for (const auto& s : samples) sampled.push_back(s.bboxes());
  const torch::Tensor rois = Bbox2Roi(sampled);
  const torch::Tensor bbox_feats = bbox_roi_extractor_->forward(feats, rois);
  auto [cls_score, bbox_pred] = bbox_head_->forward(bbox_feats);
  LossMap losses = bbox_head_->Loss(cls_score, bbox_pred, bbox_head_->GetTargets(samples, cfg));
  if (mask_head_) {
    if (gt.masks.size() != metas.size()) {
      return absl::InvalidArgumentError(
          "Mask R-CNN training needs gt_masks: add with_mask: true to LoadAnnotations and "
          "\"gt_masks\" to Collect's keys");
    }
    std::vector<torch::Tensor> pos_boxes, pos_labels;
    for (const auto& s : samples) {
      pos_boxes.push_back(s.pos_bboxes);
      pos_labels.push_back(s.pos_gt_labels);
    }
    const torch::Tensor pos_rois = Bbox2Roi(pos_boxes);
    const torch::Tensor mask_pred = mask_head_->forward(mask_roi_extractor_->forward(feats, pos_rois));
    const int64_t mask_size = cfg.mask_size();
    const torch::Tensor targets = mask_head_->GetTargets(samples, gt.masks, mask_size);
    if (mask_pred.size(-1) != mask_size) {
      return absl::InvalidArgumentError(absl::StrCat(
          "train_cfg.rcnn.mask_size: ", mask_size, " but the mask head predicts ",
          mask_pred.size(-1), "x", mask_pred.size(-1)));
    }
    losses.emplace_back("loss_mask", mask_head_->Loss(mask_pred, targets, torch::cat(pos_labels)));
  }
  return losses;
}

std::pair<torch::Tensor, torch::Tensor> StandardRoIHeadImpl::TestBBoxForward(
    const torch::Tensor& bbox_feats) {
  if (head_dtype() == at::kFloat) return bbox_head_->forward(bbox_feats);
  std::pair<torch::Tensor, torch::Tensor> out;
  {
    AutocastScope autocast(bbox_feats.device().type(), head_dtype());
    out = bbox_head_->forward(bbox_feats);
  }
  return {out.first.to(at::kFloat), out.second.to(at::kFloat)};
}

torch::Tensor StandardRoIHeadImpl::TestMaskForward(const torch::Tensor& mask_feats) {
  if (head_dtype() == at::kFloat) return mask_head_->forward(mask_feats);
  torch::Tensor out;
  {
    AutocastScope autocast(mask_feats.device().type(), head_dtype());
    out = mask_head_->forward(mask_feats);
  }
  return out.to(at::kFloat);
}

std::vector<ImageResult> StandardRoIHeadImpl::SimpleTest(
    const std::vector<torch::Tensor>& feats, const std::vector<ImageMeta>& metas,
    const std::vector<torch::Tensor>& proposals, const config::DetectionTestConfig& cfg,
    bool rescale) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> boxes;
  for (const auto& p : proposals) boxes.push_back(p.narrow(1, 0, 4));
  const torch::Tensor rois = Bbox2Roi(boxes);
  auto [cls_score, bbox_pred] = TestBBoxForward(bbox_roi_extractor_->forward(feats, rois));
  std::vector<ImageResult> results;
  int64_t start = 0;
  for (size_t i = 0; i < metas.size(); ++i) {
    const ImageMeta& meta = metas[i];
    const int64_t n = proposals[i].size(0);
    const Detections det =
        bbox_head_->GetBBoxes(rois.narrow(0, start, n), cls_score.narrow(0, start, n),
                              bbox_pred.narrow(0, start, n), meta, rescale, cfg);
    start += n;
    const torch::Tensor scale = torch::tensor(
        {meta.scale_factor[0], meta.scale_factor[1], meta.scale_factor[2], meta.scale_factor[3]},
        det.dets.options());
    ImageResult result;
    result.bboxes = Bbox2Result(det.dets, det.labels, num_classes());
    if (mask_head_) {
      // Masks are predicted at the boxes in the network input's frame, then pasted into the
      // original image (rescale) or the resized one.
      const torch::Tensor input_boxes =
          rescale ? det.dets.narrow(1, 0, 4) * scale : det.dets.narrow(1, 0, 4);
      int64_t img_h = meta.ori_shape[0], img_w = meta.ori_shape[1];
      torch::Tensor paste_boxes = det.dets.narrow(1, 0, 4);
      if (!rescale) {
        img_h = std::llround(meta.ori_shape[0] * meta.scale_factor[1]);
        img_w = std::llround(meta.ori_shape[1] * meta.scale_factor[0]);
      }
      if (det.dets.size(0) == 0) {
        result.masks.assign(num_classes(), {});
      } else {
        std::vector<torch::Tensor> per_image(i + 1, torch::zeros({0, 4}, input_boxes.options()));
        per_image[i] = input_boxes;  // image index i in the RoIs
        const torch::Tensor mask_rois = Bbox2Roi(per_image);
        const torch::Tensor mask_pred = TestMaskForward(mask_roi_extractor_->forward(feats, mask_rois));
        result.masks = mask_head_->GetSegMasks(mask_pred.sigmoid(), paste_boxes, det.labels, img_h, img_w,
                                               cfg.mask_thr_binary());
      }
    }
    results.push_back(std::move(result));
  }
  return results;
}

void StandardRoIHeadImpl::ForwardDummy(const std::vector<torch::Tensor>& feats,
                                       const torch::Tensor& proposals) {
  const torch::Tensor rois = Bbox2Roi({proposals});
  bbox_head_->forward(bbox_roi_extractor_->forward(feats, rois));
  if (mask_head_) {
    mask_head_->forward(mask_roi_extractor_->forward(feats, rois.narrow(0, 0, std::min<int64_t>(100, rois.size(0)))));
  }
}

ImageResult StandardRoIHeadImpl::AugTest(const std::vector<std::vector<torch::Tensor>>& feats,
                                         const std::vector<ImageMeta>& metas,
                                         const torch::Tensor& proposals,
                                         const config::DetectionTestConfig& cfg, bool rescale) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> aug_bboxes, aug_scores;
  for (size_t v = 0; v < feats.size(); ++v) {
    const ImageMeta& meta = metas[v];
    const torch::Tensor boxes = BboxMapping(proposals.narrow(1, 0, 4), meta.img_shape,
                                            meta.scale_factor, meta.flip, meta.flip_direction);
    const torch::Tensor rois = Bbox2Roi({boxes});
    auto [cls_score, bbox_pred] = TestBBoxForward(bbox_roi_extractor_->forward(feats[v], rois));
    auto [bboxes, scores] = bbox_head_->DecodeBBoxes(rois, cls_score, bbox_pred, meta);
    aug_bboxes.push_back(bboxes);
    aug_scores.push_back(scores);
  }
  auto [merged_bboxes, merged_scores] = MergeAugBboxes(aug_bboxes, aug_scores, metas);
  const Detections det = MulticlassNms(merged_bboxes, merged_scores, cfg.score_thr(), cfg.nms(),
                                       cfg.max_per_img());
  ImageResult result;
  torch::Tensor reported = det.dets;
  if (!rescale) {  // in the first view's frame, as v2.0
    const auto& sf = metas[0].scale_factor;
    reported = det.dets.clone();
    reported.narrow(1, 0, 4).mul_(torch::tensor({sf[0], sf[1], sf[2], sf[3]}, det.dets.options()));
  }
  result.bboxes = Bbox2Result(reported, det.labels, num_classes());
  if (!mask_head_) return result;
  if (det.dets.size(0) == 0) {
    result.masks.assign(num_classes(), {});
    return result;
  }
  std::vector<torch::Tensor> aug_masks;
  for (size_t v = 0; v < feats.size(); ++v) {
    const ImageMeta& meta = metas[v];
    const torch::Tensor boxes = BboxMapping(det.dets.narrow(1, 0, 4), meta.img_shape,
                                            meta.scale_factor, meta.flip, meta.flip_direction);
    const torch::Tensor mask_pred =
        TestMaskForward(mask_roi_extractor_->forward(feats[v], Bbox2Roi({boxes})));
    aug_masks.push_back(mask_pred.sigmoid());
  }
  // v2.0 pastes at ori_shape with the original-frame boxes (scale_factor 1), rescale or not.
  result.masks = mask_head_->GetSegMasks(MergeAugMasks(aug_masks, metas), det.dets.narrow(1, 0, 4),
                                         det.labels, metas[0].ori_shape[0], metas[0].ori_shape[1],
                                         cfg.mask_thr_binary());
  return result;
}

namespace {

absl::StatusOr<std::shared_ptr<RoIHeadImpl>> StandardRoIHeadFromConfig(
    const config::StandardRoIHead& cfg, const std::string& path) {
  MMDET_ASSIGN_OR_RETURN(auto head, StandardRoIHeadImpl::Create(cfg, path));
  return std::shared_ptr<RoIHeadImpl>(std::move(head));
}

}  // namespace

MMDET_REGISTER(RoIHeadRegistry, config::StandardRoIHead, StandardRoIHeadFromConfig);

}  // namespace mmdet::models
