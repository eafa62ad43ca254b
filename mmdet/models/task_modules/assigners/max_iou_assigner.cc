#include "mmdet/models/task_modules/assigners/max_iou_assigner.h"

#include <cstdint>
#include <memory>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "mmdet/ops/bbox_overlaps.h"

namespace mmdet::models {

AssignResult MaxIoUAssigner::Assign(const torch::Tensor& bboxes, const torch::Tensor& gt_bboxes,
                                    const torch::Tensor& gt_bboxes_ignore,
                                    const torch::Tensor& gt_labels) const {
  const torch::Device device = bboxes.device();
  const bool on_cpu = cfg_.gpu_assign_thr() > 0 && gt_bboxes.size(0) > cfg_.gpu_assign_thr();
  auto place = [&](const torch::Tensor& t) {
    return !t.defined() ? t : on_cpu ? t.cpu() : t;
  };
  const torch::Tensor boxes = place(bboxes).narrow(1, 0, 4);
  const torch::Tensor gts = place(gt_bboxes);
  const torch::Tensor ignore = place(gt_bboxes_ignore);
  torch::Tensor overlaps = ops::BboxOverlaps(gts, boxes);
  if (cfg_.ignore_iof_thr() > 0 && ignore.defined() && ignore.numel() > 0 &&
      boxes.numel() > 0) {
    torch::Tensor ignore_max;
    if (cfg_.ignore_wrt_candidates()) {
      ignore_max = std::get<0>(ops::BboxOverlaps(boxes, ignore, ops::OverlapMode::kIoF).max(1));
    } else {
      ignore_max = std::get<0>(ops::BboxOverlaps(ignore, boxes, ops::OverlapMode::kIoF).max(0));
    }
    overlaps.index_put_({torch::indexing::Slice(), ignore_max > cfg_.ignore_iof_thr()}, -1);
  }
  AssignResult result = AssignWrtOverlaps(overlaps, place(gt_labels));
  if (on_cpu) {
    result.gt_inds = result.gt_inds.to(device);
    result.max_overlaps = result.max_overlaps.to(device);
    if (result.labels.defined()) result.labels = result.labels.to(device);
  }
  return result;
}

AssignResult MaxIoUAssigner::AssignWrtOverlaps(const torch::Tensor& overlaps,
                                               const torch::Tensor& gt_labels) const {
  const int64_t num_gts = overlaps.size(0), num_bboxes = overlaps.size(1);
  const auto long_opts = overlaps.options().dtype(torch::kInt64);
  AssignResult result;
  result.num_gts = num_gts;
  result.gt_inds = torch::full({num_bboxes}, -1, long_opts);
  if (num_gts == 0 || num_bboxes == 0) {
    result.max_overlaps = torch::zeros({num_bboxes}, overlaps.options());
    if (num_gts == 0) result.gt_inds.fill_(0);
    if (gt_labels.defined()) result.labels = torch::full({num_bboxes}, -1, long_opts);
    return result;
  }
  auto [max_overlaps, argmax_overlaps] = overlaps.max(0);
  auto [gt_max_overlaps, gt_argmax_overlaps] = overlaps.max(1);
  result.gt_inds.index_put_({(max_overlaps >= 0) & (max_overlaps < cfg_.neg_iou_thr())}, 0);
  const torch::Tensor pos = max_overlaps >= cfg_.pos_iou_thr();
  result.gt_inds.index_put_({pos}, argmax_overlaps.index({pos}) + 1);
  if (cfg_.match_low_quality()) {
    // Gt by gt, in order: a later gt wins a box both reach with their best IoU.
    const torch::Tensor gt_max_cpu = gt_max_overlaps.cpu();
    const torch::Tensor gt_argmax_cpu = gt_argmax_overlaps.cpu();
    for (int64_t i = 0; i < num_gts; ++i) {
      const float best = gt_max_cpu[i].item<float>();
      if (best < cfg_.min_pos_iou()) continue;
      if (cfg_.gt_max_assign_all()) {
        result.gt_inds.index_put_({overlaps[i] == best}, i + 1);
      } else {
        result.gt_inds.index_put_({gt_argmax_cpu[i].item<int64_t>()}, i + 1);
      }
    }
  }
  result.max_overlaps = max_overlaps;
  if (gt_labels.defined()) {
    result.labels = torch::full({num_bboxes}, -1, long_opts);
    const torch::Tensor pos_inds = torch::nonzero(result.gt_inds > 0).view(-1);
    if (pos_inds.numel() > 0) {
      result.labels.index_put_(
          {pos_inds}, gt_labels.to(torch::kInt64).index({result.gt_inds.index({pos_inds}) - 1}));
    }
  }
  return result;
}

namespace {

absl::StatusOr<std::shared_ptr<Assigner>> MaxIoUFromConfig(const config::MaxIoUAssigner& cfg,
                                                           const std::string& path) {
  if (cfg.neg_iou_thr() > cfg.pos_iou_thr()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ".neg_iou_thr: must not exceed pos_iou_thr"));
  }
  return std::shared_ptr<Assigner>(std::make_shared<MaxIoUAssigner>(cfg));
}

}  // namespace

MMDET_REGISTER(AssignerRegistry, config::MaxIoUAssigner, MaxIoUFromConfig);

}  // namespace mmdet::models
