#include "mmdet/models/losses/cross_entropy_loss.h"

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "torch/nn/functional.h"
#include "torch/nn/functional/loss.h"

namespace mmdet::models {

namespace {
namespace F = torch::nn::functional;
}  // namespace

torch::Tensor CrossEntropyLoss::Compute(const torch::Tensor& pred, const torch::Tensor& target,
                                        const torch::Tensor& weight,
                                        std::optional<double> avg_factor,
                                        std::optional<config::Reduction> override) const {
  const config::Reduction reduction = override.value_or(cfg_.reduction());
  torch::Tensor loss;
  if (cfg_.use_mask()) {
    // target: [N, h, w] masks; weight: the labels [N] choosing each RoI's channel.
    const torch::Tensor inds = torch::arange(pred.size(0), target.options().dtype(torch::kInt64));
    const torch::Tensor slice = pred.index({inds, weight.to(torch::kInt64)});
    loss = F::binary_cross_entropy_with_logits(
        slice, target.to(slice.dtype()),
        F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kMean));
    return cfg_.loss_weight() * loss.unsqueeze(0);
  }
  if (cfg_.use_sigmoid()) {
    torch::Tensor labels = target, weights = weight;
    if (pred.dim() != target.dim()) {
      const int64_t channels = pred.size(-1);
      torch::Tensor bin = torch::zeros_like(pred);
      const torch::Tensor valid = (target >= 0) & (target < channels);
      const torch::Tensor inds = torch::nonzero(valid).view(-1);
      if (inds.numel() > 0) bin.index_put_({inds, target.index({inds}).to(torch::kInt64)}, 1);
      labels = bin;
      if (weights.defined()) weights = weights.view({-1, 1}).expand({weights.size(0), channels});
    }
    loss = F::binary_cross_entropy_with_logits(
        pred, labels.to(pred.dtype()),
        F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone));
    return cfg_.loss_weight() * WeightReduceLoss(loss, weights.defined()
                                                           ? weights.to(loss.dtype())
                                                           : weights,
                                                 reduction, avg_factor);
  }
  loss = F::cross_entropy(pred, target.to(torch::kInt64),
                          F::CrossEntropyFuncOptions().reduction(torch::kNone));
  return cfg_.loss_weight() *
         WeightReduceLoss(loss, weight.defined() ? weight.to(loss.dtype()) : weight, reduction,
                          avg_factor);
}

namespace {

absl::StatusOr<std::shared_ptr<Loss>> CrossEntropyFromConfig(const config::CrossEntropyLoss& cfg,
                                                             const std::string& path) {
  if (cfg.use_sigmoid() && cfg.use_mask()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": use_sigmoid and use_mask are exclusive"));
  }
  return std::shared_ptr<Loss>(std::make_shared<CrossEntropyLoss>(cfg));
}

}  // namespace

MMDET_REGISTER(LossRegistry, config::CrossEntropyLoss, CrossEntropyFromConfig);

}  // namespace mmdet::models
