// A config dataset's `evaluate` and `format_results` (MMDetection v2.0's CocoDataset,
// CityscapesDataset and VOCDataset methods) on in-memory results, shared by eval_metric, the
// runner's EvalHook and the test tool:
//
//   MMDET_ASSIGN_OR_RETURN(EvalKwargs kwargs, ParseEvalKwargs({"classwise=True"}, "--options"));
//   MMDET_ASSIGN_OR_RETURN(EvalOutput out, EvaluateDataset(cfg.data().val(), "data.val",
//                                                          results, {"bbox"}, kwargs, "val"));
//
// Metrics by dataset (anything else is an error naming the allowed ones):
//   coco_dataset        bbox, segm, proposal, proposal_fast
//   cityscapes_dataset  the same and cityscapes (cityscapesscripts' mAP, AP@50)
//   voc_dataset         mAP, recall (VOC2007 11-point AP when img_prefix names VOC2007)
#ifndef MMDET_EVALUATION_DATASET_EVALUATION_H_
#define MMDET_EVALUATION_DATASET_EVALUATION_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mmdet/config/config.pb.h"
#include "mmdet/datasets/ann_info.h"
#include "mmdet/evaluation/dataset_metrics.h"
#include "mmdet/evaluation/results.h"

namespace mmdet::evaluation {

// The keyword arguments of evaluate / format_results (`--options k=v` of the tools, the
// `evaluation` config's extras).
struct EvalKwargs {
  std::string jsonfile_prefix;
  std::string outfile_prefix;  // Cityscapes (also txtfile_prefix)
  bool classwise = false;
  std::vector<double> iou_thr;
  std::vector<int> proposal_nums = {100, 300, 1000};
  std::vector<std::pair<double, double>> scale_ranges;  // VOC mAP
};

// KEY=VALUE words: jsonfile_prefix, outfile_prefix / txtfile_prefix, classwise=True|False,
// iou_thr (a number or a list "[0.5, 0.75]"), proposal_nums ("100,300"), scale_ranges
// ("[(0, 32), (32, 1e5)]"). Errors name `flag` and the word.
absl::StatusOr<EvalKwargs> ParseEvalKwargs(const std::vector<std::string>& words,
                                           const std::string& flag);

// The VOC test set as VOCDataset.evaluate sees it: every image's annotation (test mode:
// nothing filtered), the class names, and whether it is VOC2007 (11-point AP).
struct VocTestSet {
  std::vector<datasets::AnnInfo> annotations;
  std::vector<std::string> classes;
  bool voc07 = false;
};
// InvalidArgument naming `path` when `dataset` is not a voc_dataset.
absl::StatusOr<VocTestSet> LoadVocTestSet(const config::Dataset& dataset, const std::string& path);

// The metrics MMDetection's dataset class of `dataset` supports.
std::vector<std::string> AllowedMetrics(const config::Dataset& dataset);
// InvalidArgument naming the metric and the allowed ones when one is not supported.
absl::Status CheckMetrics(const config::Dataset& dataset, const std::string& path,
                          const std::vector<std::string>& metrics);

// dataset.evaluate(results, metric=metrics, **kwargs) for the dataset config at `path`
// ("data.test"); `source` names the results in messages. The output's log holds what
// MMDetection prints (pycocotools' summaries, the tables).
absl::StatusOr<EvalOutput> EvaluateDataset(const config::Dataset& dataset, const std::string& path,
                                           const DetectionResults& results,
                                           const std::vector<std::string>& metrics,
                                           const EvalKwargs& kwargs, const std::string& source,
                                           int threads = 1);

// dataset.format_results: COCO results JSON (jsonfile_prefix.bbox.json, .segm.json,
// .proposal.json) or Cityscapes txt + png files under outfile_prefix; returns the files
// written. VOC has none (an error, as MMDetection).
absl::StatusOr<std::vector<std::string>> FormatResults(const config::Dataset& dataset,
                                                       const std::string& path,
                                                       const DetectionResults& results,
                                                       const EvalKwargs& kwargs,
                                                       const std::string& source);

}  // namespace mmdet::evaluation

#endif  // MMDET_EVALUATION_DATASET_EVALUATION_H_
