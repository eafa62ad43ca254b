#include "mmdet/models/roi_heads/bbox_heads/bbox_head.h"

#include <algorithm>
#include <array>

#include "mmdet/models/post_processing/bbox_nms.h"

namespace mmdet::models {

absl::StatusOr<std::shared_ptr<BBoxHeadImpl>> BuildBBoxHead(const config::BBoxHead& cfg,
                                                            const std::string& path) {
  return BuildFromConfig(BBoxHeadRegistry::Global(), cfg, path);
}

BBoxHeadImpl::Targets BBoxHeadImpl::GetTargets(const std::vector<SamplingResult>& results,
                                               const config::AssignConfig& cfg) const {
  std::vector<torch::Tensor> labels, label_weights, bbox_targets, bbox_weights;
  for (const SamplingResult& s : results) {
    const int64_t num_pos = s.pos_bboxes.size(0), num_neg = s.neg_bboxes.size(0);
    const auto opts = s.pos_bboxes.options();
    torch::Tensor l = torch::full({num_pos + num_neg}, parts_.num_classes, opts.dtype(torch::kInt64));
    torch::Tensor lw = torch::zeros({num_pos + num_neg}, opts);
    torch::Tensor bt = torch::zeros({num_pos + num_neg, 4}, opts);
    torch::Tensor bw = torch::zeros({num_pos + num_neg, 4}, opts);
    if (num_pos > 0) {
      l.narrow(0, 0, num_pos).copy_(s.pos_gt_labels);
      lw.narrow(0, 0, num_pos).fill_(cfg.pos_weight() <= 0 ? 1.0 : cfg.pos_weight());
      bt.narrow(0, 0, num_pos).copy_(parts_.coder->Encode(s.pos_bboxes, s.pos_gt_bboxes));
      bw.narrow(0, 0, num_pos).fill_(1.0);
    }
    if (num_neg > 0) lw.narrow(0, num_pos, num_neg).fill_(1.0);
    labels.push_back(l);
    label_weights.push_back(lw);
    bbox_targets.push_back(bt);
    bbox_weights.push_back(bw);
  }
  return {torch::cat(labels), torch::cat(label_weights), torch::cat(bbox_targets),
          torch::cat(bbox_weights)};
}

LossMap BBoxHeadImpl::Loss(const torch::Tensor& cls_score, const torch::Tensor& bbox_pred,
                           const Targets& t) const {
  LossMap losses;
  const double avg_factor =
      std::max((t.label_weights > 0).sum().item<double>(), 1.0);
  if (cls_score.numel() > 0) {
    losses.emplace_back("loss_cls",
                        parts_.loss_cls->Compute(cls_score, t.labels, t.label_weights, avg_factor));
    // accuracy(): top-1, in percent.
    const torch::Tensor pred = std::get<1>(cls_score.topk(1, 1)).view(-1);
    losses.emplace_back("acc", (pred == t.labels).to(torch::kFloat32).sum() *
                                   (100.0 / cls_score.size(0)));
  }
  const torch::Tensor pos = (t.labels >= 0) & (t.labels < parts_.num_classes);
  if (pos.any().item<bool>()) {
    torch::Tensor pos_pred;
    if (parts_.reg_class_agnostic) {
      pos_pred = bbox_pred.view({bbox_pred.size(0), 4}).index({pos});
    } else {
      pos_pred = bbox_pred.view({bbox_pred.size(0), -1, 4}).index({pos, t.labels.index({pos})});
    }
    losses.emplace_back("loss_bbox",
                        parts_.loss_bbox->Compute(pos_pred, t.bbox_targets.index({pos}),
                                            t.bbox_weights.index({pos}),
                                            static_cast<double>(t.bbox_targets.size(0))));
  } else {
    losses.emplace_back("loss_bbox", bbox_pred.sum() * 0);
  }
  return losses;
}

std::pair<torch::Tensor, torch::Tensor> BBoxHeadImpl::DecodeBBoxes(
    const torch::Tensor& rois, const torch::Tensor& cls_score, const torch::Tensor& bbox_pred,
    const ImageMeta& meta) const {
  return {parts_.coder->Decode(rois.narrow(1, 1, 4), bbox_pred,
                               std::array<int64_t, 2>{meta.img_shape[0], meta.img_shape[1]}),
          cls_score.softmax(1)};
}

Detections BBoxHeadImpl::GetBBoxes(const torch::Tensor& rois, const torch::Tensor& cls_score,
                                   const torch::Tensor& bbox_pred, const ImageMeta& meta,
                                   bool rescale, const config::DetectionTestConfig& cfg) const {
  auto [bboxes, scores] = DecodeBBoxes(rois, cls_score, bbox_pred, meta);
  if (rescale) {
    const torch::Tensor scale = torch::tensor(
        {meta.scale_factor[0], meta.scale_factor[1], meta.scale_factor[2], meta.scale_factor[3]},
        bboxes.options());
    bboxes = (bboxes.view({bboxes.size(0), -1, 4}) / scale).view({bboxes.size(0), -1});
  }
  return MulticlassNms(bboxes, scores, cfg.score_thr(), cfg.nms(), cfg.max_per_img());
}

}  // namespace mmdet::models
