// MMDetection v2.0's tools/robustness_eval.py: the robustness summary of a test_robustness
// results file (FILE_results.pkl: {corruption: {severity: {task: {metric: value}}}}, or for
// VOC {corruption: {severity: [per-class {'ap': ...}]}}), ours or MMDetection's:
//
//   bazel run //tools:robustness_eval -- FILE_results.pkl [--dataset coco|voc|cityscapes]
//       [--task bbox segm] [--metric AP AP50 ...] [--prints P mPC rPC] [--aggregate benchmark|all]
//
// P = the clean performance (the first corruption's severity 0), mPC = the mean over the
// first 15 corruptions (benchmark) or all of them, severities 1-5, rPC = mPC / P. COCO-style
// results print in pycocotools' summary layout (every metric) or one line per --metric; VOC
// prints the class-mean AP50, as MMDetection (whose "Realtive" spelling is kept where it has
// it, so scripts that grep the output keep working).
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "mmdet/core/pth/pth.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/evaluation/robustness.h"
#include "tools/tool_main.h"

ABSL_FLAG(std::string, dataset, "coco", "coco, voc or cityscapes.");
ABSL_FLAG(std::vector<std::string>, task, std::vector<std::string>({"bbox"}), "bbox and/or segm.");
ABSL_FLAG(std::vector<std::string>, metric, {}, "Metrics (default: all twelve, COCO layout).");
ABSL_FLAG(std::vector<std::string>, prints, std::vector<std::string>({"mPC"}), "P, mPC and/or rPC.");
ABSL_FLAG(std::string, aggregate, "benchmark", "benchmark (the first 15 corruptions) or all.");

namespace mmdet::tools {
namespace {

absl::Status Run(const std::vector<std::string>& args) {
  if (args.size() != 1) return absl::InvalidArgumentError("expected FILE_results.pkl");
  evaluation::RobustnessPrintOptions o;
  o.dataset = absl::GetFlag(FLAGS_dataset);
  o.tasks = absl::GetFlag(FLAGS_task);
  o.metrics = absl::GetFlag(FLAGS_metric);
  o.prints = absl::GetFlag(FLAGS_prints);
  o.aggregate = absl::GetFlag(FLAGS_aggregate);
  MMDET_ASSIGN_OR_RETURN(const pth::Value results, pth::LoadPickle(args[0]));
  return evaluation::PrintRobustnessResults(results, args[0], o, std::cout);
}

}  // namespace
}  // namespace mmdet::tools
int main(int argc, char** argv) {
  std::vector<std::string> args = mmdet::tools::InitTool(
      {.usage = "robustness_eval FILE_results.pkl [--dataset coco|voc|cityscapes] [--task bbox "
                "segm] [--metric AP ...] [--prints P mPC rPC] [--aggregate benchmark|all]",
       .list_flags = {"task", "metric", "prints"}},
      argc, argv);
  return mmdet::tools::RunTool(&mmdet::tools::Run, args);
}
