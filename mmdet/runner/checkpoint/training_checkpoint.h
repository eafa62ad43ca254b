// Training checkpoints as MMDetection v2.0 / mmcv 0.5 write and resume them:
//
//   {'meta': {'mmdet_version': .., 'config': <config text>, 'CLASSES': (..), 'epoch': N,
//             'iter': I, 'mmcv_version': .., 'time': time.asctime()},
//    'state_dict': OrderedDict(model weights, on the CPU),
//    'optimizer': optimizer.state_dict()}            (see optimizer_state.h)
//
// `epoch` is the number of finished epochs (runner.epoch + 1) and `iter` the global iteration
// count, so resuming from epoch_N.pth starts epoch N + 1 (0-based runner.epoch N) at iteration
// `iter`, as mmcv's Runner.resume does. Files are written atomically (temp file + rename);
// latest.pth is a relative symlink to the newest epoch_N.pth, replaced atomically too, so a
// kill at any moment leaves either the old or the new checkpoint, never a truncated one.
#ifndef MMDET_RUNNER_CHECKPOINT_TRAINING_CHECKPOINT_H_
#define MMDET_RUNNER_CHECKPOINT_TRAINING_CHECKPOINT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "torch/nn/module.h"
#include "torch/optim/optimizer.h"

namespace mmdet::runner {

// What we write as meta['mmdet_version'] / meta['mmcv_version']: the versions whose formats
// and semantics this build follows.
inline constexpr char kMmdetVersion[] = "2.0.0+mmdet_cpp";
inline constexpr char kMmcvVersion[] = "0.5.9";

// fp16 training's loss scale as mmcv keeps it in meta['fp16']['loss_scaler'] (GradScaler's
// state_dict: scale, growth_factor, backoff_factor, growth_interval, _growth_tracker).
struct LossScaleState {
  double scale = 0;
  double growth_factor = 2, backoff_factor = 0.5;
  int64_t growth_interval = 2000, growth_tracker = 0;
};

struct CheckpointMeta {
  int epoch = 0;        // finished epochs
  int64_t iter = 0;     // global iterations
  std::string config;   // the config's text (meta['config'])
  std::vector<std::string> classes;  // meta['CLASSES']
  std::string time;     // empty: now, as time.asctime() prints it
  std::optional<LossScaleState> loss_scale;  // fp16 training: meta['fp16']['loss_scaler']
};

// time.asctime() of now in local time: "Tue Dec  1 12:16:20 2026".
std::string AscTime();

// Saves `model` (and `optimizer` with each group's `initial_lrs` when not null) to `path`.
absl::Status SaveTrainingCheckpoint(const std::string& path, torch::nn::Module& model,
                                    const torch::optim::Optimizer* optimizer,
                                    const std::vector<double>& initial_lrs,
                                    const CheckpointMeta& meta);

// mmcv's CheckpointHook.after_train_epoch at the end of epoch `meta.epoch`: writes
// <dir>/epoch_<epoch>.pth, points <dir>/latest.pth at it and, when max_keep_ckpts > 0, removes
// epoch_<epoch - max_keep_ckpts>.pth, the one before it and so on until one is missing (mmcv's
// loop, which stops at the first gap).
absl::Status SaveEpochCheckpoint(const std::string& dir, torch::nn::Module& model,
                                 const torch::optim::Optimizer* optimizer,
                                 const std::vector<double>& initial_lrs,
                                 const CheckpointMeta& meta, int max_keep_ckpts);

// mmcv's CheckpointHook.after_train_iter (by_epoch=False) after global iteration `meta.iter`:
// writes <dir>/iter_<iter>.pth, points latest.pth at it and, when max_keep_ckpts > 0, removes
// iter_<iter - max_keep_ckpts * interval>.pth and every `interval` below it until one is
// missing. meta.epoch is the number of finished epochs, so resuming from a checkpoint written
// inside an epoch runs that epoch again from its first batch, with the global iteration
// counter (warmup, by-iteration schedules) continuing from meta.iter.
absl::Status SaveIterCheckpoint(const std::string& dir, torch::nn::Module& model,
                                const torch::optim::Optimizer* optimizer,
                                const std::vector<double>& initial_lrs,
                                const CheckpointMeta& meta, int interval, int max_keep_ckpts);

struct ResumeState {
  int epoch = 0;     // finished epochs: the next runs as 0-based epoch `epoch`
  int64_t iter = 0;  // global iterations done
  std::vector<double> initial_lrs;  // the lr schedule's base lrs, empty if not saved
  std::optional<LossScaleState> loss_scale;  // meta['fp16']['loss_scaler'] when saved
};

// mmcv's Runner.resume: strict weights, then (when `optimizer` is not null and the file has
// one) the optimizer state, then meta's epoch and iter. A file without meta epoch/iter is an
// error naming it.
absl::StatusOr<ResumeState> ResumeCheckpoint(const std::string& path, torch::nn::Module& model,
                                             torch::optim::Optimizer* optimizer);

}  // namespace mmdet::runner

#endif  // MMDET_RUNNER_CHECKPOINT_TRAINING_CHECKPOINT_H_
