// MMDetection v2.0's EvalHook (mmdet/core/evaluation/eval_hooks.py), registered by train
// --validate at NORMAL priority: every `evaluation.interval` epochs, after the epoch (and its
// checkpoint), the model runs over the val loader (one image per batch, in order) and the val
// dataset's evaluate(results, metric, **options) writes its metrics into the log buffer; the
// logger hooks then write them as the val line ({"mode": "val", "epoch": e, "iter": <last
// train iter>, "lr": .., "bbox_mAP": .., ...}). pycocotools' summaries go to the log.
//
// Distributed (DistEvalHook): every rank tests its share of the val set; the gather function
// collects the results to rank 0 in dataset order, and rank 0 evaluates.
#ifndef MMDET_RUNNER_HOOKS_EVAL_HOOK_H_
#define MMDET_RUNNER_HOOKS_EVAL_HOOK_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/config/config.pb.h"
#include "mmdet/datasets/loader/data_loader.h"
#include "mmdet/evaluation/dataset_evaluation.h"
#include "mmdet/evaluation/results.h"
#include "mmdet/models/detectors/detector.h"
#include "mmdet/runner/hooks/hooks.pb.h"
#include "mmdet/runner/runner.h"

namespace mmdet::runner {

// Merges every rank's (dataset index, result) share into the whole val set's results on rank
// 0 (other ranks get an empty value).
using ResultsGather = std::function<absl::StatusOr<evaluation::DetectionResults>(
    const evaluation::DetectionResults& shard, const std::vector<size_t>& indices, size_t total)>;

class EvalHook : public Hook {
 public:
  // `dataset_path` names the val dataset config in messages ("data.val").
  EvalHook(models::DetectorImpl& model, std::unique_ptr<datasets::DataLoader> loader,
           torch::Device device, config::Dataset dataset, std::string dataset_path, int interval,
           std::vector<std::string> metrics, evaluation::EvalKwargs kwargs,
           ResultsGather gather = nullptr)
      : model_(model),
        loader_(std::move(loader)),
        device_(device),
        dataset_(std::move(dataset)),
        dataset_path_(std::move(dataset_path)),
        interval_(interval),
        metrics_(std::move(metrics)),
        kwargs_(std::move(kwargs)),
        gather_(std::move(gather)) {}
  absl::Status AfterTrainEpoch(Runner& runner) override;

 private:
  models::DetectorImpl& model_;
  std::unique_ptr<datasets::DataLoader> loader_;
  torch::Device device_;
  config::Dataset dataset_;
  std::string dataset_path_;
  int interval_;
  std::vector<std::string> metrics_;
  evaluation::EvalKwargs kwargs_;
  ResultsGather gather_;
};

struct EvalHookOptions {
  config::EvaluationConfig evaluation;
  config::Dataset val;  // data.val
  int workers_per_gpu = 2;
  bool distributed = false;
  int world_size = 1;
  int rank = 0;
  ResultsGather gather;  // distributed only
};

// Builds the val dataset (test mode) and loader and the hook; errors name the config field
// (an unsupported metric names the allowed ones). Metrics default to the dataset's first
// (bbox for COCO, mAP for VOC), as the datasets' evaluate defaults.
absl::StatusOr<std::shared_ptr<EvalHook>> BuildEvalHook(models::DetectorImpl& model,
                                                        const torch::Device& device,
                                                        const EvalHookOptions& options);

}  // namespace mmdet::runner

#endif  // MMDET_RUNNER_HOOKS_EVAL_HOOK_H_
