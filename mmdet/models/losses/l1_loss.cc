#include "mmdet/models/losses/l1_loss.h"

#include <memory>
#include <optional>
#include <string>

namespace mmdet::models {

torch::Tensor L1Loss::Compute(const torch::Tensor& pred, const torch::Tensor& target,
                              const torch::Tensor& weight, std::optional<double> avg_factor,
                              std::optional<config::Reduction> override) const {
  return cfg_.loss_weight() * WeightReduceLoss(torch::abs(pred - target), weight,
                                               override.value_or(cfg_.reduction()), avg_factor);
}

namespace {

absl::StatusOr<std::shared_ptr<Loss>> L1FromConfig(const config::L1Loss& cfg, const std::string&) {
  return std::shared_ptr<Loss>(std::make_shared<L1Loss>(cfg));
}

}  // namespace

MMDET_REGISTER(LossRegistry, config::L1Loss, L1FromConfig);

}  // namespace mmdet::models
