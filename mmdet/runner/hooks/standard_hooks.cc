#include "mmdet/runner/hooks/standard_hooks.h"

#include <algorithm>
#include <cinttypes>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/json_writer.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/runner/optim/optimizer_builder.h"
#include "torch/nn/utils/clip_grad.h"

namespace mmdet::runner {
namespace {

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// str(datetime.timedelta(seconds=s)): "H:MM:SS", "1 day, H:MM:SS", "N days, H:MM:SS".
std::string TimeDelta(int64_t s) {
  const int64_t days = s / 86400;
  s %= 86400;
  std::string hms = absl::StrFormat("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  if (days == 0) return hms;
  return absl::StrCat(days, days == 1 ? " day, " : " days, ", hms);
}

absl::StatusOr<std::shared_ptr<Hook>> TextLoggerFromConfig(const config::TextLoggerHook&,
                                                          const std::string&,
                                                          const config::LogConfig& log_config) {
  return std::shared_ptr<Hook>(std::make_shared<TextLoggerHook>(log_config.interval()));
}

}  // namespace

LrProgress LrUpdaterHook::Progress(const Runner& runner) const {
  LrProgress p;
  p.epoch = runner.epoch();
  p.iter = runner.iter();
  p.max_epochs = runner.max_epochs();
  p.max_iters = runner.max_iters();
  return p;
}

absl::Status LrUpdaterHook::BeforeTrainEpoch(Runner& runner) {
  auto lrs = updater_.BeforeTrainEpoch(Progress(runner));
  if (!lrs.empty() && runner.optimizer() != nullptr) SetGroupLrs(*runner.optimizer(), lrs);
  return absl::OkStatus();
}

absl::Status LrUpdaterHook::BeforeTrainIter(Runner& runner) {
  auto lrs = updater_.BeforeTrainIter(Progress(runner));
  if (!lrs.empty() && runner.optimizer() != nullptr) SetGroupLrs(*runner.optimizer(), lrs);
  return absl::OkStatus();
}

LossScaler::LossScaler(const config::Fp16Config& cfg) : dynamic_(cfg.has_dynamic()) {
  if (dynamic_) {
    const config::DynamicLossScale& d = cfg.dynamic();
    scale_ = static_cast<float>(d.init_scale());
    growth_factor_ = static_cast<float>(d.growth_factor());
    backoff_factor_ = static_cast<float>(d.backoff_factor());
    growth_interval_ = d.growth_interval();
  } else {
    scale_ = static_cast<float>(cfg.has_loss_scale() ? cfg.loss_scale() : 512.0);
  }
}

bool LossScaler::Unscale(const std::vector<torch::Tensor>& params) const {
  const float inv_scale = static_cast<float>(1.0 / static_cast<double>(scale_));
  std::vector<torch::Tensor> overflow;
  torch::NoGradGuard no_grad;
  for (const torch::Tensor& p : params) {
    torch::Tensor g = p.grad();
    if (!g.defined()) continue;
    overflow.push_back(torch::isfinite(g).all().logical_not());
    g.mul_(inv_scale);
  }
  // One host sync for all of them.
  return !overflow.empty() && torch::stack(overflow).any().item<bool>();
}

void LossScaler::Update(bool found_inf) {
  if (!dynamic_) return;
  if (found_inf) {
    scale_ *= backoff_factor_;
    growth_tracker_ = 0;
  } else if (++growth_tracker_ == growth_interval_) {
    scale_ *= growth_factor_;
    growth_tracker_ = 0;
  }
}

LossScaleState LossScaler::State() const {
  LossScaleState s;
  s.scale = scale_;
  s.growth_factor = growth_factor_;
  s.backoff_factor = backoff_factor_;
  s.growth_interval = growth_interval_;
  s.growth_tracker = growth_tracker_;
  return s;
}

void LossScaler::Restore(const LossScaleState& s) {
  scale_ = static_cast<float>(s.scale);
  growth_factor_ = static_cast<float>(s.growth_factor);
  backoff_factor_ = static_cast<float>(s.backoff_factor);
  growth_interval_ = static_cast<int>(s.growth_interval);
  growth_tracker_ = static_cast<int>(s.growth_tracker);
}

absl::Status OptimizerHook::AfterTrainIter(Runner& runner) {
  torch::optim::Optimizer* optimizer = runner.optimizer();
  if (optimizer == nullptr) return absl::OkStatus();
  optimizer->zero_grad();
  if (reducer_ != nullptr) reducer_->Prepare();
  try {
    const torch::Tensor& loss = runner.outputs().losses.loss;
    (scaler_ ? scaler_->Scale(loss) : loss).backward();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("backward: ", e.what()));
  }
  if (reducer_ != nullptr) MMDET_RETURN_IF_ERROR(reducer_->Finish());
  std::vector<torch::Tensor> params;
  if (cfg_.has_grad_clip() || scaler_) {
    for (const torch::Tensor& p : runner.model().parameters()) {
      if (p.requires_grad() && p.grad().defined()) params.push_back(p);
    }
  }
  if (scaler_) {
    // After the all-reduce every rank sees the same gradients, so all skip together.
    const bool found_inf = scaler_->Unscale(params);
    const float scale = scaler_->scale();
    scaler_->Update(found_inf);
    if (found_inf) {
      runner.LogInfo(absl::StrCat("fp16: inf/nan gradients at iter ", runner.iter() + 1,
                                  ", step skipped; loss scale ", scale, " -> ",
                                  scaler_->scale()));
      return absl::OkStatus();
    }
  }
  if (cfg_.has_grad_clip() && !params.empty()) {
    torch::nn::utils::clip_grad_norm_(params, cfg_.grad_clip().max_norm(),
                                      cfg_.grad_clip().norm_type());
  }
  optimizer->step();
  return absl::OkStatus();
}

absl::Status CheckpointHook::AfterTrainIter(Runner& runner) {
  if (cfg_.by_epoch() || (runner.iter() + 1) % cfg_.interval() != 0) return absl::OkStatus();
  return Save(runner);
}

absl::Status CheckpointHook::AfterTrainEpoch(Runner& runner) {
  if (!cfg_.by_epoch() || (runner.epoch() + 1) % cfg_.interval() != 0) return absl::OkStatus();
  return Save(runner);
}

absl::Status CheckpointHook::Save(Runner& runner) {
  if (runner.rank() != 0) return absl::OkStatus();
  CheckpointMeta meta = meta_;
  meta.time.clear();
  if (loss_scaler_ != nullptr) meta.loss_scale = loss_scaler_->State();
  const std::string dir = cfg_.out_dir().empty() ? runner.work_dir() : cfg_.out_dir();
  const torch::optim::Optimizer* optimizer = cfg_.save_optimizer() ? runner.optimizer() : nullptr;
  if (cfg_.by_epoch()) {
    meta.epoch = runner.epoch() + 1;
    meta.iter = runner.iter();
    return SaveEpochCheckpoint(dir, runner.model(), optimizer, initial_lrs_, meta,
                               cfg_.max_keep_ckpts());
  }
  meta.epoch = runner.epoch();  // finished epochs: a resume runs this one again
  meta.iter = runner.iter() + 1;
  runner.LogInfo(absl::StrCat("Saving checkpoint at ", meta.iter, " iterations"));
  return SaveIterCheckpoint(dir, runner.model(), optimizer, initial_lrs_, meta, cfg_.interval(),
                            cfg_.max_keep_ckpts());
}

absl::Status IterTimerHook::BeforeTrainEpoch(Runner&) {
  t_ = std::chrono::steady_clock::now();
  return absl::OkStatus();
}

absl::Status IterTimerHook::BeforeTrainIter(Runner& runner) {
  runner.log_buffer().Update({{"data_time", Seconds(std::chrono::steady_clock::now() - t_)}});
  return absl::OkStatus();
}

absl::Status IterTimerHook::AfterTrainIter(Runner& runner) {
  const auto now = std::chrono::steady_clock::now();
  runner.log_buffer().Update({{"time", Seconds(now - t_)}});
  t_ = now;
  return absl::OkStatus();
}

absl::Status TextLoggerHook::BeforeRun(Runner& runner) {
  start_iter_ = runner.iter();
  json_path_ = JoinPath(runner.work_dir(), runner.timestamp() + ".log.json");
  if (runner.rank() == 0 && !runner.options().meta_json.empty()) {
    MMDET_RETURN_IF_ERROR(MakeDirs(runner.work_dir()));
    std::ofstream out(json_path_, std::ios::app);
    out << runner.options().meta_json << "\n";
    if (!out) return absl::InternalError(json_path_ + ": cannot write");
  }
  return absl::OkStatus();
}

absl::Status TextLoggerHook::BeforeTrainEpoch(Runner& runner) {
  runner.log_buffer().Clear();  // the last epoch's history
  return absl::OkStatus();
}

absl::Status TextLoggerHook::AfterTrainIter(Runner& runner) {
  if (interval_ > 0 && (runner.inner_iter() + 1) % interval_ == 0) {
    runner.log_buffer().Average(interval_);
  }
  if (!runner.log_buffer().ready()) return absl::OkStatus();
  MMDET_RETURN_IF_ERROR(Log(runner));
  runner.log_buffer().ClearOutput();
  return absl::OkStatus();
}

absl::Status TextLoggerHook::AfterTrainEpoch(Runner& runner) {
  if (!runner.log_buffer().ready()) return absl::OkStatus();
  MMDET_RETURN_IF_ERROR(Log(runner));
  runner.log_buffer().ClearOutput();
  return absl::OkStatus();
}

absl::Status TextLoggerHook::BeforeValEpoch(Runner& runner) {
  runner.log_buffer().Clear();
  return absl::OkStatus();
}

absl::Status TextLoggerHook::AfterValEpoch(Runner& runner) {
  runner.log_buffer().Average();
  MMDET_RETURN_IF_ERROR(LogValStage(runner));
  runner.log_buffer().Clear();
  return absl::OkStatus();
}

absl::Status TextLoggerHook::LogValStage(Runner& runner) {
  const std::vector<double> lrs = runner.current_lr();
  const double lr = lrs.empty() ? 0.0 : lrs[0];
  // The val stage runs after train epoch `epoch()` (already counted).
  const int epoch = std::max(1, runner.epoch());
  const int64_t iter = runner.inner_iter() + 1;
  std::vector<std::string> items;
  std::string json = absl::StrFormat("{\"mode\": \"val\", \"epoch\": %d, \"iter\": %d, \"lr\": %s",
                                     epoch, iter, PythonJsonFloat(Round5(lr)));
  for (const LogItem& item : runner.log_buffer().items()) {
    if (item.key == "time" || item.key == "data_time" || item.is_text) continue;
    items.push_back(absl::StrFormat("%s: %.4f", item.key, item.number));
    absl::StrAppend(&json, ", ", JsonQuoted(item.key), ": ", PythonJsonFloat(Round5(item.number)));
  }
  json += "}";
  runner.LogInfo(absl::StrFormat("Epoch(val) [%d][%d]\t%s", epoch, iter, absl::StrJoin(items, ", ")));
  if (runner.rank() != 0) return absl::OkStatus();
  std::ofstream out(json_path_, std::ios::app);
  out << json << "\n";
  if (!out) return absl::InternalError(json_path_ + ": cannot write");
  return absl::OkStatus();
}

absl::Status TextLoggerHook::Log(Runner& runner) {
  // mmcv 0.5: a train line when the output has `time` (IterTimerHook), else a val line (the
  // EvalHook's metrics after an epoch).
  const LogBuffer& buffer = runner.log_buffer();
  const bool train = buffer.has_output("time");
  double time = 0, data_time = 0;
  std::vector<LogItem> rest;
  for (const LogItem& item : buffer.items()) {
    if (item.key == "time" && !item.is_text) {
      time = item.number;
    } else if (item.key == "data_time" && !item.is_text) {
      data_time = item.number;
    } else {
      rest.push_back(item);
    }
  }
  const std::vector<double> lrs = runner.current_lr();
  const double lr = lrs.empty() ? 0.0 : lrs[0];
  const int64_t memory = memory_mb_ ? memory_mb_() : 0;
  const int epoch = runner.epoch() + 1;
  const int64_t iter = runner.inner_iter() + 1;

  // The text line: runner.mode is 'train' after a train epoch too, so val metrics follow the
  // same "Epoch [e][i/n]\tlr: ..., " head as mmcv 0.5 prints them.
  std::string line = absl::StrFormat("Epoch [%d][%d/%d]\tlr: %.3e, ", epoch, iter,
                                     runner.num_batches(), lr);
  if (train) {
    time_sec_tot_ += time * interval_;
    const double time_sec_avg =
        time_sec_tot_ / static_cast<double>(runner.iter() - start_iter_ + 1);
    const double eta_sec =
        time_sec_avg * static_cast<double>(runner.max_iters() - runner.iter() - 1);
    absl::StrAppendFormat(&line, "eta: %s, time: %.3f, data_time: %.3f, memory: %d, ",
                          TimeDelta(static_cast<int64_t>(eta_sec)), time, data_time, memory);
  }
  std::vector<std::string> items;
  for (const LogItem& item : rest) {
    items.push_back(item.is_text ? absl::StrCat(item.key, ": ", item.text)
                                 : absl::StrFormat("%s: %.4f", item.key, item.number));
  }
  line += absl::StrJoin(items, ", ");
  runner.LogInfo(line);

  if (runner.rank() != 0) return absl::OkStatus();
  std::string json = absl::StrFormat("{\"mode\": \"%s\", \"epoch\": %d, \"iter\": %d, \"lr\": %s",
                                     train ? "train" : "val", epoch, iter,
                                     PythonJsonFloat(Round5(lr)));
  if (train) {
    absl::StrAppend(&json, ", \"time\": ", PythonJsonFloat(Round5(time)),
                    ", \"data_time\": ", PythonJsonFloat(Round5(data_time)),
                    ", \"memory\": ", memory);
  }
  for (const LogItem& item : rest) {
    absl::StrAppend(&json, ", ", JsonQuoted(item.key), ": ",
                    item.is_text ? JsonQuoted(item.text) : PythonJsonFloat(Round5(item.number)));
  }
  json += "}";
  std::ofstream out(json_path_, std::ios::app);
  out << json << "\n";
  if (!out) return absl::InternalError(json_path_ + ": cannot write");
  return absl::OkStatus();
}

absl::Status RegisterTrainingHooks(Runner& runner, const TrainingHooksOptions& options) {
  MMDET_ASSIGN_OR_RETURN(LrUpdater updater,
                         LrUpdater::Create(options.lr_config, options.base_lrs));
  runner.RegisterHook(std::make_shared<LrUpdaterHook>(std::move(updater)), kHookVeryHigh);
  auto optimizer_hook = std::make_shared<OptimizerHook>(
      options.optimizer_config, options.grad_reducer, options.fp16 ? &*options.fp16 : nullptr);
  std::optional<LossScaler>& scaler = optimizer_hook->loss_scaler();
  if (scaler && options.resumed_loss_scale) scaler->Restore(*options.resumed_loss_scale);
  runner.RegisterHook(optimizer_hook, kHookHigh);
  const config::CheckpointConfig& ckpt = options.checkpoint_config;
  if (ckpt.interval() <= 0) {
    return absl::InvalidArgumentError("checkpoint_config.interval: must be positive");
  }
  runner.RegisterHook(std::make_shared<CheckpointHook>(ckpt, options.checkpoint_meta,
                                                       options.base_lrs,
                                                       scaler ? &*scaler : nullptr),
                      kHookNormal);
  runner.RegisterHook(std::make_shared<IterTimerHook>(), kHookLow);
  if (options.log_config.interval() <= 0) {
    return absl::InvalidArgumentError("log_config.interval: must be positive");
  }
  if (options.log_config.hooks_size() == 0) {
    runner.RegisterHook(
        std::make_shared<TextLoggerHook>(options.log_config.interval(), options.memory_mb),
        kHookVeryLow);
  }
  for (int i = 0; i < options.log_config.hooks_size(); ++i) {
    const std::string path = absl::StrCat("log_config.hooks[", i, "]");
    MMDET_ASSIGN_OR_RETURN(
        std::shared_ptr<Hook> hook,
        (BuildComponent<Hook, const std::string&, const config::LogConfig&>(
            LoggerHookRegistry::Global(), options.log_config.hooks(i), path,
            SelectedMemberPath(options.log_config.hooks(i), path), options.log_config)));
    if (auto* text = dynamic_cast<TextLoggerHook*>(hook.get())) text->set_memory_mb(options.memory_mb);
    runner.RegisterHook(hook, kHookVeryLow);
  }
  return absl::OkStatus();
}

absl::Status RegisterCustomHooks(
    Runner& runner, const google::protobuf::RepeatedPtrField<config::CustomHookConfig>& hooks) {
  for (int i = 0; i < hooks.size(); ++i) {
    MMDET_ASSIGN_OR_RETURN(
        std::shared_ptr<Hook> hook,
        BuildFromConfig(HookRegistry::Global(), hooks.Get(i), absl::StrCat("custom_hooks[", i, "]")));
    runner.RegisterHook(std::move(hook), static_cast<int>(hooks.Get(i).priority()));
  }
  return absl::OkStatus();
}

MMDET_REGISTER(LoggerHookRegistry, config::TextLoggerHook, TextLoggerFromConfig);

}  // namespace mmdet::runner
