// The positive/negative sampler interface and registry, and SamplingResult: MMDetection v2's
// mmdet/core/bbox/samplers, with its exact semantics, built from `config::Sampler` by type:
//
//   MMDET_ASSIGN_OR_RETURN(auto sampler, BuildBBoxSampler(train_cfg.sampler(), path));
//
// Geometry is v2's: boxes are (x1, y1, x2, y2) floats with width x2 - x1 (no "+1").
//
// A new sampler: subclass BBoxSampler (MakeSamplingResult below builds the result from the
// chosen indices, as MMDetection's BaseSampler does), add a message to samplers/ (and a member
// to Sampler's oneof, or use `custom`), register it with
// MMDET_REGISTER(BBoxSamplerRegistry, config::MySampler, MySamplerFromConfig); see
// docs/new_component.md.
#ifndef MMDET_MODELS_TASK_MODULES_SAMPLERS_SAMPLER_H_
#define MMDET_MODELS_TASK_MODULES_SAMPLERS_SAMPLER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "mmdet/core/registry.h"
#include "mmdet/models/task_modules/assigners/assigner.h"
#include "mmdet/models/task_modules/samplers/sampler.pb.h"
#include "torch/types.h"

namespace mmdet::models {

// MMDetection's SamplingResult.
struct SamplingResult {
  torch::Tensor pos_inds, neg_inds;      // int64, ascending
  torch::Tensor pos_bboxes, neg_bboxes;  // x 4
  torch::Tensor pos_is_gt;               // uint8 [num_pos]
  int64_t num_gts = 0;
  torch::Tensor pos_assigned_gt_inds;    // int64 [num_pos], 0-based
  torch::Tensor pos_gt_bboxes;           // [num_pos, 4]
  torch::Tensor pos_gt_labels;           // int64 [num_pos] (undefined without labels)
  // cat(pos_bboxes, neg_bboxes)
  torch::Tensor bboxes() const { return torch::cat({pos_bboxes, neg_bboxes}); }
};

class BBoxSampler {
 public:
  virtual ~BBoxSampler() = default;
  // `assign` is updated when gts are added as proposals. Random draws use torch's default
  // generator (seeded by the runner).
  virtual SamplingResult Sample(AssignResult& assign, const torch::Tensor& bboxes,
                                const torch::Tensor& gt_bboxes,
                                const torch::Tensor& gt_labels) const = 0;
};

using BBoxSamplerRegistry = Registry<BBoxSampler, const std::string&>;
absl::StatusOr<std::shared_ptr<BBoxSampler>> BuildBBoxSampler(const config::Sampler& cfg,
                                                              const std::string& path);

// Shared by the samplers (MMDetection's SamplingResult constructor): the result of sampling
// `pos_inds` and `neg_inds` (int64 indices into `bboxes`, [n, 4], gts first when they were
// added as proposals) under `assign`; `gt_flags` is uint8 [n], 1 for the added gts.
SamplingResult MakeSamplingResult(torch::Tensor pos_inds, torch::Tensor neg_inds,
                                  const torch::Tensor& bboxes, const torch::Tensor& gt_bboxes,
                                  const AssignResult& assign, const torch::Tensor& gt_flags);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_TASK_MODULES_SAMPLERS_SAMPLER_H_
