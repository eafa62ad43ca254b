// Reading JSON files (simdjson DOM) with errors that name the file and the element:
//
//   JsonDocument doc;
//   MMDET_RETURN_IF_ERROR(doc.Parse(text, "data/train.json"));
//   const JsonReader& r = doc.reader();
//   dom::array images;
//   MMDET_RETURN_IF_ERROR(r.Array(doc.root(), "top level", &images));
//   double x = 0;
//   MMDET_RETURN_IF_ERROR(r.Number(e, "images[3].width", &x));
//   // -> DataLoss "data/train.json: images[3].width: expected a number"
#ifndef MMDET_CORE_JSON_READER_H_
#define MMDET_CORE_JSON_READER_H_

#include <simdjson.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mmdet {

class JsonReader {
 public:
  using Element = simdjson::dom::element;
  explicit JsonReader(std::string source) : source_(std::move(source)) {}

  const std::string& source() const { return source_; }

  // DataLoss "source: where: what".
  absl::Status Error(absl::string_view where, absl::string_view what) const;

  absl::Status Number(Element e, absl::string_view where, double* out) const;
  // A number with no fractional part.
  absl::Status Integer(Element e, absl::string_view where, int64_t* out) const;
  absl::Status String(Element e, absl::string_view where, std::string* out) const;
  absl::Status Array(Element e, absl::string_view where, simdjson::dom::array* out) const;
  absl::Status Object(Element e, absl::string_view where, simdjson::dom::object* out) const;
  // The member `key` of `object`. Absent: an error "where: missing 'key'", or, when `present`
  // is given, *present = false and OK.
  absl::Status Field(simdjson::dom::object object, const char* key, absl::string_view where,
                     Element* out, bool* present = nullptr) const;

 private:
  std::string source_;
};

// A parsed document; it owns the buffers its elements point into.
class JsonDocument {
 public:
  JsonDocument() : reader_("") {}
  JsonDocument(const JsonDocument&) = delete;
  JsonDocument& operator=(const JsonDocument&) = delete;

  // Parses `json`; malformed text is DataLoss "source: malformed JSON: ...".
  absl::Status Parse(absl::string_view json, absl::string_view source);
  // Reads and parses the file at `path` (NotFound when missing).
  absl::Status Load(const std::string& path);

  simdjson::dom::element root() const { return root_; }
  const JsonReader& reader() const { return reader_; }

 private:
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
  JsonReader reader_;
};

}  // namespace mmdet

#endif  // MMDET_CORE_JSON_READER_H_
