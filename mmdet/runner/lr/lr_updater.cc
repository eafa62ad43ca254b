#include "mmdet/runner/lr/lr_updater.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "mmdet/core/status_macros.h"

namespace mmdet::runner {
namespace {

constexpr double kPi = 3.141592653589793;  // math.pi

class StepPolicy : public LrPolicy {
 public:
  explicit StepPolicy(const config::StepLr& cfg) : cfg_(cfg) {}
  double Lr(double base_lr, int64_t progress, int64_t) const override {
    int exp = cfg_.step_size();
    for (int i = 0; i < cfg_.step_size(); ++i) {
      if (progress < cfg_.step(i)) {
        exp = i;
        break;
      }
    }
    return base_lr * std::pow(cfg_.gamma(), static_cast<double>(exp));
  }

 private:
  config::StepLr cfg_;
};

class CosinePolicy : public LrPolicy {
 public:
  explicit CosinePolicy(const config::CosineLr& cfg) : cfg_(cfg) {}
  double Lr(double base_lr, int64_t progress, int64_t max) const override {
    const double target = cfg_.min_lr();
    return target + 0.5 * (base_lr - target) *
                        (1 + std::cos(kPi * (static_cast<double>(progress) /
                                             static_cast<double>(max))));
  }

 private:
  config::CosineLr cfg_;
};

absl::StatusOr<std::shared_ptr<LrPolicy>> StepFromConfig(const config::StepLr& cfg,
                                                         const std::string& path) {
  if (cfg.step_size() == 0) return absl::InvalidArgumentError(path + ".step: required");
  for (int i = 0; i < cfg.step_size(); ++i) {
    if (cfg.step(i) <= 0 || (i > 0 && cfg.step(i) < cfg.step(i - 1))) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ".step: expected positive, ascending positions"));
    }
  }
  return std::shared_ptr<LrPolicy>(std::make_shared<StepPolicy>(cfg));
}

absl::StatusOr<std::shared_ptr<LrPolicy>> CosineFromConfig(const config::CosineLr& cfg,
                                                           const std::string&) {
  return std::shared_ptr<LrPolicy>(std::make_shared<CosinePolicy>(cfg));
}

}  // namespace

absl::StatusOr<LrUpdater> LrUpdater::Create(const config::LrConfig& cfg,
                                            std::vector<double> base_lrs) {
  LrUpdater u;
  u.cfg_ = cfg;
  MMDET_ASSIGN_OR_RETURN(u.policy_,
                         BuildFromConfig(LrPolicyRegistry::Global(), cfg, "lr_config"));
  if (cfg.warmup() != config::LrConfig::none) {
    if (cfg.warmup_iters() <= 0) {
      return absl::InvalidArgumentError("lr_config.warmup_iters: must be a positive integer");
    }
    if (!(cfg.warmup_ratio() > 0 && cfg.warmup_ratio() <= 1.0)) {
      return absl::InvalidArgumentError("lr_config.warmup_ratio: must be in (0, 1]");
    }
  }
  u.base_lrs_ = std::move(base_lrs);
  u.regular_lrs_ = u.base_lrs_;
  return u;
}

std::vector<double> LrUpdater::RegularLrs(const LrProgress& p) const {
  const int64_t progress = cfg_.by_epoch() ? p.epoch : p.iter;
  const int64_t max = cfg_.by_epoch() ? p.max_epochs : p.max_iters;
  std::vector<double> lrs;
  for (double base : base_lrs_) lrs.push_back(policy_->Lr(base, progress, max));
  return lrs;
}

std::vector<double> LrUpdater::WarmupLrs(int64_t iter) const {
  const double ratio = cfg_.warmup_ratio();
  const double cur = static_cast<double>(iter), total = static_cast<double>(cfg_.warmup_iters());
  std::vector<double> lrs;
  for (double lr : regular_lrs_) {
    switch (cfg_.warmup()) {
      case config::LrConfig::constant:
        lrs.push_back(lr * ratio);
        break;
      case config::LrConfig::linear: {
        const double k = (1 - cur / total) * (1 - ratio);
        lrs.push_back(lr * (1 - k));
        break;
      }
      case config::LrConfig::exp: {
        const double k = std::pow(ratio, 1 - cur / total);
        lrs.push_back(lr * k);
        break;
      }
      default:
        lrs.push_back(lr);
    }
  }
  return lrs;
}

std::vector<double> LrUpdater::BeforeTrainEpoch(const LrProgress& p) {
  if (!cfg_.by_epoch()) return {};
  regular_lrs_ = RegularLrs(p);
  return regular_lrs_;
}

std::vector<double> LrUpdater::BeforeTrainIter(const LrProgress& p) {
  const bool warmup = cfg_.warmup() != config::LrConfig::none;
  if (!cfg_.by_epoch()) {
    regular_lrs_ = RegularLrs(p);
    if (!warmup || p.iter >= cfg_.warmup_iters()) return regular_lrs_;
    return WarmupLrs(p.iter);
  }
  if (!warmup || p.iter > cfg_.warmup_iters()) return {};
  if (p.iter == cfg_.warmup_iters()) return regular_lrs_;
  return WarmupLrs(p.iter);
}

MMDET_REGISTER(LrPolicyRegistry, config::StepLr, StepFromConfig);
MMDET_REGISTER(LrPolicyRegistry, config::CosineLr, CosineFromConfig);

}  // namespace mmdet::runner
