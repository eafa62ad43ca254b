// Reading PASCAL VOC annotation XML (pugixml) with MMDetection v2's semantics, and writing
// MMDetection's "middle format" JSON (what tools/convert_datasets/pascal_voc.py dumps).
//
//   MMDET_ASSIGN_OR_RETURN(
//       std::vector<VocAnnotation> anns,
//       LoadVocImageSet("data/VOCdevkit", "2007", "trainval", VocClasses(), {}));
//   MMDET_RETURN_IF_ERROR(WriteVocMiddleFormat("data/VOCdevkit/voc07_trainval.json", anns));
//
// One object is read as XMLDataset.get_ann_info (mmdet/datasets/xml_style.py, v2) reads it:
//   - <name> gives the label, its 0-based index in `classes`;
//   - <difficult> (absent = 0) sends the box to bboxes_ignore / labels_ignore;
//   - each <bndbox> coordinate is int(float(text)), truncated toward zero;
//   - with min_size > 0, a box whose integer width (xmax - xmin) or height is below min_size
//     is ignored too;
//   - finally every coordinate, kept or ignored, has 1 subtracted (v2 keeps VOC's 1-based
//     pixel indices minus one: `np.array(bboxes, ndmin=2) - 1`).
// Width and height come from <size> (v2 would open the image when <size> is absent; we
// require it).
//
// Bad input is a DataLoss error naming the file and the element, e.g.
//   "VOC2007/Annotations/000001.xml: object[3].bndbox.xmin: expected a number, got 'abc'"
//   "x.xml: malformed XML at offset 120 (line 7, column 3): Start-end tags mismatch"
// A class name outside `classes` is an error (pascal_voc.py's KeyError) unless
// VocParseOptions::skip_unknown_classes is set (XMLDataset's `continue`).
#ifndef MMDET_DATASETS_VOC_VOC_XML_H_
#define MMDET_DATASETS_VOC_VOC_XML_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mmdet::datasets {

// The 20 PASCAL VOC classes in MMDetection's order (VOCDataset.CLASSES): aeroplane, bicycle,
// bird, ..., tvmonitor.
const std::vector<std::string>& VocClasses();

// One image's ground truth, MMDetection's middle format: boxes are x1, y1, x2, y2 (already
// minus 1), labels are 0-based indices into the class list.
struct VocAnnotation {
  // Image path relative to the devkit, e.g. "VOC2007/JPEGImages/000001.jpg". Set by
  // LoadVocImageSet; ParseVocXml / LoadVocXml leave it empty (the caller knows the image id).
  std::string filename;
  int64_t width = 0;
  int64_t height = 0;
  std::vector<std::array<float, 4>> bboxes;
  std::vector<int64_t> labels;
  std::vector<std::array<float, 4>> bboxes_ignore;  // difficult, or smaller than min_size
  std::vector<int64_t> labels_ignore;
};

struct VocParseOptions {
  // Drop objects whose <name> is not in `classes` (XMLDataset's behaviour, useful with a
  // subset of the classes) instead of failing (pascal_voc.py's behaviour).
  bool skip_unknown_classes = false;
  // XMLDataset's min_size: boxes narrower or lower than this go to bboxes_ignore. 0 = off.
  double min_size = 0;
};

// Parses one annotation file's text. `source` names it in error messages.
absl::StatusOr<VocAnnotation> ParseVocXml(absl::string_view xml, absl::string_view source,
                                          const std::vector<std::string>& classes,
                                          const VocParseOptions& options = {});

// Reads and parses the annotation file at `path` (NotFound if it does not exist).
absl::StatusOr<VocAnnotation> LoadVocXml(const std::string& path,
                                         const std::vector<std::string>& classes,
                                         const VocParseOptions& options = {});

// The image ids of an ImageSets/Main/<split>.txt list: one id per line, surrounding
// whitespace (and '\r') trimmed, blank lines skipped.
absl::StatusOr<std::vector<std::string>> ReadImageIdList(const std::string& path);

// pascal_voc.py's cvt_annotations for one year: reads
// DEVKIT/VOC<year>/ImageSets/Main/<split>.txt, parses DEVKIT/VOC<year>/Annotations/<id>.xml
// for every id in order, and sets filename = "VOC<year>/JPEGImages/<id>.jpg". `year` is
// "2007" or "2012" (any string works). The first bad file stops it; its error names the file.
absl::StatusOr<std::vector<VocAnnotation>> LoadVocImageSet(
    const std::string& devkit_path, const std::string& year, const std::string& split,
    const std::vector<std::string>& classes, const VocParseOptions& options = {});

// MMDetection's middle format as compact JSON: a list of
//   {"filename": ..., "width": W, "height": H,
//    "ann": {"bboxes": [[x1, y1, x2, y2], ...], "labels": [...],
//            "bboxes_ignore": [[...], ...], "labels_ignore": [...]}}
// with box coordinates written as floats (e.g. 47.0) and labels as integers.
std::string VocMiddleFormatJson(const std::vector<VocAnnotation>& annotations);

// Writes VocMiddleFormatJson(annotations) to `path` atomically (mmdet/core/file_io.h).
absl::Status WriteVocMiddleFormat(const std::string& path,
                                  const std::vector<VocAnnotation>& annotations);

}  // namespace mmdet::datasets

#endif  // MMDET_DATASETS_VOC_VOC_XML_H_
