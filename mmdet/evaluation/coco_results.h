// COCO result files and ground truth as COCOeval sees them (pycocotools' COCO.loadRes and
// _prepare): a results JSON is a list of {image_id, category_id, score, bbox [x, y, w, h]}
// or {..., segmentation {size, counts}} objects.
//
// loadRes's rules, kept: the kind of the whole file is decided by its first element (a
// non-empty `bbox` makes it a bbox file, so MMDetection's segm.json, which has both, gets
// area = w * h); ids are i + 1, iscrowd 0; a segm file's area is the RLE's and a missing bbox
// is toBbox; a bbox result evaluated as segm is its box polygon. Where pycocotools would
// assert or crash this is an error naming the file and the element: an image id or a
// category id the annotation file does not have, a missing score, a malformed box or RLE.
// An empty results list is no detections (pycocotools cannot load one).
#ifndef MMDET_EVALUATION_COCO_RESULTS_H_
#define MMDET_EVALUATION_COCO_RESULTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mmdet/datasets/coco_api.h"
#include "mmdet/evaluation/coco_eval.h"

namespace mmdet::evaluation {

// The ground truth of `coco` for `type`: every annotation (file order) with its area and
// iscrowd, and for segm its mask (annToRLE at the image's size).
std::vector<CocoObject> CocoGroundTruth(const datasets::CocoFile& coco,
                                        CocoEvalParams::IouType type);

// COCO.loadRes of `json` (read from `source`) against `gt`, for evaluating `type`.
absl::StatusOr<std::vector<CocoObject>> ParseCocoResults(absl::string_view json,
                                                         absl::string_view source,
                                                         const datasets::CocoFile& gt,
                                                         CocoEvalParams::IouType type);
absl::StatusOr<std::vector<CocoObject>> LoadCocoResults(const std::string& path,
                                                        const datasets::CocoFile& gt,
                                                        CocoEvalParams::IouType type);

// The image and category ids of `coco` (cocoGt.getImgIds() / getCatIds()).
std::vector<int64_t> ImageIds(const datasets::CocoFile& coco);
std::vector<int64_t> CategoryIds(const datasets::CocoFile& coco);

}  // namespace mmdet::evaluation

#endif  // MMDET_EVALUATION_COCO_RESULTS_H_
