#include "mmdet/models/task_modules/assigners/assigner.h"

namespace mmdet::models {

void AssignResult::AddGtAsProposals(int64_t n, const torch::Tensor& gt_labels) {
  const auto long_opts = gt_inds.options();
  gt_inds = torch::cat({torch::arange(1, n + 1, long_opts), gt_inds});
  max_overlaps = torch::cat({torch::ones({n}, max_overlaps.options()), max_overlaps});
  if (labels.defined() && gt_labels.defined()) {
    labels = torch::cat({gt_labels.to(labels.options()), labels});
  }
}

absl::StatusOr<std::shared_ptr<Assigner>> BuildAssigner(const config::Assigner& cfg,
                                                        const std::string& path) {
  return BuildFromConfig(AssignerRegistry::Global(), cfg, path);
}

}  // namespace mmdet::models
