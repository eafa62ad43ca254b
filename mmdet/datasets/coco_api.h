// Reading COCO instances JSON fast (simdjson), with pycocotools' data model, and
// MMDetection v2's per-image ground-truth parsing (CocoDataset._parse_ann_info).
//
//   MMDET_ASSIGN_OR_RETURN(CocoFile coco, LoadCocoFile("annotations/instances_val2017.json"));
//   CocoLabelMap labels = MakeLabelMap(coco, /*classes=*/{});        // all categories
//   CocoGroundTruth gt = ParseAnnInfo(coco, image_index, labels);
//
// Bad input: malformed JSON, a missing or mistyped field, or an annotation whose category
// or image is not declared in the file are DataLoss errors naming the file and the element
// ("x.json: annotations[12].bbox: expected 4 numbers"). Annotations MMDetection skips are
// skipped the same way (see ParseAnnInfo).
#ifndef MMDET_DATASETS_COCO_API_H_
#define MMDET_DATASETS_COCO_API_H_

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mmdet/core/json_reader.h"
#include "mmdet/ops/mask_util.h"

namespace mmdet::datasets {

struct CocoImage {
  int64_t id = 0;
  std::string file_name;
  int64_t width = 0;
  int64_t height = 0;
};

// An annotation's `segmentation`: polygons, an uncompressed RLE (counts list) or a
// compressed one (counts string), or none.
struct Segmentation {
  enum class Kind { kNone, kPolygons, kRle };
  Kind kind = Kind::kNone;
  std::vector<std::vector<double>> polygons;
  ops::Rle rle;  // kRle (both RLE forms are decoded to counts)
};

struct CocoAnnotation {
  int64_t id = 0;
  int64_t image_id = 0;
  int64_t category_id = 0;
  std::array<double, 4> bbox{};  // x, y, w, h
  double area = 0;
  bool iscrowd = false;
  bool ignore = false;  // the optional "ignore" flag some converters write
  Segmentation segmentation;
};

struct CocoCategory {
  int64_t id = 0;
  std::string name;
};

struct CocoFile {
  std::vector<CocoImage> images;
  std::vector<CocoAnnotation> annotations;
  std::vector<CocoCategory> categories;
  // Annotation indices of each image, by image index (parallel to `images`), in file order.
  std::vector<std::vector<size_t>> image_annotations;
  std::unordered_map<int64_t, size_t> image_index;  // image id -> index
};

// Parses `json` (read from `source`, used in messages).
absl::StatusOr<CocoFile> ParseCocoJson(absl::string_view json, absl::string_view source);
absl::StatusOr<CocoFile> LoadCocoFile(const std::string& path);

// Category id <-> contiguous label (0-based, in the order of `classes`, or of the file's
// categories when `classes` is empty). NotFound when a class is not in the file.
struct CocoLabelMap {
  std::vector<int64_t> cat_ids;                 // label -> category id
  std::unordered_map<int64_t, int64_t> label;   // category id -> label
  std::vector<std::string> classes;             // label -> name
};
absl::StatusOr<CocoLabelMap> MakeLabelMap(const CocoFile& coco,
                                          const std::vector<std::string>& classes);

// MMDetection v2's _parse_ann_info for one image. Boxes are x1, y1, x2 = x + w, y2 = y + h
// (v2: no -1). Skipped, as MMDetection does: annotations flagged `ignore`; boxes that do not
// overlap the image; area <= 0, w < 1 or h < 1; categories outside the label map. Crowd
// boxes go to bboxes_ignore.
struct CocoGroundTruth {
  std::vector<std::array<float, 4>> bboxes;
  std::vector<int64_t> labels;
  std::vector<std::array<float, 4>> bboxes_ignore;
  std::vector<const Segmentation*> masks;  // parallel to bboxes; owned by the CocoFile
};
CocoGroundTruth ParseAnnInfo(const CocoFile& coco, size_t image_index,
                             const CocoLabelMap& labels);

// Reads a COCO `segmentation` value (polygon list, RLE with counts list or string) at
// `where`; errors name the element ("x.json: annotations[3].segmentation.counts: ...").
absl::Status ReadSegmentation(const JsonReader& reader, simdjson::dom::element e,
                              const std::string& where, Segmentation* out);

// pycocotools' annToRLE: polygons rasterised and merged, RLEs as they are.
ops::Rle SegmentationToRle(const Segmentation& segmentation, int64_t height, int64_t width);

}  // namespace mmdet::datasets

#endif  // MMDET_DATASETS_COCO_API_H_
