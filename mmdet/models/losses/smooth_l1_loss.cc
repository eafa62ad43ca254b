#include "mmdet/models/losses/smooth_l1_loss.h"

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"

namespace mmdet::models {

torch::Tensor SmoothL1Loss::Compute(const torch::Tensor& pred, const torch::Tensor& target,
                                    const torch::Tensor& weight, std::optional<double> avg_factor,
                                    std::optional<config::Reduction> override) const {
  const double beta = cfg_.beta();
  const torch::Tensor diff = torch::abs(pred - target);
  const torch::Tensor loss =
      torch::where(diff < beta, 0.5 * diff * diff / beta, diff - 0.5 * beta);
  return cfg_.loss_weight() *
         WeightReduceLoss(loss, weight, override.value_or(cfg_.reduction()), avg_factor);
}

namespace {

absl::StatusOr<std::shared_ptr<Loss>> SmoothL1FromConfig(const config::SmoothL1Loss& cfg,
                                                         const std::string& path) {
  if (cfg.beta() <= 0) return absl::InvalidArgumentError(absl::StrCat(path, ".beta: must be > 0"));
  return std::shared_ptr<Loss>(std::make_shared<SmoothL1Loss>(cfg));
}

}  // namespace

MMDET_REGISTER(LossRegistry, config::SmoothL1Loss, SmoothL1FromConfig);

}  // namespace mmdet::models
