#include "mmdet/datasets/pipelines/transform.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "mmdet/core/status.h"
#include "mmdet/core/status_macros.h"

namespace mmdet::datasets {

double Uniform(Rng& rng, double lo, double hi) {
  return lo + (hi - lo) * std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

int64_t RandInt(Rng& rng, int64_t lo, int64_t hi) {
  if (hi <= lo + 1) return lo;
  return std::uniform_int_distribution<int64_t>(lo, hi - 1)(rng);
}

absl::Status Transform::ApplyAll(std::vector<Results>& samples, Rng& rng) const {
  std::vector<Results> kept;
  kept.reserve(samples.size());
  for (Results& results : samples) {
    bool keep = true;
    absl::Status status = Apply(results, rng, &keep);
    if (!status.ok()) return Annotate(status, name());
    if (keep) kept.push_back(std::move(results));
  }
  samples = std::move(kept);
  return absl::OkStatus();
}

absl::Status Pipeline::RunAll(std::vector<Results>& samples, Rng& rng) const {
  for (const auto& transform : transforms_) {
    if (samples.empty()) break;
    absl::Status status = transform->ApplyAll(samples, rng);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Results>> Pipeline::Run(Results results, Rng& rng) const {
  std::vector<Results> samples;
  samples.push_back(std::move(results));
  absl::Status status = RunAll(samples, rng);
  if (!status.ok()) return status;
  return samples;
}

absl::StatusOr<Pipeline> BuildPipeline(
    const google::protobuf::RepeatedPtrField<config::Transform>& config, const std::string& path) {
  std::vector<std::shared_ptr<const Transform>> transforms;
  for (int i = 0; i < config.size(); ++i) {
    MMDET_ASSIGN_OR_RETURN(std::shared_ptr<Transform> transform,
                           BuildFromConfig(TransformRegistry::Global(), config[i],
                                           absl::StrCat(path, "[", i, "]")));
    transforms.push_back(std::move(transform));
  }
  return Pipeline(std::move(transforms));
}

}  // namespace mmdet::datasets
