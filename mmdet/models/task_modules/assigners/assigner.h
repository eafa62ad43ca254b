// The ground-truth assigner interface and registry, and AssignResult: MMDetection v2's
// mmdet/core/bbox/assigners, with its exact semantics, built from `config::Assigner` by type:
//
//   MMDET_ASSIGN_OR_RETURN(auto assigner, BuildAssigner(train_cfg.assigner(), path));
//
// Geometry is v2's: boxes are (x1, y1, x2, y2) floats with width x2 - x1 (no "+1").
//
// A new assigner: subclass Assigner, add a message to assigners/ (and a member to Assigner's
// oneof, or use `custom`), register it with
// MMDET_REGISTER(AssignerRegistry, config::MyAssigner, MyAssignerFromConfig); see
// docs/new_component.md.
#ifndef MMDET_MODELS_TASK_MODULES_ASSIGNERS_ASSIGNER_H_
#define MMDET_MODELS_TASK_MODULES_ASSIGNERS_ASSIGNER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "mmdet/core/registry.h"
#include "mmdet/models/task_modules/assigners/assigner.pb.h"
#include "torch/types.h"

namespace mmdet::models {

// MMDetection's AssignResult: gt_inds[i] = 0 negative, -1 ignored, k > 0 the (k-1)-th gt.
struct AssignResult {
  int64_t num_gts = 0;
  torch::Tensor gt_inds;       // int64 [num_bboxes]
  torch::Tensor max_overlaps;  // float [num_bboxes]
  torch::Tensor labels;        // int64 [num_bboxes], -1 where not positive; undefined if no labels
  // add_gt_: the gts as the first boxes, each assigned to itself (gt_labels may be undefined).
  void AddGtAsProposals(int64_t num_gts, const torch::Tensor& gt_labels);
};

class Assigner {
 public:
  virtual ~Assigner() = default;
  // gt_bboxes_ignore and gt_labels may be undefined tensors.
  virtual AssignResult Assign(const torch::Tensor& bboxes, const torch::Tensor& gt_bboxes,
                              const torch::Tensor& gt_bboxes_ignore,
                              const torch::Tensor& gt_labels) const = 0;
};

using AssignerRegistry = Registry<Assigner, const std::string&>;
absl::StatusOr<std::shared_ptr<Assigner>> BuildAssigner(const config::Assigner& cfg,
                                                        const std::string& path);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_TASK_MODULES_ASSIGNERS_ASSIGNER_H_
