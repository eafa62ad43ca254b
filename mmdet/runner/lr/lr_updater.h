// The learning-rate schedule of MMDetection v2.0 (mmcv 0.5's LrUpdaterHook family), exactly:
//
//   regular lr (per param group, from its initial lr `base`):
//     step    base * gamma ^ (number of `step` entries <= progress)
//     cosine  min_lr + 0.5 * (base - min_lr) * (1 + cos(pi * (progress / max_progress)))
//   where progress is the 0-based epoch (by_epoch) or the global iteration;
//   warmup (during the first warmup_iters iterations, by iteration):
//     constant  regular * warmup_ratio
//     linear    regular * (1 - (1 - iter / warmup_iters) * (1 - warmup_ratio))
//     exp       regular * warmup_ratio ^ (1 - iter / warmup_iters)
//   and the hook's timing: by epoch, the regular lr is set before each epoch and the warmup lr
//   before each iteration up to warmup_iters (at warmup_iters the regular lr again); by
//   iteration, before each iteration.
//
// A new policy: a message in lr_config.proto's `policy` oneof (or through `custom`) and
//   MMDET_REGISTER(LrPolicyRegistry, my::PolyLr, PolyLrFromConfig);
#ifndef MMDET_RUNNER_LR_LR_UPDATER_H_
#define MMDET_RUNNER_LR_LR_UPDATER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/core/registry.h"
#include "mmdet/runner/lr/lr_config.pb.h"

namespace mmdet::runner {

// Where training is: runner.epoch (0-based), runner.iter (global), and their limits.
struct LrProgress {
  int epoch = 0;
  int64_t iter = 0;
  int max_epochs = 1;
  int64_t max_iters = 1;
};

class LrPolicy {
 public:
  virtual ~LrPolicy() = default;
  // get_lr(runner, base_lr); `progress` is the epoch or iteration as by_epoch says, `max` its
  // limit.
  virtual double Lr(double base_lr, int64_t progress, int64_t max) const = 0;
};

// Factories take the member's path ("lr_config.step").
using LrPolicyRegistry = Registry<LrPolicy, const std::string&>;

class LrUpdater {
 public:
  // `base_lrs`: each param group's initial lr. Errors name the field.
  static absl::StatusOr<LrUpdater> Create(const config::LrConfig& cfg,
                                          std::vector<double> base_lrs);

  // before_train_epoch / before_train_iter: the lrs to set now, empty for no change.
  std::vector<double> BeforeTrainEpoch(const LrProgress& p);
  std::vector<double> BeforeTrainIter(const LrProgress& p);

  // The regular lrs (without warmup) at `p`.
  std::vector<double> RegularLrs(const LrProgress& p) const;
  // The warmup lrs at iteration `iter` from the current regular lrs.
  std::vector<double> WarmupLrs(int64_t iter) const;

 private:
  LrUpdater() = default;
  config::LrConfig cfg_;
  std::shared_ptr<LrPolicy> policy_;
  std::vector<double> base_lrs_, regular_lrs_;
};

}  // namespace mmdet::runner

#endif  // MMDET_RUNNER_LR_LR_UPDATER_H_
