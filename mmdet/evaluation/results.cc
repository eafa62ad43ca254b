#include "mmdet/evaluation/results.h"

#include <utility>

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "mmdet/core/json_reader.h"
#include "mmdet/core/json_writer.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/datasets/coco_api.h"

namespace mmdet::evaluation {
namespace {

absl::Status Bad(const std::string& source, const std::string& where, const std::string& what) {
  return absl::DataLossError(absl::StrCat(source, ": ", where, ": ", what));
}

absl::StatusOr<at::Tensor> Boxes(const pth::Value& v, const std::string& source,
                                 const std::string& where) {
  if (!v.is_tensor()) return Bad(source, where, "expected an (n, 5) array");
  at::Tensor t = v.tensor();
  if (t.dim() != 2 || t.size(1) != 5) return Bad(source, where, "expected an (n, 5) array");
  return t.to(at::kFloat).contiguous();
}

absl::StatusOr<ops::Rle> RleOf(const pth::Value& v, const std::string& source,
                               const std::string& where) {
  const pth::Value* size = v.is_dict() ? v.Find("size") : nullptr;
  const pth::Value* counts = v.is_dict() ? v.Find("counts") : nullptr;
  if (size == nullptr || counts == nullptr || !(size->is_list() || size->is_tuple()) ||
      size->size() != 2 || !(counts->is_bytes() || counts->is_string())) {
    return Bad(source, where, "expected an RLE {'size': [h, w], 'counts': bytes}");
  }
  ops::Rle rle;
  const int64_t h = size->items()[0].as_int(), w = size->items()[1].as_int();
  if (!ops::FromString(counts->as_string(), h, w, &rle)) {
    return Bad(source, where + "['counts']", "not a valid compressed RLE for its size");
  }
  return rle;
}

}  // namespace

absl::StatusOr<DetectionResults> ResultsFromValue(const pth::Value& value,
                                                  const std::string& source) {
  if (!value.is_list()) return Bad(source, "top level", "expected a list over images");
  DetectionResults r;
  bool first = true;
  for (size_t i = 0; i < value.size(); ++i) {
    const pth::Value& img = value.items()[i];
    const std::string at = absl::StrCat("[", i, "]");
    DetectionResults::Kind kind;
    if (img.is_tensor()) {
      kind = DetectionResults::kProposals;
    } else if (img.is_tuple() && img.size() == 2) {
      kind = DetectionResults::kMasks;
    } else if (img.is_list()) {
      kind = DetectionResults::kBoxes;
    } else {
      return Bad(source, at, "expected a list of per-class arrays, a (bboxes, segms) tuple or "
                             "an (n, 5) array");
    }
    if (first) r.kind = kind;
    first = false;
    if (kind != r.kind) return Bad(source, at, "not the same kind of result as image 0");
    if (kind == DetectionResults::kProposals) {
      MMDET_ASSIGN_OR_RETURN(at::Tensor t, Boxes(img, source, at));
      r.bboxes.push_back({t});
      continue;
    }
    const pth::Value& det = kind == DetectionResults::kMasks ? img.items()[0] : img;
    if (!det.is_list()) return Bad(source, at, "expected a list of per-class arrays");
    std::vector<at::Tensor> per_class;
    for (size_t c = 0; c < det.size(); ++c) {
      MMDET_ASSIGN_OR_RETURN(at::Tensor t,
                             Boxes(det.items()[c], source, absl::StrCat(at, "[", c, "]")));
      per_class.push_back(t);
    }
    if (kind == DetectionResults::kMasks) {
      const pth::Value* seg = &img.items()[1];
      std::vector<std::vector<double>> scores;
      if (seg->is_tuple() && seg->size() == 2) {  // (segms, mask scores)
        const pth::Value& s = seg->items()[1];
        for (size_t c = 0; c < s.size(); ++c) {
          std::vector<double> row;
          const pth::Value& sc = s.items()[c];
          if (sc.is_tensor()) {
            const at::Tensor t = sc.tensor().to(at::kDouble).reshape(-1).contiguous();
            row.assign(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
          } else {
            for (const pth::Value& x : sc.items()) row.push_back(x.as_float());
          }
          scores.push_back(std::move(row));
        }
        seg = &seg->items()[0];
      }
      if (!seg->is_list() || seg->size() != det.size()) {
        return Bad(source, absl::StrCat(at, "[1]"), "expected one list of masks per class");
      }
      std::vector<std::vector<ops::Rle>> masks;
      for (size_t c = 0; c < seg->size(); ++c) {
        const pth::Value& list = seg->items()[c];
        const std::string where = absl::StrCat(at, "[1][", c, "]");
        if (!(list.is_list() || list.is_tuple()) ||
            static_cast<int64_t>(list.size()) != per_class[c].size(0)) {
          return Bad(source, where, "expected one mask per box");
        }
        std::vector<ops::Rle> rles;
        for (size_t k = 0; k < list.size(); ++k) {
          MMDET_ASSIGN_OR_RETURN(ops::Rle rle,
                                 RleOf(list.items()[k], source, absl::StrCat(where, "[", k, "]")));
          rles.push_back(std::move(rle));
        }
        masks.push_back(std::move(rles));
      }
      r.segms.push_back(std::move(masks));
      if (!scores.empty()) r.mask_scores.push_back(std::move(scores));
    }
    r.bboxes.push_back(std::move(per_class));
  }
  return r;
}

absl::StatusOr<DetectionResults> LoadResultsPickle(const std::string& path) {
  MMDET_ASSIGN_OR_RETURN(pth::Value value, pth::LoadPickle(path));
  return ResultsFromValue(value, path);
}

pth::Value ResultsToValue(const DetectionResults& results) {
  std::vector<pth::Value> images;
  for (size_t i = 0; i < results.bboxes.size(); ++i) {
    if (results.kind == DetectionResults::kProposals) {
      images.push_back(pth::Value::Tensor(results.bboxes[i].at(0)));
      continue;
    }
    std::vector<pth::Value> per_class;
    for (const at::Tensor& t : results.bboxes[i]) per_class.push_back(pth::Value::Tensor(t));
    if (results.kind == DetectionResults::kBoxes) {
      images.push_back(pth::Value::List(std::move(per_class)));
      continue;
    }
    std::vector<pth::Value> segms;
    for (const auto& rles : results.segms[i]) {
      std::vector<pth::Value> masks;
      for (const ops::Rle& rle : rles) {
        masks.push_back(pth::Value::Dict(
            {{pth::Value::String("size"),
              pth::Value::List({pth::Value::Int(rle.h), pth::Value::Int(rle.w)})},
             {pth::Value::String("counts"), pth::Value::Bytes(ops::ToString(rle))}}));
      }
      segms.push_back(pth::Value::List(std::move(masks)));
    }
    pth::Value seg = pth::Value::List(std::move(segms));
    if (!results.mask_scores.empty()) {
      std::vector<pth::Value> scores;
      for (const auto& row : results.mask_scores[i]) {
        std::vector<pth::Value> values;
        for (double v : row) values.push_back(pth::Value::Float(v));
        scores.push_back(pth::Value::List(std::move(values)));
      }
      seg = pth::Value::Tuple({std::move(seg), pth::Value::List(std::move(scores))});
    }
    images.push_back(pth::Value::Tuple({pth::Value::List(std::move(per_class)), std::move(seg)}));
  }
  return pth::Value::List(std::move(images));
}

absl::Status SaveResultsPickle(const std::string& path, const DetectionResults& results) {
  return pth::SavePickle(path, ResultsToValue(results));
}

namespace {

std::string BoxesJson(const at::Tensor& t) {
  std::string out = "[";
  const float* p = t.data_ptr<float>();
  for (int64_t k = 0; k < t.size(0); ++k) {
    absl::StrAppend(&out, k ? ", " : "", "[");
    for (int j = 0; j < 5; ++j) absl::StrAppend(&out, j ? ", " : "", ShortestFloat(p[k * 5 + j]));
    absl::StrAppend(&out, "]");
  }
  return out + "]";
}

absl::StatusOr<at::Tensor> BoxesFromJson(const JsonReader& r, simdjson::dom::element e,
                                         const std::string& where) {
  simdjson::dom::array rows;
  MMDET_RETURN_IF_ERROR(r.Array(e, where, &rows));
  at::Tensor t = at::zeros({static_cast<int64_t>(rows.size()), 5}, at::kFloat);
  float* p = t.data_ptr<float>();
  int64_t k = 0;
  for (simdjson::dom::element row : rows) {
    simdjson::dom::array values;
    const std::string at = absl::StrCat(where, "[", k, "]");
    MMDET_RETURN_IF_ERROR(r.Array(row, at, &values));
    if (values.size() != 5) return r.Error(at, "expected [x1, y1, x2, y2, score]");
    int j = 0;
    for (simdjson::dom::element v : values) {
      double d = 0;
      MMDET_RETURN_IF_ERROR(r.Number(v, at, &d));
      p[k * 5 + j++] = static_cast<float>(d);
    }
    ++k;
  }
  return t;
}

}  // namespace

std::string ResultsToJson(const DetectionResults& results) {
  const char* type = results.kind == DetectionResults::kProposals ? "proposal"
                     : results.kind == DetectionResults::kMasks    ? "segm"
                                                                   : "bbox";
  std::string out = absl::StrCat("{\"type\": \"", type, "\", \"results\": [");
  for (size_t i = 0; i < results.bboxes.size(); ++i) {
    if (i) absl::StrAppend(&out, ",\n");
    if (results.kind == DetectionResults::kProposals) {
      absl::StrAppend(&out, BoxesJson(results.bboxes[i].at(0)));
      continue;
    }
    std::string boxes = "[";
    for (size_t c = 0; c < results.bboxes[i].size(); ++c) {
      absl::StrAppend(&boxes, c ? ", " : "", BoxesJson(results.bboxes[i][c]));
    }
    boxes += "]";
    if (results.kind == DetectionResults::kBoxes) {
      absl::StrAppend(&out, boxes);
      continue;
    }
    std::string segms = "[";
    for (size_t c = 0; c < results.segms[i].size(); ++c) {
      absl::StrAppend(&segms, c ? ", " : "", "[");
      for (size_t k = 0; k < results.segms[i][c].size(); ++k) {
        const ops::Rle& rle = results.segms[i][c][k];
        absl::StrAppend(&segms, k ? ", " : "", "{\"size\": [", rle.h, ", ", rle.w,
                        "], \"counts\": ", JsonQuoted(ops::ToString(rle)), "}");
      }
      absl::StrAppend(&segms, "]");
    }
    segms += "]";
    absl::StrAppend(&out, "{\"bbox\": ", boxes, ", \"segm\": ", segms);
    if (!results.mask_scores.empty()) {
      std::string scores = "[";
      for (size_t c = 0; c < results.mask_scores[i].size(); ++c) {
        absl::StrAppend(&scores, c ? ", " : "", "[");
        for (size_t k = 0; k < results.mask_scores[i][c].size(); ++k) {
          absl::StrAppend(&scores, k ? ", " : "", ShortestDouble(results.mask_scores[i][c][k]));
        }
        absl::StrAppend(&scores, "]");
      }
      absl::StrAppend(&out, ", \"mask_scores\": ", scores, "]");
    }
    absl::StrAppend(&out, "}");
  }
  return out + "]}\n";
}

absl::StatusOr<DetectionResults> ParseResultsJson(absl::string_view json,
                                                  const std::string& source) {
  JsonDocument doc;
  MMDET_RETURN_IF_ERROR(doc.Parse(json, source));
  const JsonReader& r = doc.reader();
  simdjson::dom::object top;
  MMDET_RETURN_IF_ERROR(r.Object(doc.root(), "top level", &top));
  simdjson::dom::element type_e, results_e;
  MMDET_RETURN_IF_ERROR(r.Field(top, "type", "top level", &type_e));
  MMDET_RETURN_IF_ERROR(r.Field(top, "results", "top level", &results_e));
  std::string type;
  MMDET_RETURN_IF_ERROR(r.String(type_e, "type", &type));
  DetectionResults out;
  if (type == "bbox") {
    out.kind = DetectionResults::kBoxes;
  } else if (type == "segm") {
    out.kind = DetectionResults::kMasks;
  } else if (type == "proposal") {
    out.kind = DetectionResults::kProposals;
  } else {
    return r.Error("type", "expected bbox, segm or proposal, got '" + type + "'");
  }
  simdjson::dom::array images;
  MMDET_RETURN_IF_ERROR(r.Array(results_e, "results", &images));
  size_t i = 0;
  for (simdjson::dom::element img : images) {
    const std::string at = absl::StrCat("results[", i++, "]");
    if (out.kind == DetectionResults::kProposals) {
      MMDET_ASSIGN_OR_RETURN(at::Tensor t, BoxesFromJson(r, img, at));
      out.bboxes.push_back({t});
      continue;
    }
    simdjson::dom::element boxes_e = img;
    simdjson::dom::object masks_o;
    if (out.kind == DetectionResults::kMasks) {
      MMDET_RETURN_IF_ERROR(r.Object(img, at, &masks_o));
      MMDET_RETURN_IF_ERROR(r.Field(masks_o, "bbox", at, &boxes_e));
    }
    simdjson::dom::array classes;
    MMDET_RETURN_IF_ERROR(r.Array(boxes_e, at, &classes));
    std::vector<at::Tensor> per_class;
    size_t c = 0;
    for (simdjson::dom::element e : classes) {
      MMDET_ASSIGN_OR_RETURN(at::Tensor t, BoxesFromJson(r, e, absl::StrCat(at, "[", c++, "]")));
      per_class.push_back(t);
    }
    if (out.kind == DetectionResults::kMasks) {
      simdjson::dom::element segm_e;
      MMDET_RETURN_IF_ERROR(r.Field(masks_o, "segm", at, &segm_e));
      simdjson::dom::array segm_classes;
      MMDET_RETURN_IF_ERROR(r.Array(segm_e, at + ".segm", &segm_classes));
      if (segm_classes.size() != per_class.size()) {
        return r.Error(at + ".segm", "expected one list of masks per class");
      }
      std::vector<std::vector<ops::Rle>> masks;
      size_t sc = 0;
      for (simdjson::dom::element list : segm_classes) {
        const std::string where = absl::StrCat(at, ".segm[", sc, "]");
        simdjson::dom::array rles;
        MMDET_RETURN_IF_ERROR(r.Array(list, where, &rles));
        if (static_cast<int64_t>(rles.size()) != per_class[sc].size(0)) {
          return r.Error(where, "expected one mask per box");
        }
        std::vector<ops::Rle> row;
        size_t k = 0;
        for (simdjson::dom::element m : rles) {
          datasets::Segmentation seg;
          MMDET_RETURN_IF_ERROR(
              datasets::ReadSegmentation(r, m, absl::StrCat(where, "[", k++, "]"), &seg));
          if (seg.kind != datasets::Segmentation::Kind::kRle) {
            return r.Error(where, "expected RLE masks");
          }
          row.push_back(std::move(seg.rle));
        }
        masks.push_back(std::move(row));
        ++sc;
      }
      out.segms.push_back(std::move(masks));
      bool has_scores = false;
      simdjson::dom::element scores_e;
      MMDET_RETURN_IF_ERROR(r.Field(masks_o, "mask_scores", at, &scores_e, &has_scores));
      if (has_scores) {
        std::vector<std::vector<double>> scores;
        simdjson::dom::array score_classes;
        MMDET_RETURN_IF_ERROR(r.Array(scores_e, at + ".mask_scores", &score_classes));
        for (simdjson::dom::element list : score_classes) {
          simdjson::dom::array values;
          MMDET_RETURN_IF_ERROR(r.Array(list, at + ".mask_scores", &values));
          std::vector<double> row;
          for (simdjson::dom::element v : values) {
            double d = 0;
            MMDET_RETURN_IF_ERROR(r.Number(v, at + ".mask_scores", &d));
            row.push_back(d);
          }
          scores.push_back(std::move(row));
        }
        out.mask_scores.push_back(std::move(scores));
      }
    }
    out.bboxes.push_back(std::move(per_class));
  }
  return out;
}

absl::StatusOr<std::string> ResultsToCocoJson(const DetectionResults& results,
                                              const std::vector<int64_t>& img_ids,
                                              const std::vector<int64_t>& cat_ids,
                                              const std::string& which,
                                              const std::string& source) {
  if (results.bboxes.size() != img_ids.size()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", results.bboxes.size(),
                                                   " images of results for ", img_ids.size(),
                                                   " images in the annotation file"));
  }
  const bool proposals = results.kind == DetectionResults::kProposals;
  if (which == "segm" && results.kind != DetectionResults::kMasks) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": no masks to evaluate as segm"));
  }
  std::string out = "[";
  bool any = false;
  for (size_t i = 0; i < results.bboxes.size(); ++i) {
    const auto& per_class = results.bboxes[i];
    if (!proposals && per_class.size() != cat_ids.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": [", i, "] has ", per_class.size(), " classes but the annotation file has ",
          cat_ids.size(), " categories"));
    }
    for (size_t c = 0; c < per_class.size(); ++c) {
      const at::Tensor& b = per_class[c];
      const float* p = b.data_ptr<float>();
      for (int64_t k = 0; k < b.size(0); ++k) {
        const double x1 = p[k * 5], y1 = p[k * 5 + 1], x2 = p[k * 5 + 2], y2 = p[k * 5 + 3];
        double score = p[k * 5 + 4];
        const int64_t cat = (proposals || which == "proposal") ? 1 : cat_ids[c];
        absl::StrAppend(&out, any ? ", " : "", "{\"image_id\": ", img_ids[i], ", \"bbox\": [",
                        ShortestDouble(x1), ", ", ShortestDouble(y1), ", ", ShortestDouble(x2 - x1), ", ", ShortestDouble(y2 - y1), "]");
        if (which == "segm") {
          if (!results.mask_scores.empty()) score = results.mask_scores[i][c][k];
          std::string counts;
          for (char ch : ops::ToString(results.segms[i][c][k])) {
            if (ch == '\\' || ch == '"') counts += '\\';
            counts += ch;
          }
          const ops::Rle& rle = results.segms[i][c][k];
          absl::StrAppend(&out, ", \"score\": ", ShortestDouble(score), ", \"category_id\": ", cat,
                          ", \"segmentation\": {\"size\": [", rle.h, ", ", rle.w,
                          "], \"counts\": \"", counts, "\"}}");
        } else {
          absl::StrAppend(&out, ", \"score\": ", ShortestDouble(score), ", \"category_id\": ", cat, "}");
        }
        any = true;
      }
    }
  }
  return out + "]";
}

}  // namespace mmdet::evaluation
