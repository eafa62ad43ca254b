#include "mmdet/runner/runner.h"

#include <sys/time.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/evaluation/numpy_compat.h"
#include "torch/nn/module.h"
#include "torch/optim/optimizer.h"
#include "torch/utils.h"

namespace mmdet::runner {
namespace {

std::string Now(const char* format, bool millis) {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  std::tm local{};
  const std::time_t seconds = tv.tv_sec;
  localtime_r(&seconds, &local);
  char buf[64];
  std::strftime(buf, sizeof(buf), format, &local);
  if (!millis) return buf;
  return absl::StrFormat("%s,%03d", buf, static_cast<int>(tv.tv_usec / 1000));
}

}  // namespace

double Round5(double x) {
  if (!std::isfinite(x)) return x;
  return std::strtod(absl::StrFormat("%.5f", x).c_str(), nullptr);
}

void LogBuffer::Update(const std::vector<std::pair<std::string, double>>& vars, int count) {
  for (const auto& [key, value] : vars) {
    auto [it, inserted] = history_.try_emplace(key);
    if (inserted) keys_.push_back(key);
    it->second.first.push_back(value);
    it->second.second.push_back(count);
  }
}

void LogBuffer::Average(int n) {
  output_.clear();
  for (const std::string& key : keys_) {
    const auto& [values, nums] = history_[key];
    const size_t take = n <= 0 ? values.size() : std::min(values.size(), static_cast<size_t>(n));
    std::vector<double> weighted;
    int64_t total = 0;
    for (size_t i = values.size() - take; i < values.size(); ++i) {
      weighted.push_back(values[i] * static_cast<double>(nums[i]));
      total += nums[i];
    }
    output_.emplace_back(key, evaluation::PairwiseSum(weighted.data(), weighted.size()) /
                                  static_cast<double>(total));
  }
  items_.clear();
  for (const auto& [key, value] : output_) items_.push_back({key, value, "", false});
  ready_ = true;
}

void LogBuffer::SetOutput(const std::string& key, double value) {
  output_.emplace_back(key, value);
  items_.push_back({key, value, "", false});
}

void LogBuffer::SetOutputText(const std::string& key, const std::string& text) {
  items_.push_back({key, 0, text, true});
}

bool LogBuffer::has_output(const std::string& key) const {
  for (const LogItem& item : items_) {
    if (item.key == key) return true;
  }
  return false;
}

void LogBuffer::Clear() {
  keys_.clear();
  history_.clear();
  ClearOutput();
}

void LogBuffer::ClearOutput() {
  output_.clear();
  items_.clear();
  ready_ = false;
}

Runner::Runner(torch::nn::Module& model, torch::optim::Optimizer* optimizer,
               RunnerOptions options)
    : model_(model), optimizer_(optimizer), options_(std::move(options)) {
  if (options_.timestamp.empty()) options_.timestamp = Now("%Y%m%d_%H%M%S", false);
}

void Runner::RegisterHook(std::shared_ptr<Hook> hook, int priority) {
  // After every hook of lower or equal priority value, as mmcv inserts.
  auto it = hooks_.begin();
  while (it != hooks_.end() && it->first <= priority) ++it;
  hooks_.insert(it, {priority, std::move(hook)});
}

template <typename F>
absl::Status Runner::CallHooks(F f) {
  for (auto& [priority, hook] : hooks_) MMDET_RETURN_IF_ERROR(f(*hook));
  return absl::OkStatus();
}

std::vector<double> Runner::current_lr() const {
  std::vector<double> lrs;
  if (optimizer_ == nullptr) return lrs;
  for (const auto& group : optimizer_->param_groups()) lrs.push_back(group.options().get_lr());
  return lrs;
}

void Runner::LogInfo(const std::string& line) {
  if (options_.rank != 0) return;
  const std::string text = absl::StrCat(Now("%Y-%m-%d %H:%M:%S", true), " - mmdet - INFO - ", line);
  std::cerr << text << std::endl;
  if (!text_log_.is_open() && !options_.work_dir.empty()) {
    if (MakeDirs(options_.work_dir).ok()) {
      text_log_.open(JoinPath(options_.work_dir, options_.timestamp + ".log"), std::ios::app);
    }
  }
  if (text_log_.is_open()) text_log_ << text << "\n" << std::flush;
}

absl::Status Runner::Run(TrainSource& source, TrainSource* val) {
  train_batches_ = num_batches_ = source.num_batches();
  max_iters_ = static_cast<int64_t>(options_.max_epochs) * static_cast<int64_t>(num_batches_);
  for (const WorkflowStage& stage : options_.workflow) {
    if (stage.mode != "train" && stage.mode != "val") {
      return absl::InvalidArgumentError("workflow: unknown mode '" + stage.mode + "'");
    }
    if (stage.epochs < 1) return absl::InvalidArgumentError("workflow: epochs must be >= 1");
    if (stage.mode == "val" && val == nullptr) {
      return absl::InvalidArgumentError("workflow: a val stage needs data.val");
    }
  }
  MMDET_RETURN_IF_ERROR(CallHooks([&](Hook& h) { return h.BeforeRun(*this); }));
  while (epoch_ < options_.max_epochs) {
    for (const WorkflowStage& stage : options_.workflow) {
      for (int e = 0; e < stage.epochs; ++e) {
        if (stage.mode == "train") {
          if (epoch_ >= options_.max_epochs) break;
          MMDET_RETURN_IF_ERROR(TrainEpoch(source));
        } else {
          MMDET_RETURN_IF_ERROR(ValEpoch(*val));
        }
      }
    }
  }
  return CallHooks([&](Hook& h) { return h.AfterRun(*this); });
}

absl::Status Runner::ValEpoch(TrainSource& source) {
  mode_ = "val";
  model_.eval();
  num_batches_ = source.num_batches();
  source.StartEpoch(epoch_);
  MMDET_RETURN_IF_ERROR(CallHooks([&](Hook& h) { return h.BeforeValEpoch(*this); }));
  for (int64_t i = 0;; ++i) {
    MMDET_ASSIGN_OR_RETURN(bool loaded, source.NextBatch());
    if (!loaded) break;
    inner_iter_ = i;
    MMDET_RETURN_IF_ERROR(CallHooks([&](Hook& h) { return h.BeforeValIter(*this); }));
    {
      torch::NoGradGuard no_grad;
      MMDET_ASSIGN_OR_RETURN(outputs_, source.TrainStep());
    }
    log_buffer_.Update(outputs_.losses.Values(), outputs_.num_samples);
    MMDET_RETURN_IF_ERROR(CallHooks([&](Hook& h) { return h.AfterValIter(*this); }));
  }
  MMDET_RETURN_IF_ERROR(CallHooks([&](Hook& h) { return h.AfterValEpoch(*this); }));
  num_batches_ = train_batches_;
  mode_ = "train";
  return absl::OkStatus();
}

absl::Status Runner::TrainEpoch(TrainSource& source) {
  mode_ = "train";
  model_.train();
  source.StartEpoch(epoch_);
  MMDET_RETURN_IF_ERROR(CallHooks([&](Hook& h) { return h.BeforeTrainEpoch(*this); }));
  for (int64_t i = 0;; ++i) {
    MMDET_ASSIGN_OR_RETURN(bool loaded, source.NextBatch());
    if (!loaded) break;
    inner_iter_ = i;
    MMDET_RETURN_IF_ERROR(CallHooks([&](Hook& h) { return h.BeforeTrainIter(*this); }));
    MMDET_ASSIGN_OR_RETURN(outputs_, source.TrainStep());
    const auto values = outputs_.losses.Values();
    for (const auto& [name, value] : values) {
      if (!std::isfinite(value)) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "Epoch [%d][%d/%d] (iteration %d): %s is %s; training stopped (checkpoints saved "
            "before are kept)",
            epoch_ + 1, i + 1, num_batches_, iter_ + 1, name, std::isnan(value) ? "nan" : "inf"));
      }
    }
    log_buffer_.Update(values, outputs_.num_samples);
    MMDET_RETURN_IF_ERROR(CallHooks([&](Hook& h) { return h.AfterTrainIter(*this); }));
    ++iter_;
  }
  MMDET_RETURN_IF_ERROR(CallHooks([&](Hook& h) { return h.AfterTrainEpoch(*this); }));
  ++epoch_;
  return absl::OkStatus();
}

}  // namespace mmdet::runner
