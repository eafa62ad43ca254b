// A dataset's test results in MMDetection's in-memory layout (what tools/test.py --out
// pickles): per image, per class, [n, 5] float32 boxes (x1, y1, x2, y2, score); Mask R-CNN adds
// per class one pycocotools RLE per box (and optionally mask scores); an RPN has one [n, 5]
// array of proposals per image. Read from a results.pkl, and turned into the COCO results JSON
// MMDetection's --format-only writes (CocoDataset.results2json).
#ifndef MMDET_EVALUATION_RESULTS_H_
#define MMDET_EVALUATION_RESULTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mmdet/core/pth/pth.h"
#include "mmdet/ops/mask_util.h"

namespace mmdet::evaluation {

struct DetectionResults {
  enum Kind { kBoxes, kMasks, kProposals };
  Kind kind = kBoxes;
  // kBoxes / kMasks: [image][class] -> [n, 5] float32; kProposals: [image][0] -> [n, 5].
  std::vector<std::vector<at::Tensor>> bboxes;
  // kMasks: [image][class][i] the RLE of bboxes[image][class][i].
  std::vector<std::vector<std::vector<ops::Rle>>> segms;
  // kMasks with (segms, scores) tuples: [image][class][i]; empty: the boxes' scores.
  std::vector<std::vector<std::vector<double>>> mask_scores;
};

// The results in `value` (a loaded results.pkl); errors name `source` and the element
// ("results.pkl: [3][1]: expected an (n, 5) array").
absl::StatusOr<DetectionResults> ResultsFromValue(const pth::Value& value,
                                                  const std::string& source);
absl::StatusOr<DetectionResults> LoadResultsPickle(const std::string& path);

// The results as MMDetection's test.py --out pickles them: a list over images of per-class
// float32 arrays, (bbox_results, segm_results) tuples with RLE dicts {'size': [h, w],
// 'counts': bytes} for masks (and ((segms, mask scores)) when mask scores are given), one
// array per image for proposals.
pth::Value ResultsToValue(const DetectionResults& results);
// ResultsToValue as a protocol 2 pickle with numpy arrays (Python's pickle.load reads it with
// numpy and no torch), written atomically.
absl::Status SaveResultsPickle(const std::string& path, const DetectionResults& results);

// results.json, the same content as results.pkl for our own pipelines (test --out x.json or
// --out -):
//   {"type": "bbox" | "segm" | "proposal", "results": [image, ...]}
// where an image is a list over classes of [[x1, y1, x2, y2, score], ...] (bbox), that plus
// per-class lists of {"size": [h, w], "counts": str} RLEs as {"bbox": [...], "segm": [...]}
// (segm; "mask_scores" too when given), or one [[x1, y1, x2, y2, score], ...] (proposal).
// Numbers are the float32 values, written round-trip exactly.
std::string ResultsToJson(const DetectionResults& results);
absl::StatusOr<DetectionResults> ParseResultsJson(absl::string_view json,
                                                  const std::string& source);

// CocoDataset._det2json / _segm2json / _proposal2json as JSON text: image i is img_ids[i],
// label l is cat_ids[l]; boxes xyxy2xywh (x, y, x2 - x, y2 - y in double from the float32
// values), scores float(score), segm counts as str. `which` is "bbox", "segm" or "proposal".
// InvalidArgument when the image or class counts do not match.
absl::StatusOr<std::string> ResultsToCocoJson(const DetectionResults& results,
                                              const std::vector<int64_t>& img_ids,
                                              const std::vector<int64_t>& cat_ids,
                                              const std::string& which,
                                              const std::string& source);

}  // namespace mmdet::evaluation

#endif  // MMDET_EVALUATION_RESULTS_H_
