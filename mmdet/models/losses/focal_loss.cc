#include "mmdet/models/losses/focal_loss.h"

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "mmdet/ops/focal_loss.h"

namespace mmdet::models {

torch::Tensor FocalLoss::Compute(const torch::Tensor& pred, const torch::Tensor& target,
                                 const torch::Tensor& weight, std::optional<double> avg_factor,
                                 std::optional<config::Reduction> override) const {
  torch::Tensor loss =
      ops::SigmoidFocalLoss(pred, target.to(torch::kInt64), cfg_.gamma(), cfg_.alpha());
  torch::Tensor w = weight;
  if (w.defined()) {
    w = w.to(loss.dtype());
    if (w.sizes() != loss.sizes() && w.dim() == 1 && w.size(0) == loss.size(0)) {
      w = w.view({-1, 1});
    }
  }
  return cfg_.loss_weight() *
         WeightReduceLoss(loss, w, override.value_or(cfg_.reduction()), avg_factor);
}

namespace {

absl::StatusOr<std::shared_ptr<Loss>> FocalFromConfig(const config::FocalLoss& cfg,
                                                      const std::string& path) {
  if (!cfg.use_sigmoid()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ".use_sigmoid: only the sigmoid focal loss exists (as in MMDetection)"));
  }
  return std::shared_ptr<Loss>(std::make_shared<FocalLoss>(cfg));
}

}  // namespace

MMDET_REGISTER(LossRegistry, config::FocalLoss, FocalFromConfig);

}  // namespace mmdet::models
