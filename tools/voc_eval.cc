// VOC mAP of saved results (MMDetection v1's tools/voc_eval.py):
//
//   voc_eval RESULT.pkl CONFIG [--iou-thr 0.5]
//
// Prints eval_map's table (class, gts, dets, recall, ap; mAP) for the config's data.test
// voc_dataset: 11-point AP for VOC2007, area under the curve otherwise.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "mmdet/config/loader.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/evaluation/dataset_metrics.h"
#include "mmdet/evaluation/dataset_evaluation.h"
#include "mmdet/evaluation/results.h"
#include "tools/tool_main.h"

ABSL_FLAG(double, iou_thr, 0.5, "IoU threshold of a true positive.");

namespace mmdet::tools {

absl::Status Run(const std::vector<std::string>& args) {
  if (args.size() != 2) return absl::InvalidArgumentError("expected RESULT.pkl CONFIG");
  MMDET_ASSIGN_OR_RETURN(const config::Config cfg, LoadConfig(args[1], ConfigOverrides()));
  MMDET_ASSIGN_OR_RETURN(const evaluation::VocTestSet voc,
                         evaluation::LoadVocTestSet(cfg.data().test(), "data.test"));
  MMDET_ASSIGN_OR_RETURN(const evaluation::DetectionResults results,
                         evaluation::LoadResultsPickle(args[0]));
  evaluation::VocMetricOptions m;
  m.iou_thr = absl::GetFlag(FLAGS_iou_thr);
  m.voc07 = voc.voc07;
  MMDET_ASSIGN_OR_RETURN(evaluation::EvalOutput out,
                         evaluation::EvaluateVoc(results, voc.annotations, voc.classes, m, args[0]));
  std::cout << out.log;
  return absl::OkStatus();
}

}  // namespace mmdet::tools

int main(int argc, char** argv) {
  std::vector<std::string> args = mmdet::tools::InitTool(
      {.usage = "voc_eval RESULT.pkl CONFIG [--iou-thr 0.5]", .takes_config = true}, argc, argv);
  return mmdet::tools::RunTool(&mmdet::tools::Run, args);
}
