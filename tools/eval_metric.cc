// Evaluates saved results against a config's test dataset with the dataset's own metrics
// (MMDetection v2's tools/eval_metric.py), or writes them in the evaluation server's format:
//
//   eval_metric CONFIG RESULT.pkl [--eval bbox segm proposal proposal_fast | mAP recall]
//               [--format-only] [--options KEY=VALUE ...] [--cfg-options KEY=VALUE ...]
//
// RESULT.pkl is what MMDetection's (or our) tools/test.py --out writes. --options (also
// --eval-options) are the evaluation's arguments: classwise=True, iou_thr=0.5 (VOC mAP; a
// list for recall), proposal_nums=100,300,1000, jsonfile_prefix=PREFIX (--format-only:
// PREFIX.bbox.json, PREFIX.segm.json, PREFIX.proposal.json). --cfg-options override the
// config (e.g. data.test.coco_dataset.ann_file=...). The metrics go to stdout as one JSON
// object with MMDetection's keys ({"bbox_mAP": 0.372, ...}); pycocotools' lines and the
// tables go to stderr.
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/evaluation/dataset_evaluation.h"
#include "mmdet/evaluation/dataset_metrics.h"
#include "mmdet/evaluation/results.h"
#include "tools/common_flags.h"
#include "tools/tool_main.h"

ABSL_FLAG(std::vector<std::string>, eval, {},
          "Metrics: bbox, segm, proposal, proposal_fast (COCO-style datasets), cityscapes "
          "(Cityscapes), mAP, recall (VOC).");
ABSL_FLAG(bool, format_only, false,
          "Write the results as COCO results JSON (--options jsonfile_prefix=PREFIX) instead.");
ABSL_FLAG(int, threads, static_cast<int>(std::thread::hardware_concurrency()),
          "Threads for COCO evaluation.");

namespace mmdet::tools {

absl::Status Run(const std::vector<std::string>& positional) {
  std::vector<std::string> args = positional;
  MMDET_ASSIGN_OR_RETURN(config::Config cfg, LoadToolConfig(&args));
  if (args.empty()) return absl::InvalidArgumentError("expected RESULT.pkl after CONFIG");
  const std::string result_file = args[0];
  args.erase(args.begin());
  MMDET_RETURN_IF_ERROR(NoExtraArgs(args));
  const std::vector<std::string> metrics = absl::GetFlag(FLAGS_eval);
  const bool format_only = absl::GetFlag(FLAGS_format_only);
  if (metrics.empty() && !format_only) {
    return absl::InvalidArgumentError(
        "specify at least one operation: --eval METRIC ... or --format-only");
  }
  if (!metrics.empty() && format_only) {
    return absl::InvalidArgumentError("--eval and --format-only cannot be both specified");
  }
  MMDET_ASSIGN_OR_RETURN(const evaluation::EvalKwargs kwargs,
                         evaluation::ParseEvalKwargs(EvalOptions(), "--options"));
  const config::Dataset& test = cfg.data().test();
  MMDET_RETURN_IF_ERROR(evaluation::CheckMetrics(test, "data.test", metrics));
  MMDET_ASSIGN_OR_RETURN(const evaluation::DetectionResults results,
                         evaluation::LoadResultsPickle(result_file));
  if (format_only) {
    MMDET_ASSIGN_OR_RETURN(
        const std::vector<std::string> files,
        evaluation::FormatResults(test, "data.test", results, kwargs, result_file));
    if (test.has_cityscapes_dataset()) {
      std::cerr << "wrote " << files.size() << " prediction files to " << kwargs.outfile_prefix
                << "\n";
    } else {
      for (const std::string& file : files) std::cerr << "wrote " << file << "\n";
    }
    return absl::OkStatus();
  }
  MMDET_ASSIGN_OR_RETURN(const evaluation::EvalOutput out,
                         evaluation::EvaluateDataset(test, "data.test", results, metrics, kwargs,
                                                     result_file, absl::GetFlag(FLAGS_threads)));
  std::cerr << out.log;
  std::cout << evaluation::MetricsToJson(out.values) << std::endl;
  return absl::OkStatus();
}

}  // namespace mmdet::tools

int main(int argc, char** argv) {
  std::vector<std::string> args = mmdet::tools::InitTool(
      {.usage = "eval_metric CONFIG RESULT.pkl [--eval METRIC ...] [--format-only] "
                "[--options KEY=VALUE ...] [--cfg-options KEY=VALUE ...]",
       .takes_config = true,
       .eval_options = true,
       .list_flags = {"eval"}},
      argc, argv);
  return mmdet::tools::RunTool(&mmdet::tools::Run, args);
}
