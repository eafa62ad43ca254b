#include "mmdet/models/losses/loss.h"

namespace mmdet::models {

torch::Tensor WeightReduceLoss(torch::Tensor loss, const torch::Tensor& weight,
                               config::Reduction reduction, std::optional<double> avg_factor) {
  if (weight.defined()) loss = loss * weight;
  if (!avg_factor.has_value()) {
    switch (reduction) {
      case config::mean: return loss.mean();
      case config::sum: return loss.sum();
      default: return loss;
    }
  }
  // MMDetection rejects avg_factor with "sum"; the configs never combine them, so sum here.
  if (reduction == config::mean) return loss.sum() / *avg_factor;
  return reduction == config::sum ? loss.sum() : loss;
}

absl::StatusOr<std::shared_ptr<Loss>> BuildLoss(const config::Loss& cfg, const std::string& path) {
  return BuildFromConfig(LossRegistry::Global(), cfg, path);
}

}  // namespace mmdet::models
