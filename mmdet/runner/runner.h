// The epoch-based training runner of mmcv 0.5 (mmcv/runner/runner.py), for one process:
//
//   Runner runner(model, optimizer.get(), options);
//   runner.RegisterHook(std::make_shared<OptimizerHook>(...), kHookHigh);   // or the standard
//   ...                                                                       // set, see hooks/
//   MMDET_RETURN_IF_ERROR(runner.Run(source));
//
// Run trains from `epoch()` (0-based) to `max_epochs` (workflow stages in turn, as mmcv's
// Runner.run; a val stage: the val source's losses under no_grad in eval mode, hooks'
// Before/AfterVal*): per train epoch, source.StartEpoch, hooks'
// BeforeTrainEpoch, then per batch: source.NextBatch (data loading, timed as data_time),
// BeforeTrainIter, source.TrainStep (forward_train + parse_losses; the OptimizerHook does
// backward and step in AfterTrainIter), the log buffer update with the step's log_vars and
// image count, AfterTrainIter, ++iter; then AfterTrainEpoch, ++epoch. `inner_iter` is the
// batch index in the epoch; `max_iters` is max_epochs * num_batches.
//
// A loss that is NaN or infinite stops the run before the optimizer steps, with an error
// naming the epoch, the iteration and the term; checkpoints written before are kept.
//
// Hooks run in priority order (kHookHighest first); hooks of equal priority in registration
// order, as mmcv's register_hook inserts them. A user hook is a Hook subclass; see
// docs/custom_hooks.md.
#ifndef MMDET_RUNNER_RUNNER_H_
#define MMDET_RUNNER_RUNNER_H_

#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mmdet/models/detectors/detector.h"
#include "torch/nn/module.h"
#include "torch/optim/optimizer.h"

namespace mmdet::runner {

// mmcv's Priority values.
enum HookPriority : int {
  kHookHighest = 0,
  kHookVeryHigh = 10,
  kHookHigh = 30,
  kHookNormal = 50,
  kHookLow = 70,
  kHookVeryLow = 90,
  kHookLowest = 100,
};

// One training step's outputs (mmdet's batch_processor): the parsed losses and the batch's
// number of images (the log buffer's weight).
struct StepOutput {
  models::ParsedLosses losses;
  int num_samples = 1;
};

// Where batches come from and what a step does with one (the detector adapter is
// DetectorTrainSource in detector_source.h).
class TrainSource {
 public:
  virtual ~TrainSource() = default;
  virtual size_t num_batches() const = 0;
  virtual void StartEpoch(int64_t epoch) = 0;
  // Loads the next batch; false at the end of the epoch.
  virtual absl::StatusOr<bool> NextBatch() = 0;
  // forward_train on the loaded batch.
  virtual absl::StatusOr<StepOutput> TrainStep() = 0;
};

class Runner;

class Hook {
 public:
  virtual ~Hook() = default;
  virtual absl::Status BeforeRun(Runner&) { return absl::OkStatus(); }
  virtual absl::Status AfterRun(Runner&) { return absl::OkStatus(); }
  virtual absl::Status BeforeTrainEpoch(Runner&) { return absl::OkStatus(); }
  virtual absl::Status AfterTrainEpoch(Runner&) { return absl::OkStatus(); }
  virtual absl::Status BeforeTrainIter(Runner&) { return absl::OkStatus(); }
  virtual absl::Status AfterTrainIter(Runner&) { return absl::OkStatus(); }
  // A workflow val stage (losses on data.val, no gradients).
  virtual absl::Status BeforeValEpoch(Runner&) { return absl::OkStatus(); }
  virtual absl::Status AfterValEpoch(Runner&) { return absl::OkStatus(); }
  virtual absl::Status BeforeValIter(Runner&) { return absl::OkStatus(); }
  virtual absl::Status AfterValIter(Runner&) { return absl::OkStatus(); }
};

// One log_buffer.output entry: a number, or a string (an evaluation's copypaste line).
struct LogItem {
  std::string key;
  double number = 0;
  std::string text;
  bool is_text = false;
};

// mmcv's LogBuffer: per key, the history of (value, count); Average(n) sets the output to
// the count-weighted mean of the last n values (np.sum(values * nums) / np.sum(nums)).
// An EvalHook writes its metrics into the output directly (SetOutput*) and marks it ready.
class LogBuffer {
 public:
  void Update(const std::vector<std::pair<std::string, double>>& vars, int count = 1);
  void Average(int n = 0);  // 0: everything
  void Clear();             // history and output
  void ClearOutput();
  void SetOutput(const std::string& key, double value);
  void SetOutputText(const std::string& key, const std::string& text);
  void set_ready() { ready_ = true; }
  bool ready() const { return ready_; }
  bool has_output(const std::string& key) const;
  // The numeric output, keys in first-update order.
  const std::vector<std::pair<std::string, double>>& output() const { return output_; }
  // Every output entry (numbers and strings) in insertion order.
  const std::vector<LogItem>& items() const { return items_; }

 private:
  std::vector<std::string> keys_;
  std::map<std::string, std::pair<std::vector<double>, std::vector<int64_t>>> history_;
  std::vector<std::pair<std::string, double>> output_;
  std::vector<LogItem> items_;
  bool ready_ = false;
};

// One workflow stage: ("train", 1) or ("val", 1).
struct WorkflowStage {
  std::string mode = "train";
  int epochs = 1;
};

struct RunnerOptions {
  std::string work_dir;
  int max_epochs = 12;
  // mmcv's workflow: the stages repeat until max_epochs train epochs are done; a val stage
  // computes the losses on its source without gradients (Run's `val`).
  std::vector<WorkflowStage> workflow = {{"train", 1}};
  int rank = 0;
  int world_size = 1;
  // The run's log name stem, "YYYYmmdd_HHMMSS" (empty: now).
  std::string timestamp;
  // runner.meta, the first line of the json log ({"env_info": ..., "seed": ...}), as JSON text.
  std::string meta_json;
};

class Runner {
 public:
  Runner(torch::nn::Module& model, torch::optim::Optimizer* optimizer, RunnerOptions options);

  void RegisterHook(std::shared_ptr<Hook> hook, int priority = kHookNormal);
  // `val` is needed when the workflow has a val stage.
  absl::Status Run(TrainSource& source, TrainSource* val = nullptr);

  // Resume position.
  void SetProgress(int epoch, int64_t iter) {
    epoch_ = epoch;
    iter_ = iter;
  }

  int epoch() const { return epoch_; }
  int64_t iter() const { return iter_; }
  int64_t inner_iter() const { return inner_iter_; }
  int max_epochs() const { return options_.max_epochs; }
  // "train" or "val" (the stage being run).
  const std::string& mode() const { return mode_; }
  int64_t max_iters() const { return max_iters_; }
  size_t num_batches() const { return num_batches_; }
  int rank() const { return options_.rank; }
  const RunnerOptions& options() const { return options_; }
  const std::string& work_dir() const { return options_.work_dir; }
  const std::string& timestamp() const { return options_.timestamp; }
  torch::nn::Module& model() { return model_; }
  torch::optim::Optimizer* optimizer() { return optimizer_; }
  LogBuffer& log_buffer() { return log_buffer_; }
  StepOutput& outputs() { return outputs_; }
  // Each param group's lr now (runner.current_lr()).
  std::vector<double> current_lr() const;

  // mmcv's logger.info on rank 0: "<YYYY-mm-dd HH:MM:SS,mmm> - mmdet - INFO - <line>" to stderr
  // and <work_dir>/<timestamp>.log.
  void LogInfo(const std::string& line);

 private:
  template <typename F>
  absl::Status CallHooks(F f);
  absl::Status TrainEpoch(TrainSource& source);
  absl::Status ValEpoch(TrainSource& source);

  torch::nn::Module& model_;
  torch::optim::Optimizer* optimizer_;
  RunnerOptions options_;
  std::vector<std::pair<int, std::shared_ptr<Hook>>> hooks_;
  int epoch_ = 0;
  int64_t iter_ = 0, inner_iter_ = 0, max_iters_ = 0;
  size_t num_batches_ = 0, train_batches_ = 0;
  std::string mode_ = "train";
  LogBuffer log_buffer_;
  StepOutput outputs_;
  std::ofstream text_log_;
};

// Python's round(x, 5).
double Round5(double x);

}  // namespace mmdet::runner

#endif  // MMDET_RUNNER_RUNNER_H_
