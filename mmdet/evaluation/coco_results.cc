#include "mmdet/evaluation/coco_results.h"

#include <unordered_set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/json_reader.h"
#include "mmdet/core/status_macros.h"

namespace mmdet::evaluation {

namespace dom = simdjson::dom;

std::vector<int64_t> ImageIds(const datasets::CocoFile& coco) {
  std::vector<int64_t> ids;
  for (const auto& image : coco.images) ids.push_back(image.id);
  return ids;
}

std::vector<int64_t> CategoryIds(const datasets::CocoFile& coco) {
  std::vector<int64_t> ids;
  for (const auto& category : coco.categories) ids.push_back(category.id);
  return ids;
}

std::vector<CocoObject> CocoGroundTruth(const datasets::CocoFile& coco,
                                        CocoEvalParams::IouType type) {
  std::vector<CocoObject> gts;
  gts.reserve(coco.annotations.size());
  for (const datasets::CocoAnnotation& a : coco.annotations) {
    CocoObject o;
    o.id = a.id;
    o.image_id = a.image_id;
    o.category_id = a.category_id;
    o.bbox = a.bbox;
    o.area = a.area;
    o.iscrowd = a.iscrowd;
    if (type == CocoEvalParams::kSegm) {
      const datasets::CocoImage& image = coco.images[coco.image_index.at(a.image_id)];
      o.rle = datasets::SegmentationToRle(a.segmentation, image.height, image.width);
    }
    gts.push_back(std::move(o));
  }
  return gts;
}

absl::StatusOr<std::vector<CocoObject>> ParseCocoResults(absl::string_view json,
                                                         absl::string_view source,
                                                         const datasets::CocoFile& gt,
                                                         CocoEvalParams::IouType type) {
  JsonDocument doc;
  MMDET_RETURN_IF_ERROR(doc.Parse(json, source));
  const JsonReader& r = doc.reader();
  dom::array results;
  MMDET_RETURN_IF_ERROR(r.Array(doc.root(), "top level (a list of results)", &results));
  std::unordered_set<int64_t> cat_ids;
  for (const auto& c : gt.categories) cat_ids.insert(c.id);
  std::vector<CocoObject> dts;
  dts.reserve(results.size());
  bool bbox_file = false;
  size_t i = 0;
  for (dom::element e : results) {
    const std::string at = absl::StrCat("[", i, "]");
    dom::object o;
    MMDET_RETURN_IF_ERROR(r.Object(e, at, &o));
    dom::element v;
    bool has_bbox = false, has_segm = false;
    dom::element bbox_e, segm_e;
    MMDET_RETURN_IF_ERROR(r.Field(o, "bbox", at, &bbox_e, &has_bbox));
    MMDET_RETURN_IF_ERROR(r.Field(o, "segmentation", at, &segm_e, &has_segm));
    if (i == 0) {
      // loadRes: 'bbox' in anns[0] and not anns[0]['bbox'] == [] -> boxes; else segmentation.
      dom::array first_box;
      bbox_file = has_bbox && bbox_e.get_array().get(first_box) == simdjson::SUCCESS &&
                  first_box.size() > 0;
      if (!bbox_file && !has_segm) {
        return r.Error(at, "a result needs a bbox or a segmentation");
      }
    }
    CocoObject d;
    d.id = static_cast<int64_t>(i) + 1;
    d.iscrowd = false;
    MMDET_RETURN_IF_ERROR(r.Field(o, "image_id", at, &v));
    MMDET_RETURN_IF_ERROR(r.Integer(v, at + ".image_id", &d.image_id));
    auto image = gt.image_index.find(d.image_id);
    if (image == gt.image_index.end()) {
      return r.Error(at + ".image_id",
                     absl::StrCat(d.image_id, " is not an image of the annotation file"));
    }
    const datasets::CocoImage& img = gt.images[image->second];
    MMDET_RETURN_IF_ERROR(r.Field(o, "category_id", at, &v));
    MMDET_RETURN_IF_ERROR(r.Integer(v, at + ".category_id", &d.category_id));
    if (!cat_ids.count(d.category_id)) {
      return r.Error(at + ".category_id",
                     absl::StrCat(d.category_id, " is not a category of the annotation file"));
    }
    MMDET_RETURN_IF_ERROR(r.Field(o, "score", at, &v));
    MMDET_RETURN_IF_ERROR(r.Number(v, at + ".score", &d.score));
    if (has_bbox) {
      dom::array box;
      MMDET_RETURN_IF_ERROR(r.Array(bbox_e, at + ".bbox", &box));
      if (box.size() != 4) return r.Error(at + ".bbox", "expected [x, y, w, h]");
      size_t j = 0;
      for (dom::element c : box) MMDET_RETURN_IF_ERROR(r.Number(c, at + ".bbox", &d.bbox[j++]));
    } else if (bbox_file) {
      return r.Error(at + ".bbox", "missing (the file's first result has a bbox)");
    }
    datasets::Segmentation segm;
    if (has_segm) {
      MMDET_RETURN_IF_ERROR(
          datasets::ReadSegmentation(r, segm_e, at + ".segmentation", &segm));
    } else if (!bbox_file) {
      return r.Error(at + ".segmentation", "missing (the file's first result has one)");
    }
    if (bbox_file) {
      d.area = d.bbox[2] * d.bbox[3];
      if (type == CocoEvalParams::kSegm) {
        if (!has_segm) {
          // loadRes: [[x1, y1, x1, y2, x2, y2, x2, y1]].
          const double x1 = d.bbox[0], x2 = d.bbox[0] + d.bbox[2];
          const double y1 = d.bbox[1], y2 = d.bbox[1] + d.bbox[3];
          segm.kind = datasets::Segmentation::Kind::kPolygons;
          segm.polygons = {{x1, y1, x1, y2, x2, y2, x2, y1}};
        }
        d.rle = datasets::SegmentationToRle(segm, img.height, img.width);
      }
    } else {
      if (segm.kind != datasets::Segmentation::Kind::kRle) {
        // maskUtils.area / toBbox need an RLE; polygons are rasterised at the image size.
        segm.rle = datasets::SegmentationToRle(segm, img.height, img.width);
      }
      d.area = static_cast<double>(ops::Area(segm.rle));
      if (!has_bbox) d.bbox = ops::ToBbox(segm.rle);
      if (type == CocoEvalParams::kSegm) d.rle = std::move(segm.rle);
    }
    dts.push_back(std::move(d));
    ++i;
  }
  return dts;
}

absl::StatusOr<std::vector<CocoObject>> LoadCocoResults(const std::string& path,
                                                        const datasets::CocoFile& gt,
                                                        CocoEvalParams::IouType type) {
  MMDET_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseCocoResults(text, path, gt, type);
}

}  // namespace mmdet::evaluation
