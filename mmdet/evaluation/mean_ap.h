// MMDetection v2.0's VOC-style mAP (mmdet/core/evaluation/mean_ap.py eval_map with
// tpfp_default and average_precision), for VOCDataset's `mAP` metric:
//
//   MeanApResult r = EvalMap(dets, annotations, {.iou_thr = 0.5, .voc07 = true});
//   r.mean_ap;                   // eval_results['mAP']
//   r.classes[c].ap, .recall, .precision, .num_gts, .num_dets
//
// Semantics as there, dtypes included: boxes, IoUs (numpy bbox_overlaps), tp / fp and
// precision are float32; recall is float64 (tp / max(num_gts, float32 eps)); each image's
// detections are matched in descending score order to the gt of highest IoU >= iou_thr
// (float32 comparison), a gt matched once (later detections of it are false positives),
// detections on ignored gts (bboxes_ignore of the class, or outside the scale range) neither;
// unmatched detections outside the scale range are not counted. AP is the area under the
// precision envelope ("area"), or the mean of the best precision at recall >= 0, 0.1, ... 1
// accumulated in float32 ("11points", VOC2007); per class in float32, and mAP the float32 mean
// over the classes with gts. Scale ranges (min, max) select gt / det areas in
// [min^2, max^2). Ties in score are taken in stable order (numpy's default quicksort may
// order equal scores otherwise).
#ifndef MMDET_EVALUATION_MEAN_AP_H_
#define MMDET_EVALUATION_MEAN_AP_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mmdet/evaluation/recall.h"

namespace mmdet::evaluation {

struct Detection {
  FloatBox box;
  float score = 0;
};

// One image's annotation: bboxes / labels and the ignored bboxes_ignore / labels_ignore.
struct MapAnnotation {
  std::vector<FloatBox> bboxes;
  std::vector<int64_t> labels;
  std::vector<FloatBox> bboxes_ignore;
  std::vector<int64_t> labels_ignore;
};

struct MapOptions {
  double iou_thr = 0.5;
  bool voc07 = false;  // dataset 'voc07': 11-point AP
  // scale_ranges [(min, max), ...] (areas min^2 .. max^2); empty: all.
  std::vector<std::pair<double, double>> scale_ranges;
};

struct ClassMapResult {
  std::vector<int64_t> num_gts;  // per scale
  int64_t num_dets = 0;
  std::vector<std::vector<double>> recall;    // per scale, per sorted detection
  std::vector<std::vector<float>> precision;  // per scale, per sorted detection
  std::vector<float> ap;                      // per scale
};

struct MeanApResult {
  std::vector<float> mean_ap;  // per scale (one without scale ranges)
  std::vector<ClassMapResult> classes;
};

// detections[image][class]: that class's detections in the image.
MeanApResult EvalMap(const std::vector<std::vector<std::vector<Detection>>>& detections,
                     const std::vector<MapAnnotation>& annotations, const MapOptions& options);

// average_precision for one scale: recalls (float64) and precisions (float32) of the sorted
// detections; "area" or "11points".
float AveragePrecision(const std::vector<double>& recalls, const std::vector<float>& precisions,
                       bool eleven_points);

// print_map_summary's table (class, gts, dets, recall, ap; mAP) for one scale.
std::string MapSummaryTable(const MeanApResult& result, const std::vector<std::string>& classes,
                            size_t scale = 0);

}  // namespace mmdet::evaluation

#endif  // MMDET_EVALUATION_MEAN_AP_H_
