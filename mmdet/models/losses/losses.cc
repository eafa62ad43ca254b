#include "mmdet/models/losses/losses.h"

#include "absl/strings/str_cat.h"
#include "mmdet/ops/focal_loss.h"
#include "torch/nn/functional.h"

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

namespace {

namespace F = torch::nn::functional;

// CrossEntropyLoss: softmax (labels [N] in [0, C]), sigmoid (binary, labels one-hot expanded
// where 0 <= label < C, background C all zeros: MMDetection >= 2.5's _expand_binary_labels;
// v2.0-2.4 put label l in column l - 1, which gives the same targets for the RPN's single
// channel and differs only for a sigmoid cross-entropy on a multi-class head) or mask
// (mask_cross_entropy).
class CrossEntropyLoss : public Loss {
 public:
  explicit CrossEntropyLoss(const config::CrossEntropyLoss& cfg) : cfg_(cfg) {}
  bool use_sigmoid() const override { return cfg_.use_sigmoid(); }

  torch::Tensor Compute(const torch::Tensor& pred, const torch::Tensor& target,
                        const torch::Tensor& weight, std::optional<double> avg_factor,
                        std::optional<config::Reduction> override) const override {
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

 private:
  config::CrossEntropyLoss cfg_;
};

// FocalLoss: sigmoid focal loss over labels [N] in [0, C] (C = background).
class FocalLoss : public Loss {
 public:
  explicit FocalLoss(const config::FocalLoss& cfg) : cfg_(cfg) {}
  bool use_sigmoid() const override { return true; }
  torch::Tensor Compute(const torch::Tensor& pred, const torch::Tensor& target,
                        const torch::Tensor& weight, std::optional<double> avg_factor,
                        std::optional<config::Reduction> override) const override {
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

 private:
  config::FocalLoss cfg_;
};

class SmoothL1Loss : public Loss {
 public:
  explicit SmoothL1Loss(const config::SmoothL1Loss& cfg) : cfg_(cfg) {}
  torch::Tensor Compute(const torch::Tensor& pred, const torch::Tensor& target,
                        const torch::Tensor& weight, std::optional<double> avg_factor,
                        std::optional<config::Reduction> override) const override {
    const double beta = cfg_.beta();
    const torch::Tensor diff = torch::abs(pred - target);
    const torch::Tensor loss =
        torch::where(diff < beta, 0.5 * diff * diff / beta, diff - 0.5 * beta);
    return cfg_.loss_weight() *
           WeightReduceLoss(loss, weight, override.value_or(cfg_.reduction()), avg_factor);
  }

 private:
  config::SmoothL1Loss cfg_;
};

class L1Loss : public Loss {
 public:
  explicit L1Loss(const config::L1Loss& cfg) : cfg_(cfg) {}
  torch::Tensor Compute(const torch::Tensor& pred, const torch::Tensor& target,
                        const torch::Tensor& weight, std::optional<double> avg_factor,
                        std::optional<config::Reduction> override) const override {
    return cfg_.loss_weight() * WeightReduceLoss(torch::abs(pred - target), weight,
                                                 override.value_or(cfg_.reduction()), avg_factor);
  }

 private:
  config::L1Loss cfg_;
};

absl::StatusOr<std::shared_ptr<Loss>> CrossEntropyFromConfig(const config::CrossEntropyLoss& cfg,
                                                             const std::string& path) {
  if (cfg.use_sigmoid() && cfg.use_mask()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": use_sigmoid and use_mask are exclusive"));
  }
  return std::shared_ptr<Loss>(std::make_shared<CrossEntropyLoss>(cfg));
}

absl::StatusOr<std::shared_ptr<Loss>> FocalFromConfig(const config::FocalLoss& cfg,
                                                      const std::string& path) {
  if (!cfg.use_sigmoid()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ".use_sigmoid: only the sigmoid focal loss exists (as in MMDetection)"));
  }
  return std::shared_ptr<Loss>(std::make_shared<FocalLoss>(cfg));
}

absl::StatusOr<std::shared_ptr<Loss>> SmoothL1FromConfig(const config::SmoothL1Loss& cfg,
                                                         const std::string& path) {
  if (cfg.beta() <= 0) return absl::InvalidArgumentError(absl::StrCat(path, ".beta: must be > 0"));
  return std::shared_ptr<Loss>(std::make_shared<SmoothL1Loss>(cfg));
}

absl::StatusOr<std::shared_ptr<Loss>> L1FromConfig(const config::L1Loss& cfg, const std::string&) {
  return std::shared_ptr<Loss>(std::make_shared<L1Loss>(cfg));
}

}  // namespace

MMDET_REGISTER(LossRegistry, config::CrossEntropyLoss, CrossEntropyFromConfig);
MMDET_REGISTER(LossRegistry, config::FocalLoss, FocalFromConfig);
MMDET_REGISTER(LossRegistry, config::SmoothL1Loss, SmoothL1FromConfig);
MMDET_REGISTER(LossRegistry, config::L1Loss, L1FromConfig);

}  // namespace mmdet::models
