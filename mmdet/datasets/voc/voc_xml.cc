#include "mmdet/datasets/voc/voc_xml.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <pugixml.hpp>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/status_macros.h"

namespace mmdet::datasets {
namespace {

// Element lookups and number parsing with messages that name the element:
// "x.xml: object[3].bndbox.xmin: expected a number, got 'abc'".
class Reader {
 public:
  explicit Reader(absl::string_view source) : source_(source) {}

  absl::Status Error(absl::string_view where, absl::string_view what) const {
    return absl::DataLossError(absl::StrCat(source_, ": ", where, ": ", what));
  }

  // The first child element `name` of `parent` (ElementTree's find), required.
  absl::Status Child(pugi::xml_node parent, const char* name, absl::string_view where,
                     pugi::xml_node* out) const {
    *out = parent.child(name);
    if (!*out) return Error(where, absl::StrCat("missing <", name, ">"));
    return absl::OkStatus();
  }

  // Python's int(text): an integer, surrounding whitespace allowed.
  absl::Status Integer(absl::string_view text, absl::string_view where, int64_t* out) const {
    if (!absl::SimpleAtoi(text, out)) {
      return Error(where, absl::StrCat("expected an integer, got '", text, "'"));
    }
    return absl::OkStatus();
  }

  // Python's int(float(text)): any finite number, truncated toward zero.
  absl::Status TruncatedNumber(absl::string_view text, absl::string_view where,
                               int64_t* out) const {
    double value = 0;
    if (!absl::SimpleAtod(text, &value)) {
      return Error(where, absl::StrCat("expected a number, got '", text, "'"));
    }
    // 2^63: beyond it the cast is undefined (Python would overflow int() on inf/nan).
    if (!std::isfinite(value) || std::fabs(value) >= 9223372036854775808.0) {
      return Error(where, absl::StrCat("expected a finite number, got '", text, "'"));
    }
    *out = static_cast<int64_t>(value);
    return absl::OkStatus();
  }

 private:
  absl::string_view source_;
};

// 1-based line and column of byte `offset` in `text`.
std::pair<int64_t, int64_t> LineAndColumn(absl::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  int64_t line = 1, column = 1;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

std::array<float, 4> MinusOne(const std::array<int64_t, 4>& box) {
  return {static_cast<float>(box[0] - 1), static_cast<float>(box[1] - 1),
          static_cast<float>(box[2] - 1), static_cast<float>(box[3] - 1)};
}

void WriteBoxes(const std::vector<std::array<float, 4>>& boxes,
                rapidjson::Writer<rapidjson::StringBuffer>* writer) {
  writer->StartArray();
  for (const auto& box : boxes) {
    writer->StartArray();
    for (float v : box) writer->Double(static_cast<double>(v));
    writer->EndArray();
  }
  writer->EndArray();
}

void WriteLabels(const std::vector<int64_t>& labels,
                 rapidjson::Writer<rapidjson::StringBuffer>* writer) {
  writer->StartArray();
  for (int64_t label : labels) writer->Int64(label);
  writer->EndArray();
}

}  // namespace

const std::vector<std::string>& VocClasses() {
  static const auto* classes = new std::vector<std::string>{
      "aeroplane", "bicycle", "bird",  "boat",        "bottle", "bus",   "car",
      "cat",       "chair",   "cow",   "diningtable", "dog",    "horse", "motorbike",
      "person",    "pottedplant", "sheep", "sofa",    "train",  "tvmonitor"};
  return *classes;
}

absl::StatusOr<VocAnnotation> ParseVocXml(absl::string_view xml, absl::string_view source,
                                          const std::vector<std::string>& classes,
                                          const VocParseOptions& options) {
  const Reader r(source);
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size());
  if (!parsed) {
    const auto [line, column] = LineAndColumn(xml, static_cast<size_t>(parsed.offset));
    return absl::DataLossError(absl::StrCat(source, ": malformed XML at offset ", parsed.offset,
                                            " (line ", line, ", column ", column,
                                            "): ", parsed.description()));
  }
  const pugi::xml_node root = doc.document_element();
  const std::string root_name = root.name();

  VocAnnotation ann;
  pugi::xml_node size, width, height;
  MMDET_RETURN_IF_ERROR(r.Child(root, "size", root_name, &size));
  MMDET_RETURN_IF_ERROR(r.Child(size, "width", "size", &width));
  MMDET_RETURN_IF_ERROR(r.Child(size, "height", "size", &height));
  MMDET_RETURN_IF_ERROR(r.Integer(width.child_value(), "size.width", &ann.width));
  MMDET_RETURN_IF_ERROR(r.Integer(height.child_value(), "size.height", &ann.height));

  static constexpr const char* kCoords[4] = {"xmin", "ymin", "xmax", "ymax"};
  size_t index = 0;
  for (pugi::xml_node object : root.children("object")) {
    const std::string where = absl::StrCat("object[", index++, "]");
    pugi::xml_node name;
    MMDET_RETURN_IF_ERROR(r.Child(object, "name", where, &name));
    const absl::string_view class_name = name.child_value();
    const auto found = std::find(classes.begin(), classes.end(), class_name);
    if (found == classes.end()) {
      if (options.skip_unknown_classes) continue;
      return r.Error(absl::StrCat(where, ".name"),
                     absl::StrCat("unknown class '", class_name, "' (not among the ",
                                  classes.size(), " classes)"));
    }
    const int64_t label = found - classes.begin();

    int64_t difficult = 0;  // absent <difficult> means 0, as in XMLDataset
    if (pugi::xml_node node = object.child("difficult")) {
      MMDET_RETURN_IF_ERROR(
          r.Integer(node.child_value(), absl::StrCat(where, ".difficult"), &difficult));
    }

    pugi::xml_node bndbox;
    MMDET_RETURN_IF_ERROR(r.Child(object, "bndbox", where, &bndbox));
    const std::string box_where = absl::StrCat(where, ".bndbox");
    std::array<int64_t, 4> box{};
    for (int k = 0; k < 4; ++k) {
      pugi::xml_node coord;
      MMDET_RETURN_IF_ERROR(r.Child(bndbox, kCoords[k], box_where, &coord));
      MMDET_RETURN_IF_ERROR(r.TruncatedNumber(
          coord.child_value(), absl::StrCat(box_where, ".", kCoords[k]), &box[k]));
    }

    // XMLDataset's `if self.min_size:` on the integer box, before the -1.
    bool ignore = false;
    if (options.min_size != 0) {
      const double w = static_cast<double>(box[2] - box[0]);
      const double h = static_cast<double>(box[3] - box[1]);
      ignore = w < options.min_size || h < options.min_size;
    }
    if (difficult != 0 || ignore) {
      ann.bboxes_ignore.push_back(MinusOne(box));
      ann.labels_ignore.push_back(label);
    } else {
      ann.bboxes.push_back(MinusOne(box));
      ann.labels.push_back(label);
    }
  }
  return ann;
}

absl::StatusOr<VocAnnotation> LoadVocXml(const std::string& path,
                                         const std::vector<std::string>& classes,
                                         const VocParseOptions& options) {
  MMDET_ASSIGN_OR_RETURN(const std::string xml, ReadFile(path));
  return ParseVocXml(xml, path, classes, options);
}

absl::StatusOr<std::vector<std::string>> ReadImageIdList(const std::string& path) {
  MMDET_ASSIGN_OR_RETURN(const std::string text, ReadFile(path));
  std::vector<std::string> ids;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) ids.emplace_back(line);
  }
  return ids;
}

absl::StatusOr<std::vector<VocAnnotation>> LoadVocImageSet(
    const std::string& devkit_path, const std::string& year, const std::string& split,
    const std::vector<std::string>& classes, const VocParseOptions& options) {
  const std::string voc = absl::StrCat("VOC", year);
  MMDET_ASSIGN_OR_RETURN(
      const std::vector<std::string> ids,
      ReadImageIdList(JoinPath(devkit_path, absl::StrCat(voc, "/ImageSets/Main/", split, ".txt"))));
  std::vector<VocAnnotation> annotations;
  annotations.reserve(ids.size());
  for (const std::string& id : ids) {
    MMDET_ASSIGN_OR_RETURN(
        VocAnnotation ann,
        LoadVocXml(JoinPath(devkit_path, absl::StrCat(voc, "/Annotations/", id, ".xml")),
                   classes, options));
    ann.filename = absl::StrCat(voc, "/JPEGImages/", id, ".jpg");
    annotations.push_back(std::move(ann));
  }
  return annotations;
}

std::string VocMiddleFormatJson(const std::vector<VocAnnotation>& annotations) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartArray();
  for (const VocAnnotation& ann : annotations) {
    writer.StartObject();
    writer.Key("filename");
    writer.String(ann.filename.data(), static_cast<rapidjson::SizeType>(ann.filename.size()));
    writer.Key("width");
    writer.Int64(ann.width);
    writer.Key("height");
    writer.Int64(ann.height);
    writer.Key("ann");
    writer.StartObject();
    writer.Key("bboxes");
    WriteBoxes(ann.bboxes, &writer);
    writer.Key("labels");
    WriteLabels(ann.labels, &writer);
    writer.Key("bboxes_ignore");
    WriteBoxes(ann.bboxes_ignore, &writer);
    writer.Key("labels_ignore");
    WriteLabels(ann.labels_ignore, &writer);
    writer.EndObject();
    writer.EndObject();
  }
  writer.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

absl::Status WriteVocMiddleFormat(const std::string& path,
                                  const std::vector<VocAnnotation>& annotations) {
  return WriteFileAtomically(path, VocMiddleFormatJson(annotations));
}

}  // namespace mmdet::datasets
