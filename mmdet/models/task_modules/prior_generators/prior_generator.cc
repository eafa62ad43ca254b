#include "mmdet/models/task_modules/prior_generators/prior_generator.h"

namespace mmdet::models {

torch::Tensor AnchorInsideFlags(const torch::Tensor& anchors, const torch::Tensor& valid_flags,
                                const std::array<int64_t, 2>& img_shape, int64_t allowed_border) {
  if (allowed_border < 0) return valid_flags;
  const double b = static_cast<double>(allowed_border);
  return valid_flags & (anchors.select(1, 0) >= -b) & (anchors.select(1, 1) >= -b) &
         (anchors.select(1, 2) < img_shape[1] + b) & (anchors.select(1, 3) < img_shape[0] + b);
}

absl::StatusOr<std::shared_ptr<PriorGenerator>> BuildPriorGenerator(
    const config::PriorGenerator& cfg, const std::string& path) {
  return BuildFromConfig(PriorGeneratorRegistry::Global(), cfg, path);
}

}  // namespace mmdet::models
