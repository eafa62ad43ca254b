// mmcv 0.5's training hooks, registered by RegisterTrainingHooks as mmcv's
// register_training_hooks does (priority in brackets):
//
//   LrUpdaterHook   [VERY_HIGH]  the lr schedule (lr/lr_updater.h) before epochs / iterations
//   OptimizerHook   [HIGH]       zero_grad, backward of `loss`, clip_grad_norm_ (grad_clip over
//                                the parameters that require and have a grad), step; with the
//                                config's fp16 section mmcv's Fp16OptimizerHook (LossScaler)
//   CheckpointHook  [NORMAL]     epoch_N.pth + latest.pth every `interval` epochs (rank 0)
//   IterTimerHook   [LOW]        `data_time` (loading) and `time` (whole iteration), seconds
//   TextLoggerHook  [VERY_LOW]   every log_config.interval iterations of an epoch (the last
//                                partial interval is dropped, ignore_last): the text line
//                                  Epoch [1][50/7330]\tlr: 2.000e-02, eta: 0:01:02, time: 0.594,
//                                  data_time: 0.033, memory: 0, loss_rpn_cls: 0.3086, ...
//                                and the <timestamp>.log.json line (first line: runner meta)
//                                  {"mode": "train", "epoch": 1, "iter": 50, "lr": 0.02,
//                                   "time": .., "data_time": .., "memory": 0, <log_vars>...}
//                                floats rounded to 5 decimals; memory in MB (0 on the CPU).
//                                After a workflow val stage, its mean losses as later mmcv
//                                logs them: Epoch(val) [1][25]\tloss_rpn_cls: ... and
//                                {"mode": "val", "epoch": 1, "iter": 25, "lr": .., <losses>}.
#ifndef MMDET_RUNNER_HOOKS_STANDARD_HOOKS_H_
#define MMDET_RUNNER_HOOKS_STANDARD_HOOKS_H_

#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mmdet/core/registry.h"
#include "mmdet/runner/checkpoint/training_checkpoint.h"
#include "mmdet/runner/hooks/hooks.pb.h"
#include "mmdet/runner/lr/lr_updater.h"
#include "mmdet/runner/optim/optimizer.pb.h"
#include "mmdet/runner/runner.h"

namespace mmdet::runner {

class LrUpdaterHook : public Hook {
 public:
  explicit LrUpdaterHook(LrUpdater updater) : updater_(std::move(updater)) {}
  absl::Status BeforeTrainEpoch(Runner& runner) override;
  absl::Status BeforeTrainIter(Runner& runner) override;

 private:
  LrProgress Progress(const Runner& runner) const;
  LrUpdater updater_;
};

// What distributed training does around backward (GradientSync, dist/grad_sync.h): Prepare
// before it, Finish after it (the gradients averaged over the ranks) and before clipping.
class GradReducer {
 public:
  virtual ~GradReducer() = default;
  virtual void Prepare() = 0;
  virtual absl::Status Finish() = 0;
};

// The loss scale of fp16 training: torch.cuda.amp.GradScaler's arithmetic (a float32 scale,
// gradients multiplied by the float32 of its double reciprocal, a step skipped when any
// gradient holds an inf or NaN) as mmcv's Fp16OptimizerHook drives it: a fixed loss_scale is
// kept (GradScaler.update(new_scale)), `dynamic` multiplies it by backoff_factor on overflow
// and by growth_factor after growth_interval clean steps in a row.
class LossScaler {
 public:
  explicit LossScaler(const config::Fp16Config& cfg);
  float scale() const { return scale_; }
  int growth_tracker() const { return growth_tracker_; }
  torch::Tensor Scale(const torch::Tensor& loss) const { return loss * scale_; }
  // Unscales every defined gradient in place; true when one held an inf or NaN.
  bool Unscale(const std::vector<torch::Tensor>& params) const;
  // After the step (or its skip).
  void Update(bool found_inf);
  // GradScaler's state_dict / load_state_dict (a resume takes all of it, as mmcv does).
  LossScaleState State() const;
  void Restore(const LossScaleState& state);

 private:
  bool dynamic_;
  float scale_;
  float growth_factor_ = 2, backoff_factor_ = 0.5;
  int growth_interval_ = 2000, growth_tracker_ = 0;
};

class OptimizerHook : public Hook {
 public:
  // With `fp16` (the config's fp16 section): the loss scaled before backward, the gradients
  // unscaled after the all-reduce and before clipping, overflowing steps skipped and logged.
  explicit OptimizerHook(config::OptimizerHookConfig cfg, GradReducer* reducer = nullptr,
                         const config::Fp16Config* fp16 = nullptr)
      : cfg_(std::move(cfg)), reducer_(reducer) {
    if (fp16 != nullptr) scaler_.emplace(*fp16);
  }
  absl::Status AfterTrainIter(Runner& runner) override;
  const std::optional<LossScaler>& loss_scaler() const { return scaler_; }
  std::optional<LossScaler>& loss_scaler() { return scaler_; }

 private:
  config::OptimizerHookConfig cfg_;
  GradReducer* reducer_;
  std::optional<LossScaler> scaler_;
};

class CheckpointHook : public Hook {
 public:
  // `meta` carries config text and classes; `initial_lrs` the schedule's base lrs.
  // `loss_scaler` (fp16 training, may be null): its state goes into meta['fp16'].
  CheckpointHook(config::CheckpointConfig cfg, CheckpointMeta meta,
                 std::vector<double> initial_lrs, const LossScaler* loss_scaler = nullptr)
      : cfg_(std::move(cfg)),
        meta_(std::move(meta)),
        initial_lrs_(std::move(initial_lrs)),
        loss_scaler_(loss_scaler) {}
  absl::Status AfterTrainEpoch(Runner& runner) override;  // by_epoch: epoch_N.pth
  absl::Status AfterTrainIter(Runner& runner) override;   // by_epoch false: iter_N.pth

 private:
  // Rank 0 writes the checkpoint of the epoch (by_epoch) or iteration that just ended.
  absl::Status Save(Runner& runner);

  config::CheckpointConfig cfg_;
  CheckpointMeta meta_;
  std::vector<double> initial_lrs_;
  const LossScaler* loss_scaler_;
};

class IterTimerHook : public Hook {
 public:
  absl::Status BeforeTrainEpoch(Runner& runner) override;
  absl::Status BeforeTrainIter(Runner& runner) override;
  absl::Status AfterTrainIter(Runner& runner) override;

 private:
  std::chrono::steady_clock::time_point t_;
};

class TextLoggerHook : public Hook {
 public:
  // `memory_mb`: the peak memory to log (MB); null logs 0.
  TextLoggerHook(int interval, std::function<int64_t()> memory_mb = nullptr)
      : interval_(interval), memory_mb_(std::move(memory_mb)) {}
  absl::Status BeforeRun(Runner& runner) override;
  absl::Status BeforeTrainEpoch(Runner& runner) override;
  absl::Status AfterTrainIter(Runner& runner) override;
  absl::Status AfterTrainEpoch(Runner& runner) override;
  absl::Status BeforeValEpoch(Runner& runner) override;
  absl::Status AfterValEpoch(Runner& runner) override;
  const std::string& json_path() const { return json_path_; }
  void set_memory_mb(std::function<int64_t()> memory_mb) { memory_mb_ = std::move(memory_mb); }

 private:
  absl::Status Log(Runner& runner);
  absl::Status LogValStage(Runner& runner);
  int interval_;
  std::function<int64_t()> memory_mb_;
  std::string json_path_;
  double time_sec_tot_ = 0;
  int64_t start_iter_ = 0;
};

// A logger hook from log_config.hooks[i] (text_logger_hook or custom); factories take the
// member's path and the log_config (its interval).
using LoggerHookRegistry = Registry<Hook, const std::string&, const config::LogConfig&>;

// A user hook from custom_hooks[i]; factories take the member's path
// ("custom_hooks[0].custom").
using HookRegistry = Registry<Hook, const std::string&>;

// Builds and registers every custom_hooks entry at its priority. Errors name the entry.
absl::Status RegisterCustomHooks(
    Runner& runner, const google::protobuf::RepeatedPtrField<config::CustomHookConfig>& hooks);

struct TrainingHooksOptions {
  config::LrConfig lr_config;
  std::vector<double> base_lrs;  // each group's initial lr (resumed ones on resume)
  config::OptimizerHookConfig optimizer_config;
  std::optional<config::Fp16Config> fp16;  // the config's fp16 section, when it has one
  std::optional<LossScaleState> resumed_loss_scale;  // fp16: the resumed checkpoint's
  config::CheckpointConfig checkpoint_config;
  CheckpointMeta checkpoint_meta;
  config::LogConfig log_config;  // no hooks: one text_logger_hook
  std::function<int64_t()> memory_mb;
  GradReducer* grad_reducer = nullptr;  // distributed: the gradient all-reduce
};

// mmcv's register_training_hooks. Errors name the config field.
absl::Status RegisterTrainingHooks(Runner& runner, const TrainingHooksOptions& options);

}  // namespace mmdet::runner

#endif  // MMDET_RUNNER_HOOKS_STANDARD_HOOKS_H_
