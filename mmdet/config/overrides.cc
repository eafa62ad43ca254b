#include "mmdet/config/overrides.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "mmdet/core/registry.h"

namespace mmdet {
namespace {

namespace pb = ::google::protobuf;

// Keeps the first parse error instead of letting protobuf log it.
class QuietErrorCollector : public pb::io::ErrorCollector {
 public:
  void AddError(int line, pb::io::ColumnNumber column, const std::string& message) override {
    if (message_.empty()) message_ = message;
  }
  void AddWarning(int, pb::io::ColumnNumber, const std::string&) override {}
  const std::string& message() const { return message_; }

 private:
  std::string message_;
};

std::string FieldNames(const pb::Descriptor* descriptor) {
  std::vector<std::string> names;
  for (int i = 0; i < descriptor->field_count(); ++i) names.push_back(descriptor->field(i)->name());
  return absl::StrJoin(names, ", ");
}

// The member message currently set in `message`'s type oneof, for implicit path descent.
pb::Message* SetOneofMember(pb::Message* message) {
  const pb::OneofDescriptor* oneof = TypeOneof(message->GetDescriptor());
  if (oneof == nullptr) return nullptr;
  const pb::Reflection* reflection = message->GetReflection();
  const pb::FieldDescriptor* member = reflection->GetOneofFieldDescriptor(*message, oneof);
  if (member == nullptr || member->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
    return nullptr;
  }
  return reflection->MutableMessage(message, member);
}

absl::Status ParseScalar(absl::string_view text, const pb::FieldDescriptor* field,
                         pb::Message* message) {
  std::string value(absl::StripAsciiWhitespace(text));
  if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING) {
    const bool quoted = value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
                        value.back() == value.front();
    if (!quoted) value = absl::StrCat("\"", absl::CEscape(value), "\"");
  }
  pb::TextFormat::Parser parser;
  QuietErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFieldValueFromString(value, field, message)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid value '", text, "' for ",
                                                   field->type_name(), " field '",
                                                   field->name(), "'"));
  }
  return absl::OkStatus();
}

absl::Status SetValue(absl::string_view text, const pb::FieldDescriptor* field,
                      pb::Message* message) {
  const pb::Reflection* reflection = message->GetReflection();
  if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
    if (field->is_repeated()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", field->name(), "' is a repeated message; select an element: ", field->name(),
          ".0.<field>=..."));
    }
    absl::string_view body = absl::StripAsciiWhitespace(text);
    if (absl::ConsumePrefix(&body, "{") && !absl::ConsumeSuffix(&body, "}")) {
      return absl::InvalidArgumentError("unbalanced '{'");
    }
    std::unique_ptr<pb::Message> value(
        reflection->GetMessage(*message, field).New());
    pb::TextFormat::Parser parser;
    QuietErrorCollector errors;
    parser.RecordErrorsTo(&errors);
    if (!parser.ParseFromString(std::string(body), value.get())) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid ", field->message_type()->full_name(), ": ", errors.message()));
    }
    reflection->MutableMessage(message, field)->CopyFrom(*value);
    return absl::OkStatus();
  }
  if (!field->is_repeated()) return ParseScalar(text, field, message);

  absl::string_view list = absl::StripAsciiWhitespace(text);
  if (absl::ConsumePrefix(&list, "[") != absl::ConsumeSuffix(&list, "]")) {
    return absl::InvalidArgumentError("unbalanced '['");
  }
  std::unique_ptr<pb::Message> scratch(message->New());
  if (!absl::StripAsciiWhitespace(list).empty()) {
    for (absl::string_view item : absl::StrSplit(list, ',')) {
      absl::Status status = ParseScalar(item, field, scratch.get());
      if (!status.ok()) return status;
    }
  }
  reflection->ClearField(message, field);
  reflection->SwapFields(scratch.get(), message, {field});
  return absl::OkStatus();
}

absl::Status ApplyPath(const std::vector<std::string>& path, absl::string_view value,
                       pb::Message* message) {
  for (size_t i = 0; i < path.size(); ++i) {
    const std::string& name = path[i];
    const pb::FieldDescriptor* field = message->GetDescriptor()->FindFieldByName(name);
    if (field == nullptr) {
      pb::Message* member = SetOneofMember(message);
      if (member != nullptr && member->GetDescriptor()->FindFieldByName(name) != nullptr) {
        message = member;
        field = member->GetDescriptor()->FindFieldByName(name);
      } else {
        // Name the chosen member's type when the path could have gone through it.
        const pb::Descriptor* where =
            member != nullptr ? member->GetDescriptor() : message->GetDescriptor();
        return absl::InvalidArgumentError(absl::StrCat(where->full_name(), " has no field '",
                                                       name, "' (fields: ", FieldNames(where),
                                                       ")"));
      }
    }
    if (i + 1 == path.size()) return SetValue(value, field, message);

    const pb::Reflection* reflection = message->GetReflection();
    if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      return absl::InvalidArgumentError(absl::StrCat("'", name, "' is a ", field->type_name(),
                                                     " field, not a message"));
    }
    if (!field->is_repeated()) {
      message = reflection->MutableMessage(message, field);
      continue;
    }
    ++i;
    int index = -1;
    const int size = reflection->FieldSize(*message, field);
    if (i == path.size() || !absl::SimpleAtoi(path[i], &index) || index < 0 || index >= size) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", name, "' is a repeated field with ", size, " element(s); expected ", name,
          ".<index>.<field> with index 0..", size - 1));
    }
    message = reflection->MutableRepeatedMessage(message, field, index);
  }
  return absl::InvalidArgumentError("empty key");
}

}  // namespace

absl::Status ApplyOverride(absl::string_view override_spec, pb::Message* root) {
  const std::string context = absl::StrCat("--options ", override_spec);
  std::pair<absl::string_view, absl::string_view> kv =
      absl::StrSplit(override_spec, absl::MaxSplits('=', 1));
  absl::string_view key = absl::StripAsciiWhitespace(kv.first);
  if (override_spec.find('=') == absl::string_view::npos || key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(context, ": expected KEY=VALUE"));
  }
  std::vector<std::string> path = absl::StrSplit(key, '.');
  // Work on a copy so a failed override leaves the config untouched.
  std::unique_ptr<pb::Message> copy(root->New());
  copy->CopyFrom(*root);
  absl::Status status = ApplyPath(path, kv.second, copy.get());
  if (!status.ok()) return Annotate(status, context);
  root->GetReflection()->Swap(root, copy.get());
  return absl::OkStatus();
}

}  // namespace mmdet
