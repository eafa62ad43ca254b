// Cityscapes instance-level AP as cityscapesscripts' evalInstanceLevelSemanticLabeling.py
// computes it (what MMDetection's CityscapesDataset.evaluate('cityscapes') runs):
//
// - ground truth from each image's gtFine_instanceIds.png: ids >= 1000 are instances of label
//   id // 1000, smaller ones stuff or *group regions; the 8 evaluated classes (person, rider,
//   car, truck, bus, train, motorcycle, bicycle); void pixels (the ignoreInEval labels);
// - a prediction (binary mask, label id, confidence) is matched to a gt of its class when
//   their IoU > the overlap (np.arange(0.5, 1.0, 0.05)); a gt's second match is a false
//   positive at the lower score; unmatched gts count as hard false negatives; an unmatched
//   prediction is a false positive unless more than `overlap` of it lies on void, *group or
//   small (< 100 px) gt pixels; gts below 100 px are not evaluated;
// - AP per class and overlap from the precision-recall curve over unique scores (tie order
//   does not matter), step-wise integrated; mAP = nanmean over classes and overlaps,
//   AP@50 = nanmean over classes at 0.5. Equal to the script within ~1e-12: its final dot
//   product runs in BLAS, whose summation order is not reproduced.
//
// CityscapesResultFiles writes MMDetection's results2txt output (per image
// <basename>_pred.txt of "<basename>_<i>_<class>.png <label id> <score>" lines, the PNG masks
// beside it), which the official script reads as well.
#ifndef MMDET_EVALUATION_CITYSCAPES_H_
#define MMDET_EVALUATION_CITYSCAPES_H_

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "absl/status/statusor.h"
#include "mmdet/evaluation/results.h"

namespace mmdet::evaluation {

// The Cityscapes label id of an evaluated class name ("car" -> 26), or -1.
int CityscapesLabelId(const std::string& name);

struct CityscapesPrediction {
  at::Tensor mask;  // [h, w] bool / uint8, non-zero = the instance
  int label_id = 0;
  double confidence = 0;
};

struct CityscapesImage {
  at::Tensor instance_ids;  // [h, w] int32: gtFine_instanceIds
  std::vector<CityscapesPrediction> predictions;  // in the prediction file's order
};

struct CityscapesAp {
  std::vector<std::string> classes;       // the 8 evaluated classes
  std::vector<double> overlaps;           // 0.5 .. 0.95
  std::vector<std::vector<double>> ap;    // [class][overlap], NaN without gts or predictions
  double all_ap = 0;                      // averages["allAp"]   (MMDetection's mAP)
  double all_ap50 = 0;                    // averages["allAp50%"] (AP@50)
};

CityscapesAp EvaluateCityscapes(const std::vector<CityscapesImage>& images);

// printResults' table: per class AP and AP_50%, then the averages.
std::string CityscapesTable(const CityscapesAp& ap);

// MMDetection's results2txt for the images `filenames` (dataset order, e.g.
// "frankfurt/frankfurt_000000_000294_leftImg8bit.png"), classes the dataset's names. Returns
// the written txt paths.
absl::StatusOr<std::vector<std::string>> CityscapesResultFiles(
    const DetectionResults& results, const std::vector<std::string>& filenames,
    const std::vector<std::string>& classes, const std::string& outfile_prefix);

// The images' ground truth (gt_dir/<city>/<name>_gtFine_instanceIds.png, gt_dir being the
// dataset's img_prefix with leftImg8bit replaced by gtFine) with the results as predictions.
absl::StatusOr<std::vector<CityscapesImage>> CityscapesImages(
    const DetectionResults& results, const std::vector<std::string>& filenames,
    const std::vector<std::string>& classes, const std::string& gt_dir);

}  // namespace mmdet::evaluation

#endif  // MMDET_EVALUATION_CITYSCAPES_H_
