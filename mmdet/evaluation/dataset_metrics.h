// The metrics of MMDetection v2.0's datasets on saved results, with its keys and rounding:
//
// CocoDataset.evaluate (EvaluateCoco):
//   bbox / segm   {m}_mAP, {m}_mAP_50, {m}_mAP_75, {m}_mAP_s, {m}_mAP_m, {m}_mAP_l (stats 0-5
//                 rounded to 3 decimals) and {m}_mAP_copypaste ("0.372 0.589 ..."); with
//                 classwise, the per-category AP table in the log;
//   proposal      AR@100, AR@300, AR@1000, AR_s@1000, AR_m@1000, AR_l@1000 (stats 6-11 of a
//                 class-agnostic COCOeval at maxDets = proposal_nums, 3 decimals);
//   proposal_fast AR@N (eval_recalls at iou_thrs, unrounded).
// VOCDataset.evaluate (EvaluateVoc):
//   mAP           eval_map at iou_thr (11-point AP for VOC2007), unrounded;
//   recall        recall@N@iou for each proposal number and IoU, AR@N when several IoUs.
// The log gets what MMDetection prints: pycocotools' summary lines, the tables.
#ifndef MMDET_EVALUATION_DATASET_METRICS_H_
#define MMDET_EVALUATION_DATASET_METRICS_H_

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/datasets/ann_info.h"
#include "mmdet/datasets/coco_api.h"
#include "mmdet/evaluation/recall.h"
#include "mmdet/evaluation/mean_ap.h"
#include "mmdet/evaluation/results.h"

namespace mmdet::evaluation {

// One metric value: a number, or a string (the copypaste line).
struct MetricValue {
  std::string key;
  double number = 0;
  std::string text;  // non-empty: a string value
};

struct EvalOutput {
  std::vector<MetricValue> values;
  std::string log;
  // The raw numbers test_robustness keeps: per COCO metric ("bbox", "segm", "proposal") its
  // 12 COCOeval stats, unrounded; for VOC mAP, each class's result (the first scale).
  std::vector<std::pair<std::string, std::array<double, 12>>> coco_stats;
  std::vector<ClassMapResult> voc_classes;
};

// `{"bbox_mAP": 0.372, ..., "bbox_mAP_copypaste": "0.372 ..."}` with the values in order.
std::string MetricsToJson(const std::vector<MetricValue>& values);

class CocoEval;

// fast_eval_recall's ground truth: per image of img_ids, its boxes without crowd / ignore
// ones as float32 (x, y, x + w, y + h).
std::vector<std::vector<FloatBox>> FastRecallGroundTruth(const datasets::CocoFile& coco,
                                                         const std::vector<int64_t>& img_ids);
// Each image's boxes of every class (or its proposals) as proposals, float32 values kept.
std::vector<std::vector<Proposal>> ResultsAsProposals(const DetectionResults& results);
// The names of `cat_ids` in the annotation file (the id itself when it has none).
std::vector<std::string> CategoryNames(const datasets::CocoFile& coco,
                                       const std::vector<int64_t>& cat_ids);

// MMDetection v2.0's classwise table: per category (`names` in COCOeval's sorted category
// order) precision[:, :, k, 0, -1]'s mean over values > -1 ("nan" when none), 3 per row.
std::string ClasswiseTable(const CocoEval& eval, const std::vector<std::string>& names);

struct CocoMetricOptions {
  std::vector<std::string> metrics = {"bbox"};
  bool classwise = false;
  std::vector<int> proposal_nums = {100, 300, 1000};
  std::vector<double> iou_thrs;  // proposal_fast; empty: np.arange(0.5, 0.96, 0.05)
  int threads = 1;
};

// `results` for the images img_ids (the dataset's order) with labels mapping to cat_ids.
absl::StatusOr<EvalOutput> EvaluateCoco(const DetectionResults& results,
                                        const datasets::CocoFile& coco,
                                        const std::vector<int64_t>& img_ids,
                                        const std::vector<int64_t>& cat_ids,
                                        const std::vector<std::string>& class_names,
                                        const CocoMetricOptions& options,
                                        const std::string& source);

struct VocMetricOptions {
  std::vector<std::string> metrics = {"mAP"};
  double iou_thr = 0.5;                     // mAP
  std::vector<double> recall_iou_thrs = {0.5};  // recall
  std::vector<int> proposal_nums = {100, 300, 1000};
  bool voc07 = false;
  // mAP per scale range (min, max) of box sides; with ranges, "mAP" holds one value per range
  // ("mAP" for the first, "mAP@<min>-<max>" for each) and the table is printed per range.
  std::vector<std::pair<double, double>> scale_ranges;
};

absl::StatusOr<EvalOutput> EvaluateVoc(const DetectionResults& results,
                                       const std::vector<datasets::AnnInfo>& annotations,
                                       const std::vector<std::string>& class_names,
                                       const VocMetricOptions& options,
                                       const std::string& source);

}  // namespace mmdet::evaluation

#endif  // MMDET_EVALUATION_DATASET_METRICS_H_
