#include "mmdet/models/task_modules/samplers/sampler.h"

#include <utility>

namespace mmdet::models {

SamplingResult MakeSamplingResult(torch::Tensor pos_inds, torch::Tensor neg_inds,
                                  const torch::Tensor& bboxes, const torch::Tensor& gt_bboxes,
                                  const AssignResult& assign, const torch::Tensor& gt_flags) {
  SamplingResult r;
  r.pos_inds = std::move(pos_inds);
  r.neg_inds = std::move(neg_inds);
  r.pos_bboxes = bboxes.index({r.pos_inds});
  r.neg_bboxes = bboxes.index({r.neg_inds});
  r.pos_is_gt = gt_flags.index({r.pos_inds});
  r.num_gts = gt_bboxes.size(0);
  r.pos_assigned_gt_inds = assign.gt_inds.index({r.pos_inds}) - 1;
  if (gt_bboxes.numel() == 0) {
    r.pos_gt_bboxes = torch::empty({0, 4}, bboxes.options());
  } else {
    r.pos_gt_bboxes = gt_bboxes.view({-1, 4}).index({r.pos_assigned_gt_inds});
  }
  if (assign.labels.defined()) r.pos_gt_labels = assign.labels.index({r.pos_inds});
  return r;
}

absl::StatusOr<std::shared_ptr<BBoxSampler>> BuildBBoxSampler(const config::Sampler& cfg,
                                                              const std::string& path) {
  return BuildFromConfig(BBoxSamplerRegistry::Global(), cfg, path);
}

}  // namespace mmdet::models
