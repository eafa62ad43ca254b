#include "mmdet/runner/hooks/eval_hook.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "mmdet/apis/test.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/datasets/dataset.h"

namespace mmdet::runner {

absl::Status EvalHook::AfterTrainEpoch(Runner& runner) {
  if (interval_ <= 0 || (runner.epoch() + 1) % interval_ != 0) return absl::OkStatus();
  evaluation::DetectionResults results;
  if (gather_) {
    // DistEvalHook: every rank's share, gathered to rank 0 in dataset order.
    auto shard = apis::TestLoader(model_, *loader_, device_);
    model_.train();
    if (!shard.ok()) return Annotate(shard.status(), "evaluation (" + dataset_path_ + ")");
    MMDET_ASSIGN_OR_RETURN(results,
                           gather_(shard->results, shard->indices, loader_->dataset().size()));
    if (runner.rank() != 0) return absl::OkStatus();
  } else {
    auto all = apis::SingleGpuTest(model_, *loader_, device_);
    model_.train();
    if (!all.ok()) return Annotate(all.status(), "evaluation (" + dataset_path_ + ")");
    results = std::move(*all);
  }
  auto out = evaluation::EvaluateDataset(dataset_, dataset_path_, results, metrics_, kwargs_,
                                         dataset_path_);
  if (!out.ok()) return Annotate(out.status(), "evaluation");
  for (absl::string_view line : absl::StrSplit(out->log, '\n', absl::SkipEmpty())) {
    runner.LogInfo(std::string(line));
  }
  LogBuffer& buffer = runner.log_buffer();
  for (const evaluation::MetricValue& v : out->values) {
    if (v.text.empty()) {
      buffer.SetOutput(v.key, v.number);
    } else {
      buffer.SetOutputText(v.key, v.text);
    }
  }
  buffer.set_ready();
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<EvalHook>> BuildEvalHook(models::DetectorImpl& model,
                                                        const torch::Device& device,
                                                        const EvalHookOptions& options) {
  const config::EvaluationConfig& e = options.evaluation;
  if (e.interval() <= 0) return absl::InvalidArgumentError("evaluation.interval: must be positive");
  MMDET_ASSIGN_OR_RETURN(config::Dataset val, datasets::WithTestMode(options.val, "data.val"));
  std::vector<std::string> metrics(e.metric().begin(), e.metric().end());
  if (metrics.empty()) {
    const std::vector<std::string> allowed = evaluation::AllowedMetrics(val);
    if (!allowed.empty()) metrics.push_back(allowed[0]);
  }
  MMDET_RETURN_IF_ERROR(Annotate(evaluation::CheckMetrics(val, "data.val", metrics),
                                 "evaluation.metric"));
  MMDET_ASSIGN_OR_RETURN(evaluation::EvalKwargs kwargs,
                         evaluation::ParseEvalKwargs({e.options().begin(), e.options().end()},
                                                     "evaluation.options"));
  MMDET_ASSIGN_OR_RETURN(std::shared_ptr<datasets::Dataset> dataset,
                         datasets::BuildDataset(val, "data.val"));
  if (dataset->size() == 0) return absl::InvalidArgumentError("data.val: the dataset is empty");
  datasets::LoaderConfig lc;
  lc.imgs_per_gpu = 1;
  lc.workers_per_gpu = options.workers_per_gpu;
  lc.shuffle = false;
  lc.distributed = options.distributed;
  lc.world_size = options.world_size;
  lc.rank = options.rank;
  MMDET_ASSIGN_OR_RETURN(std::unique_ptr<datasets::DataLoader> loader,
                         datasets::BuildDataLoader(dataset, lc));
  return std::make_shared<EvalHook>(model, std::move(loader), device, std::move(val), "data.val",
                                    e.interval(), std::move(metrics), std::move(kwargs),
                                    options.gather);
}

}  // namespace mmdet::runner
