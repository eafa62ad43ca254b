#include "mmdet/core/json_reader.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "mmdet/core/file_io.h"

namespace mmdet {

namespace dom = simdjson::dom;

absl::Status JsonReader::Error(absl::string_view where, absl::string_view what) const {
  return absl::DataLossError(absl::StrCat(source_, ": ", where, ": ", what));
}

absl::Status JsonReader::Number(Element e, absl::string_view where, double* out) const {
  switch (e.type()) {
    case dom::element_type::DOUBLE:
      *out = e.get_double().value_unsafe();
      return absl::OkStatus();
    case dom::element_type::INT64:
      *out = static_cast<double>(e.get_int64().value_unsafe());
      return absl::OkStatus();
    case dom::element_type::UINT64:
      *out = static_cast<double>(e.get_uint64().value_unsafe());
      return absl::OkStatus();
    default:
      return Error(where, "expected a number");
  }
}

absl::Status JsonReader::Integer(Element e, absl::string_view where, int64_t* out) const {
  double value = 0;
  if (absl::Status s = Number(e, where, &value); !s.ok()) return s;
  if (value != std::floor(value) || std::fabs(value) > 9.0e15) {
    return Error(where, "expected an integer");
  }
  *out = static_cast<int64_t>(value);
  return absl::OkStatus();
}

absl::Status JsonReader::String(Element e, absl::string_view where, std::string* out) const {
  std::string_view text;
  if (e.get_string().get(text) != simdjson::SUCCESS) return Error(where, "expected a string");
  out->assign(text.data(), text.size());
  return absl::OkStatus();
}

absl::Status JsonReader::Array(Element e, absl::string_view where, dom::array* out) const {
  if (e.get_array().get(*out) != simdjson::SUCCESS) return Error(where, "expected an array");
  return absl::OkStatus();
}

absl::Status JsonReader::Object(Element e, absl::string_view where, dom::object* out) const {
  if (e.get_object().get(*out) != simdjson::SUCCESS) return Error(where, "expected an object");
  return absl::OkStatus();
}

absl::Status JsonReader::Field(dom::object object, const char* key, absl::string_view where,
                               Element* out, bool* present) const {
  auto result = object.at_key(key);
  if (result.error() == simdjson::NO_SUCH_FIELD) {
    if (present != nullptr) {
      *present = false;
      return absl::OkStatus();
    }
    return Error(where, absl::StrCat("missing '", key, "'"));
  }
  if (present != nullptr) *present = true;
  *out = result.value_unsafe();
  return absl::OkStatus();
}

absl::Status JsonDocument::Parse(absl::string_view json, absl::string_view source) {
  reader_ = JsonReader(std::string(source));
  simdjson::padded_string padded(json.data(), json.size());
  if (auto error = parser_.parse(padded).get(root_); error != simdjson::SUCCESS) {
    return absl::DataLossError(
        absl::StrCat(source, ": malformed JSON: ", simdjson::error_message(error)));
  }
  return absl::OkStatus();
}

absl::Status JsonDocument::Load(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return Parse(*text, path);
}

}  // namespace mmdet
