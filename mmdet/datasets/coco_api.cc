#include "mmdet/datasets/coco_api.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/json_reader.h"
#include "mmdet/core/status_macros.h"

namespace mmdet::datasets {
namespace {

namespace dom = simdjson::dom;

using Reader = JsonReader;


}  // namespace

absl::Status ReadSegmentation(const Reader& r, dom::element e, const std::string& where,
                              Segmentation* out) {
  if (e.type() == dom::element_type::ARRAY) {
    out->kind = Segmentation::Kind::kPolygons;
    size_t p = 0;
    // A copy: range-for over value_unsafe() of the temporary result would dangle.
    const dom::array polygons = e.get_array().value_unsafe();
    for (dom::element polygon : polygons) {
      const std::string at = absl::StrCat(where, "[", p++, "]");
      dom::array coords;
      MMDET_RETURN_IF_ERROR(r.Array(polygon, at, &coords));
      std::vector<double> xy;
      for (dom::element c : coords) {
        double v = 0;
        MMDET_RETURN_IF_ERROR(r.Number(c, at, &v));
        xy.push_back(v);
      }
      if (xy.size() % 2 != 0 || xy.size() < 6) {
        return r.Error(at, "a polygon needs an even number (>= 6) of coordinates");
      }
      out->polygons.push_back(std::move(xy));
    }
    return absl::OkStatus();
  }
  dom::object rle;
  MMDET_RETURN_IF_ERROR(r.Object(e, where, &rle));
  out->kind = Segmentation::Kind::kRle;
  dom::element size, counts;
  MMDET_RETURN_IF_ERROR(r.Field(rle, "size", where, &size));
  MMDET_RETURN_IF_ERROR(r.Field(rle, "counts", where, &counts));
  dom::array hw;
  MMDET_RETURN_IF_ERROR(r.Array(size, where + ".size", &hw));
  if (hw.size() != 2) return r.Error(where + ".size", "expected [height, width]");
  MMDET_RETURN_IF_ERROR(r.Integer(hw.at(0).value_unsafe(), where + ".size", &out->rle.h));
  MMDET_RETURN_IF_ERROR(r.Integer(hw.at(1).value_unsafe(), where + ".size", &out->rle.w));
  if (counts.type() == dom::element_type::STRING) {
    const std::string text(counts.get_string().value_unsafe());
    if (!ops::FromString(text, out->rle.h, out->rle.w, &out->rle)) {
      return r.Error(where + ".counts", "not a valid compressed RLE for this size");
    }
    return absl::OkStatus();
  }
  dom::array list;
  MMDET_RETURN_IF_ERROR(r.Array(counts, where + ".counts", &list));
  uint64_t total = 0;
  for (dom::element c : list) {
    int64_t v = 0;
    MMDET_RETURN_IF_ERROR(r.Integer(c, where + ".counts", &v));
    if (v < 0) return r.Error(where + ".counts", "negative run length");
    out->rle.counts.push_back(static_cast<uint32_t>(v));
    total += static_cast<uint64_t>(v);
  }
  if (total != static_cast<uint64_t>(out->rle.h * out->rle.w)) {
    return r.Error(where + ".counts", "run lengths do not add up to height * width");
  }
  return absl::OkStatus();
}

absl::StatusOr<CocoFile> ParseCocoJson(absl::string_view json, absl::string_view source) {
  JsonDocument doc;
  MMDET_RETURN_IF_ERROR(doc.Parse(json, source));
  const Reader& r = doc.reader();
  const dom::element root = doc.root();
  dom::object top;
  MMDET_RETURN_IF_ERROR(r.Object(root, "top level", &top));
  CocoFile coco;

  dom::element images_e, categories_e, annotations_e;
  MMDET_RETURN_IF_ERROR(r.Field(top, "images", "top level", &images_e));
  MMDET_RETURN_IF_ERROR(r.Field(top, "categories", "top level", &categories_e));
  bool has_annotations = false;
  MMDET_RETURN_IF_ERROR(r.Field(top, "annotations", "top level", &annotations_e,
                                &has_annotations));

  dom::array images;
  MMDET_RETURN_IF_ERROR(r.Array(images_e, "images", &images));
  coco.images.reserve(images.size());
  for (dom::element e : images) {
    const std::string at = absl::StrCat("images[", coco.images.size(), "]");
    dom::object o;
    MMDET_RETURN_IF_ERROR(r.Object(e, at, &o));
    CocoImage image;
    dom::element v;
    MMDET_RETURN_IF_ERROR(r.Field(o, "id", at, &v));
    MMDET_RETURN_IF_ERROR(r.Integer(v, at + ".id", &image.id));
    MMDET_RETURN_IF_ERROR(r.Field(o, "file_name", at, &v));
    if (v.type() != dom::element_type::STRING) return r.Error(at + ".file_name", "expected a string");
    image.file_name = std::string(v.get_string().value_unsafe());
    MMDET_RETURN_IF_ERROR(r.Field(o, "width", at, &v));
    MMDET_RETURN_IF_ERROR(r.Integer(v, at + ".width", &image.width));
    MMDET_RETURN_IF_ERROR(r.Field(o, "height", at, &v));
    MMDET_RETURN_IF_ERROR(r.Integer(v, at + ".height", &image.height));
    if (!coco.image_index.emplace(image.id, coco.images.size()).second) {
      return r.Error(at + ".id", absl::StrCat("duplicate image id ", image.id));
    }
    coco.images.push_back(std::move(image));
  }
  coco.image_annotations.resize(coco.images.size());

  dom::array categories;
  MMDET_RETURN_IF_ERROR(r.Array(categories_e, "categories", &categories));
  std::unordered_map<int64_t, size_t> category_index;
  for (dom::element e : categories) {
    const std::string at = absl::StrCat("categories[", coco.categories.size(), "]");
    dom::object o;
    MMDET_RETURN_IF_ERROR(r.Object(e, at, &o));
    CocoCategory category;
    dom::element v;
    MMDET_RETURN_IF_ERROR(r.Field(o, "id", at, &v));
    MMDET_RETURN_IF_ERROR(r.Integer(v, at + ".id", &category.id));
    MMDET_RETURN_IF_ERROR(r.Field(o, "name", at, &v));
    if (v.type() != dom::element_type::STRING) return r.Error(at + ".name", "expected a string");
    category.name = std::string(v.get_string().value_unsafe());
    category_index.emplace(category.id, coco.categories.size());
    coco.categories.push_back(std::move(category));
  }

  if (!has_annotations) return coco;  // a test-set file: images only
  dom::array annotations;
  MMDET_RETURN_IF_ERROR(r.Array(annotations_e, "annotations", &annotations));
  coco.annotations.reserve(annotations.size());
  for (dom::element e : annotations) {
    const std::string at = absl::StrCat("annotations[", coco.annotations.size(), "]");
    dom::object o;
    MMDET_RETURN_IF_ERROR(r.Object(e, at, &o));
    CocoAnnotation ann;
    dom::element v;
    MMDET_RETURN_IF_ERROR(r.Field(o, "id", at, &v));
    MMDET_RETURN_IF_ERROR(r.Integer(v, at + ".id", &ann.id));
    MMDET_RETURN_IF_ERROR(r.Field(o, "image_id", at, &v));
    MMDET_RETURN_IF_ERROR(r.Integer(v, at + ".image_id", &ann.image_id));
    MMDET_RETURN_IF_ERROR(r.Field(o, "category_id", at, &v));
    MMDET_RETURN_IF_ERROR(r.Integer(v, at + ".category_id", &ann.category_id));
    MMDET_RETURN_IF_ERROR(r.Field(o, "bbox", at, &v));
    dom::array box;
    MMDET_RETURN_IF_ERROR(r.Array(v, at + ".bbox", &box));
    if (box.size() != 4) return r.Error(at + ".bbox", "expected 4 numbers");
    size_t k = 0;
    for (dom::element c : box) MMDET_RETURN_IF_ERROR(r.Number(c, at + ".bbox", &ann.bbox[k++]));
    MMDET_RETURN_IF_ERROR(r.Field(o, "area", at, &v));
    MMDET_RETURN_IF_ERROR(r.Number(v, at + ".area", &ann.area));
    bool present = false;
    MMDET_RETURN_IF_ERROR(r.Field(o, "iscrowd", at, &v, &present));
    if (present) {
      int64_t crowd = 0;
      MMDET_RETURN_IF_ERROR(r.Integer(v, at + ".iscrowd", &crowd));
      ann.iscrowd = crowd != 0;
    }
    MMDET_RETURN_IF_ERROR(r.Field(o, "ignore", at, &v, &present));
    if (present) {
      ann.ignore = v.type() == dom::element_type::BOOL ? v.get_bool().value_unsafe()
                                                      : v.type() != dom::element_type::NULL_VALUE;
      if (v.type() == dom::element_type::INT64) ann.ignore = v.get_int64().value_unsafe() != 0;
    }
    MMDET_RETURN_IF_ERROR(r.Field(o, "segmentation", at, &v, &present));
    if (present) {
      MMDET_RETURN_IF_ERROR(ReadSegmentation(r, v, at + ".segmentation", &ann.segmentation));
    }
    auto image = coco.image_index.find(ann.image_id);
    if (image == coco.image_index.end()) {
      return r.Error(at + ".image_id", absl::StrCat("image ", ann.image_id, " is not in images"));
    }
    if (category_index.count(ann.category_id) == 0) {
      return r.Error(at + ".category_id",
                     absl::StrCat("category ", ann.category_id, " is not in categories"));
    }
    coco.image_annotations[image->second].push_back(coco.annotations.size());
    coco.annotations.push_back(std::move(ann));
  }
  return coco;
}

absl::StatusOr<CocoFile> LoadCocoFile(const std::string& path) {
  MMDET_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseCocoJson(text, path);
}

absl::StatusOr<CocoLabelMap> MakeLabelMap(const CocoFile& coco,
                                          const std::vector<std::string>& classes) {
  CocoLabelMap map;
  if (classes.empty()) {
    for (const CocoCategory& category : coco.categories) {
      map.label[category.id] = static_cast<int64_t>(map.cat_ids.size());
      map.cat_ids.push_back(category.id);
      map.classes.push_back(category.name);
    }
    return map;
  }
  for (const std::string& name : classes) {
    auto it = std::find_if(coco.categories.begin(), coco.categories.end(),
                           [&](const CocoCategory& c) { return c.name == name; });
    if (it == coco.categories.end()) {
      return absl::NotFoundError(absl::StrCat("class '", name, "' is not a category of the file"));
    }
    map.label[it->id] = static_cast<int64_t>(map.cat_ids.size());
    map.cat_ids.push_back(it->id);
    map.classes.push_back(name);
  }
  return map;
}

CocoGroundTruth ParseAnnInfo(const CocoFile& coco, size_t image_index,
                             const CocoLabelMap& labels) {
  CocoGroundTruth gt;
  const CocoImage& image = coco.images[image_index];
  for (size_t index : coco.image_annotations[image_index]) {
    const CocoAnnotation& ann = coco.annotations[index];
    if (ann.ignore) continue;
    const auto [x1, y1, w, h] = ann.bbox;
    const double inter_w = std::max(0.0, std::min(x1 + w, double(image.width)) - std::max(x1, 0.0));
    const double inter_h =
        std::max(0.0, std::min(y1 + h, double(image.height)) - std::max(y1, 0.0));
    if (inter_w * inter_h == 0) continue;
    if (ann.area <= 0 || w < 1 || h < 1) continue;
    auto label = labels.label.find(ann.category_id);
    if (label == labels.label.end()) continue;
    const std::array<float, 4> box{static_cast<float>(x1), static_cast<float>(y1),
                                   static_cast<float>(x1 + w), static_cast<float>(y1 + h)};
    if (ann.iscrowd) {
      gt.bboxes_ignore.push_back(box);
    } else {
      gt.bboxes.push_back(box);
      gt.labels.push_back(label->second);
      gt.masks.push_back(&ann.segmentation);
    }
  }
  return gt;
}

ops::Rle SegmentationToRle(const Segmentation& segmentation, int64_t height, int64_t width) {
  switch (segmentation.kind) {
    case Segmentation::Kind::kPolygons:
      return ops::FromPolygons(segmentation.polygons, height, width);
    case Segmentation::Kind::kRle:
      return segmentation.rle;
    case Segmentation::Kind::kNone:
      break;
  }
  ops::Rle empty;
  empty.h = height;
  empty.w = width;
  empty.counts = {static_cast<uint32_t>(height * width)};
  return empty;
}

}  // namespace mmdet::datasets
