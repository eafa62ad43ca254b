#include "mmdet/runner/checkpoint/training_checkpoint.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <utility>

#include "absl/strings/str_cat.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/pth/pth.h"
#include "mmdet/core/status.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/checkpoint/checkpoint.h"
#include "mmdet/models/checkpoint/state_dict.h"
#include "mmdet/runner/checkpoint/optimizer_state.h"

namespace mmdet::runner {
namespace {

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

// Points `link` at `target` (relative) by renaming a fresh symlink over it.
absl::Status ReplaceSymlink(const std::string& target, const std::string& link) {
  const std::string tmp = absl::StrCat(link, ".tmp.", getpid());
  unlink(tmp.c_str());
  if (symlink(target.c_str(), tmp.c_str()) != 0 || rename(tmp.c_str(), link.c_str()) != 0) {
    const std::string error = std::strerror(errno);
    unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat(link, ": cannot point it at ", target, ": ", error));
  }
  return absl::OkStatus();
}

// <dir>/<prefix><number>.pth, latest.pth pointing at it, and mmcv's removal of the files
// `max_keep_ckpts` saves back (every `step` below until one is missing).
absl::Status SaveNumberedCheckpoint(const std::string& dir, const std::string& prefix,
                                    int64_t number, int64_t step, torch::nn::Module& model,
                                    const torch::optim::Optimizer* optimizer,
                                    const std::vector<double>& initial_lrs,
                                    const CheckpointMeta& meta, int max_keep_ckpts) {
  MMDET_RETURN_IF_ERROR(MakeDirs(dir));
  const std::string name = absl::StrCat(prefix, number, ".pth");
  MMDET_RETURN_IF_ERROR(
      SaveTrainingCheckpoint(JoinPath(dir, name), model, optimizer, initial_lrs, meta));
  MMDET_RETURN_IF_ERROR(ReplaceSymlink(name, JoinPath(dir, "latest.pth")));
  if (max_keep_ckpts > 0) {
    for (int64_t old = number - max_keep_ckpts * step; old > 0; old -= step) {
      const std::string path = JoinPath(dir, absl::StrCat(prefix, old, ".pth"));
      if (!Exists(path)) break;
      std::remove(path.c_str());
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string AscTime() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char buf[64];
  // Python's time.asctime: "%a %b %e %H:%M:%S %Y" (day of month padded with a space).
  std::strftime(buf, sizeof(buf), "%a %b %e %H:%M:%S %Y", &local);
  return buf;
}

absl::Status SaveTrainingCheckpoint(const std::string& path, torch::nn::Module& model,
                                    const torch::optim::Optimizer* optimizer,
                                    const std::vector<double>& initial_lrs,
                                    const CheckpointMeta& meta) {
  pth::Value m = pth::Value::Dict();
  m.Set("mmdet_version", pth::Value::String(kMmdetVersion));
  m.Set("config", pth::Value::String(meta.config));
  pth::Value classes = pth::Value::Tuple();
  for (const std::string& c : meta.classes) classes.Append(pth::Value::String(c));
  m.Set("CLASSES", std::move(classes));
  m.Set("epoch", pth::Value::Int(meta.epoch));
  m.Set("iter", pth::Value::Int(meta.iter));
  m.Set("mmcv_version", pth::Value::String(kMmcvVersion));
  m.Set("time", pth::Value::String(meta.time.empty() ? AscTime() : meta.time));
  if (meta.loss_scale) {
    const LossScaleState& l = *meta.loss_scale;
    pth::Value scaler = pth::Value::Dict();
    scaler.Set("scale", pth::Value::Float(l.scale));
    scaler.Set("growth_factor", pth::Value::Float(l.growth_factor));
    scaler.Set("backoff_factor", pth::Value::Float(l.backoff_factor));
    scaler.Set("growth_interval", pth::Value::Int(l.growth_interval));
    scaler.Set("_growth_tracker", pth::Value::Int(l.growth_tracker));
    pth::Value fp16 = pth::Value::Dict();
    fp16.Set("loss_scaler", std::move(scaler));
    m.Set("fp16", std::move(fp16));
  }
  pth::Value optim;
  if (optimizer != nullptr) {
    MMDET_ASSIGN_OR_RETURN(optim, OptimizerStateDict(*optimizer, initial_lrs));
  }
  // mmcv's weights_to_cpu: SerializePth copies non-CPU tensors to the CPU.
  return models::SaveCheckpoint(path, models::GetStateDict(model), m, optim);
}

absl::Status SaveEpochCheckpoint(const std::string& dir, torch::nn::Module& model,
                                 const torch::optim::Optimizer* optimizer,
                                 const std::vector<double>& initial_lrs,
                                 const CheckpointMeta& meta, int max_keep_ckpts) {
  return SaveNumberedCheckpoint(dir, "epoch_", meta.epoch, 1, model, optimizer, initial_lrs,
                                meta, max_keep_ckpts);
}

absl::Status SaveIterCheckpoint(const std::string& dir, torch::nn::Module& model,
                                const torch::optim::Optimizer* optimizer,
                                const std::vector<double>& initial_lrs,
                                const CheckpointMeta& meta, int interval, int max_keep_ckpts) {
  return SaveNumberedCheckpoint(dir, "iter_", meta.iter, interval, model, optimizer,
                                initial_lrs, meta, max_keep_ckpts);
}

absl::StatusOr<ResumeState> ResumeCheckpoint(const std::string& path, torch::nn::Module& model,
                                             torch::optim::Optimizer* optimizer) {
  MMDET_ASSIGN_OR_RETURN(models::Checkpoint ckpt, models::LoadCheckpoint(path));
  const pth::Value* epoch = ckpt.meta.Find("epoch");
  const pth::Value* iter = ckpt.meta.Find("iter");
  if (epoch == nullptr || !epoch->is_int() || iter == nullptr || !iter->is_int() ||
      epoch->as_int() < 0 || iter->as_int() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": meta: needs int 'epoch' and 'iter' to resume from (use load_from "
                           "for weights only)"));
  }
  auto loaded = models::LoadStateDict(model, ckpt.state_dict, /*strict=*/true);
  if (!loaded.ok()) return Annotate(loaded.status(), path);
  ResumeState state;
  state.epoch = static_cast<int>(epoch->as_int());
  state.iter = iter->as_int();
  if (optimizer != nullptr && !ckpt.optimizer.is_none()) {
    MMDET_ASSIGN_OR_RETURN(state.initial_lrs,
                           LoadOptimizerStateDict(*optimizer, ckpt.optimizer, path));
  }
  if (const pth::Value* fp16 = ckpt.meta.Find("fp16"); fp16 != nullptr && fp16->is_dict()) {
    const pth::Value* scaler = fp16->Find("loss_scaler");
    if (scaler == nullptr || !scaler->is_dict()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": meta['fp16']: expected a dict with 'loss_scaler'"));
    }
    auto number = [&](const char* key, bool integer, double* out) -> absl::Status {
      const pth::Value* v = scaler->Find(key);
      if (v == nullptr || !(v->is_int() || (!integer && v->is_float()))) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ": meta['fp16']['loss_scaler']['", key, "']: expected ",
            integer ? "an int" : "a number"));
      }
      *out = v->as_float();
      return absl::OkStatus();
    };
    LossScaleState l;
    double interval = 0, tracker = 0;
    MMDET_RETURN_IF_ERROR(number("scale", false, &l.scale));
    MMDET_RETURN_IF_ERROR(number("growth_factor", false, &l.growth_factor));
    MMDET_RETURN_IF_ERROR(number("backoff_factor", false, &l.backoff_factor));
    MMDET_RETURN_IF_ERROR(number("growth_interval", true, &interval));
    MMDET_RETURN_IF_ERROR(number("_growth_tracker", true, &tracker));
    l.growth_interval = static_cast<int64_t>(interval);
    l.growth_tracker = static_cast<int64_t>(tracker);
    if (!(l.scale > 0) || l.growth_interval <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": meta['fp16']['loss_scaler']: scale and growth_interval must be "
                             "positive"));
    }
    state.loss_scale = l;
  }
  return state;
}

}  // namespace mmdet::runner
