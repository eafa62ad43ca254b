// CustomDataset: MMDetection's middle format, a JSON list of
//   {"filename": "a.jpg", "width": 640, "height": 480,
//    "ann": {"bboxes": [[x1, y1, x2, y2], ...], "labels": [0, ...],
//            "bboxes_ignore": [...], "labels_ignore": [...]}}
// with labels indexing `classes` (required: the middle format has no names). "ann" may be
// left out in test mode; "bboxes_ignore" / "labels_ignore" may always be left out.
//
// Stricter than MMDetection, which would train on them silently: a label outside classes, a
// degenerate box (x2 <= x1 or y2 <= y1) or one entirely outside the image is an error naming
// the file and the element ("train.json: [3].ann.bboxes[1]: box [5, 5, 2, 9] is degenerate").
// Training filter as MMDetection's CustomDataset: shorter side < 32 only (filter_empty_gt has
// no effect here, as there).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mmdet/core/json_reader.h"
#include "mmdet/core/status.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/datasets/dataset.h"

namespace mmdet::datasets {
namespace {

namespace dom = simdjson::dom;

constexpr int kMinImageSize = 32;

absl::Status ReadBoxes(const JsonReader& r, dom::object ann, const char* key,
                       const std::string& where, const ImageInfo& image, bool required,
                       std::vector<Box>* out) {
  dom::element e;
  bool present = false;
  MMDET_RETURN_IF_ERROR(r.Field(ann, key, where, &e, required ? nullptr : &present));
  if (!required && !present) return absl::OkStatus();
  const std::string at = absl::StrCat(where, ".", key);
  dom::array rows;
  MMDET_RETURN_IF_ERROR(r.Array(e, at, &rows));
  for (dom::element row : rows) {
    const std::string item = absl::StrCat(at, "[", out->size(), "]");
    dom::array values;
    MMDET_RETURN_IF_ERROR(r.Array(row, item, &values));
    if (values.size() != 4) return r.Error(item, "expected [x1, y1, x2, y2]");
    Box box{};
    size_t k = 0;
    for (dom::element v : values) {
      double value = 0;
      MMDET_RETURN_IF_ERROR(r.Number(v, item, &value));
      box[k++] = static_cast<float>(value);
    }
    const std::string text = absl::StrCat("box [", absl::StrJoin(box, ", "), "]");
    if (box[2] <= box[0] || box[3] <= box[1]) return r.Error(item, text + " is degenerate");
    if (box[2] <= 0 || box[3] <= 0 || box[0] >= image.width || box[1] >= image.height) {
      return r.Error(item, absl::StrCat(text, " lies outside the ", image.width, "x",
                                        image.height, " image"));
    }
    out->push_back(box);
  }
  return absl::OkStatus();
}

absl::Status ReadLabels(const JsonReader& r, dom::object ann, const char* key,
                        const std::string& where, size_t num_classes, size_t expected,
                        bool required, std::vector<int64_t>* out) {
  dom::element e;
  bool present = false;
  MMDET_RETURN_IF_ERROR(r.Field(ann, key, where, &e, required ? nullptr : &present));
  if (!required && !present) return absl::OkStatus();  // labels_ignore is optional
  const std::string at = absl::StrCat(where, ".", key);
  {
    dom::array values;
    MMDET_RETURN_IF_ERROR(r.Array(e, at, &values));
    for (dom::element v : values) {
      const std::string item = absl::StrCat(at, "[", out->size(), "]");
      int64_t label = 0;
      MMDET_RETURN_IF_ERROR(r.Integer(v, item, &label));
      if (label < 0 || label >= static_cast<int64_t>(num_classes)) {
        return r.Error(item, absl::StrCat("unknown class: label ", label, " but classes has ",
                                          num_classes, " names"));
      }
      out->push_back(label);
    }
  }
  if (out->size() != expected) {
    return r.Error(at, absl::StrCat(out->size(), " labels for ", expected, " boxes"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<Dataset>> CustomFromConfig(const config::CustomDataset& config,
                                                          const std::string& path) {
  MMDET_ASSIGN_OR_RETURN(DatasetOptions options, ResolveDatasetOptions(config, path));
  if (options.classes.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ".classes: required (the middle format's labels index the class names)"));
  }
  JsonDocument doc;
  MMDET_RETURN_IF_ERROR(doc.Load(options.ann_file));
  const JsonReader& r = doc.reader();
  dom::array entries;
  MMDET_RETURN_IF_ERROR(r.Array(doc.root(), "top level", &entries));

  std::vector<ImageInfo> images;
  std::vector<AnnInfo> anns;
  std::vector<bool> keep;
  for (dom::element entry : entries) {
    const std::string where = absl::StrCat("[", images.size(), "]");
    dom::object object;
    MMDET_RETURN_IF_ERROR(r.Object(entry, where, &object));
    ImageInfo& info = images.emplace_back();
    info.id = static_cast<int64_t>(images.size()) - 1;
    dom::element e;
    MMDET_RETURN_IF_ERROR(r.Field(object, "filename", where, &e));
    MMDET_RETURN_IF_ERROR(r.String(e, where + ".filename", &info.filename));
    MMDET_RETURN_IF_ERROR(r.Field(object, "width", where, &e));
    MMDET_RETURN_IF_ERROR(r.Integer(e, where + ".width", &info.width));
    MMDET_RETURN_IF_ERROR(r.Field(object, "height", where, &e));
    MMDET_RETURN_IF_ERROR(r.Integer(e, where + ".height", &info.height));
    if (info.width < 1 || info.height < 1) {
      return r.Error(where, absl::StrCat("image size ", info.width, "x", info.height));
    }
    AnnInfo& ann = anns.emplace_back();
    bool has_ann = false;
    MMDET_RETURN_IF_ERROR(r.Field(object, "ann", where, &e, &has_ann));
    if (!has_ann && !options.test_mode) return r.Error(where, "missing 'ann'");
    if (has_ann) {
      const std::string at = where + ".ann";
      dom::object fields;
      MMDET_RETURN_IF_ERROR(r.Object(e, at, &fields));
      const size_t n = options.classes.size();
      MMDET_RETURN_IF_ERROR(ReadBoxes(r, fields, "bboxes", at, info, true, &ann.bboxes));
      MMDET_RETURN_IF_ERROR(
          ReadLabels(r, fields, "labels", at, n, ann.bboxes.size(), true, &ann.labels));
      MMDET_RETURN_IF_ERROR(
          ReadBoxes(r, fields, "bboxes_ignore", at, info, false, &ann.bboxes_ignore));
      MMDET_RETURN_IF_ERROR(ReadLabels(r, fields, "labels_ignore", at, n,
                                       ann.bboxes_ignore.size(), false, &ann.labels_ignore));
    }
    keep.push_back(std::min(info.width, info.height) >= kMinImageSize);
  }
  std::vector<std::string> classes = options.classes;
  MMDET_ASSIGN_OR_RETURN(auto dataset,
                         InMemoryDataset::Create(std::move(options), std::move(images),
                                                 std::move(anns), std::move(classes), keep));
  return std::shared_ptr<Dataset>(std::move(dataset));
}

}  // namespace

MMDET_REGISTER(DatasetRegistry, config::CustomDataset, CustomFromConfig);

}  // namespace mmdet::datasets
