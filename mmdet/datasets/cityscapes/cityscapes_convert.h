// Cityscapes gtFine annotations -> COCO instances JSON, as MMDetection's
// tools/convert_datasets/cityscapes.py produces them for CityscapesDataset.
//
// Input is the gtFine polygon files (no cityscapesscripts, no instanceIds.png decoding):
//
//   CITYSCAPES_PATH/gtFine/{train,val,test}/{city}/{name}_gtFine_polygons.json
//     {"imgHeight": 1024, "imgWidth": 2048,
//      "objects": [{"label": "car", "polygon": [[x, y], ...], "deleted": 0}, ...]}
//
// Output, per split folder that exists, is OUT_DIR/instancesonly_filtered_gtFine_{split}.json
// (the names MMDetection's configs/_base_/datasets/cityscapes_*.py read), written atomically:
//
//   images:      {id, file_name: "{city}/{name}_leftImg8bit.png" (relative to
//                 leftImg8bit/{split}/), height, width, segm_file:
//                 "{city}/{name}_gtFine_labelIds.png"}
//   annotations: {id, image_id, category_id, bbox [x, y, w, h], area, iscrowd,
//                 segmentation [[x0, y0, x1, y1, ...], ...]}   (omitted when there are none,
//                 as the reference does for the unlabelled test split)
//   categories:  the 8 Cityscapes labels with hasInstances and not ignoreInEval, keeping
//                their Cityscapes label ids: person 24, rider 25, car 26, truck 27, bus 28,
//                train 31, motorcycle 32, bicycle 33 (caravan 29 and trailer 30 are ignored
//                in evaluation and dropped, as in the reference).
//
// Object rules (cityscapesscripts' json2instanceImg + the reference's filter):
//   - `deleted` objects are skipped;
//   - a label equal to one of the 8 names is one instance, iscrowd = 0;
//   - "<name>group" (e.g. "cargroup") is crowd: all group polygons of one class in an image
//     form a single iscrowd = 1 annotation (the instance image gives them one id);
//   - every other label ("road", "caravan", "license plate", ...) is skipped;
//   - area and bbox come from the polygons rasterised as pycocotools does (ops::FromPolygons);
//     polygons with fewer than 3 points, and objects that cover no pixel, are dropped.
// Annotations of an image are ordered as the reference's sorted instance ids: crowd
// annotations by category id, then instances by category id in file order. Image ids count
// from 0 as in the reference; annotation ids count from 1, because pycocotools' COCOeval
// treats a match with ground-truth id 0 as no match.
//
// Differences from the reference, which rasterises the instanceIds.png images: masks are the
// annotated polygons, so an object occluded by a polygon drawn after it keeps its full extent
// (the reference keeps only the visible pixels), and segmentation is polygons, not RLE.
//
//   CityscapesOptions options;
//   options.cityscapes_path = "data/cityscapes";
//   options.out_dir = "data/cityscapes/annotations";
//   MMDET_ASSIGN_OR_RETURN(std::vector<CityscapesSplitResult> written,
//                          ConvertCityscapes(options));
#ifndef MMDET_DATASETS_CITYSCAPES_CITYSCAPES_CONVERT_H_
#define MMDET_DATASETS_CITYSCAPES_CITYSCAPES_CONVERT_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mmdet::datasets {

// One Cityscapes instance class: its label name and its COCO category id (the Cityscapes
// label id).
struct CityscapesClass {
  const char* name;
  int category_id;
};

// The 8 classes, in category-id order (MMDetection's CityscapesDataset.CLASSES order).
extern const std::array<CityscapesClass, 8> kCityscapesClasses;

// One COCO annotation made from one object, or from all "<name>group" objects of a class.
struct CityscapesAnnotation {
  int category_id = 0;
  bool iscrowd = false;
  std::vector<std::vector<double>> polygons;  // each [x0, y0, x1, y1, ...], >= 3 points
  uint64_t area = 0;
  std::array<double, 4> bbox = {0, 0, 0, 0};  // [x, y, w, h]
};

// One parsed *_gtFine_polygons.json file.
struct CityscapesImageAnnotations {
  int64_t height = 0;
  int64_t width = 0;
  std::vector<CityscapesAnnotation> annotations;  // in the order described above
};

// Parses the text of a polygons file. `source` names it in errors: DataLoss
// "<source>: objects[3].polygon[2]: expected [x, y]" for malformed JSON or a missing or
// mistyped field.
absl::StatusOr<CityscapesImageAnnotations> ParseCityscapesPolygons(absl::string_view json,
                                                                   absl::string_view source);

struct CityscapesOptions {
  // Root holding gtFine/ (leftImg8bit/ is not read).
  std::string cityscapes_path;
  // Annotation folder under cityscapes_path (the reference's --gt-dir).
  std::string gt_dir = "gtFine";
  // Where the JSON files go (created if missing).
  std::string out_dir;
  // Threads parsing and rasterising files; the output does not depend on it.
  int nproc = 1;
};

// What was written for one split.
struct CityscapesSplitResult {
  std::string split;  // "train", "val" or "test"
  std::string path;   // the JSON file written
  int64_t num_images = 0;
  int64_t num_annotations = 0;
};

// Converts every split folder (train, val, test, in that order) that exists under
// cityscapes_path/gt_dir. Cities and files are visited in sorted order, so the output is
// deterministic. NotFound when cityscapes_path/gt_dir or all three splits are missing, or a
// split has no *_gtFine_polygons.json file; DataLoss (naming the file) for a bad file.
absl::StatusOr<std::vector<CityscapesSplitResult>> ConvertCityscapes(
    const CityscapesOptions& options);

}  // namespace mmdet::datasets

#endif  // MMDET_DATASETS_CITYSCAPES_CITYSCAPES_CONVERT_H_
