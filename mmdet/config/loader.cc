#include "mmdet/config/loader.h"

#include <sys/stat.h>

#include <algorithm>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "mmdet/config/merge.h"
#include "mmdet/config/overrides.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/status.h"
#include "mmdet/core/status_macros.h"

namespace mmdet {
namespace {

namespace pb = ::google::protobuf;

// Records the first error with its 0-based position.
class FirstErrorCollector : public pb::io::ErrorCollector {
 public:
  void AddError(int line, pb::io::ColumnNumber column, const std::string& message) override {
    if (!has_error_) {
      has_error_ = true;
      line_ = line;
      column_ = column;
      message_ = message;
    }
  }
  void AddWarning(int, pb::io::ColumnNumber, const std::string&) override {}

  absl::Status ToStatus(absl::string_view filename) const {
    if (!has_error_) return absl::InvalidArgumentError(absl::StrCat(filename, ": parse error"));
    return absl::InvalidArgumentError(
        absl::StrCat(filename, ":", line_ + 1, ":", column_ + 1, ": ", message_));
  }

 private:
  bool has_error_ = false;
  int line_ = 0;
  int column_ = 0;
  std::string message_;
};

absl::Status ParseWithLocations(absl::string_view text, absl::string_view filename,
                                pb::Message* message, pb::TextFormat::ParseInfoTree* tree) {
  pb::TextFormat::Parser parser;
  FirstErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(tree);
  if (!parser.ParseFromString(std::string(text), message)) return errors.ToStatus(filename);
  return absl::OkStatus();
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Loads `path` and its bases; `chain` holds the files being loaded, for cycle messages.
absl::StatusOr<config::Config> LoadWithBases(const std::string& path,
                                             std::vector<std::string>* chain) {
  MMDET_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  config::Config own;
  pb::TextFormat::ParseInfoTree locations;
  MMDET_RETURN_IF_ERROR(ParseWithLocations(text, path, &own, &locations));

  chain->push_back(path);
  config::Config merged;
  const pb::FieldDescriptor* base_field = config::Config::descriptor()->FindFieldByName("_base_");
  for (int i = 0; i < own._base__size(); ++i) {
    const pb::TextFormat::ParseLocation where = locations.GetLocation(base_field, i);
    const std::string at = absl::StrCat(path, ":", where.line + 1, ":", where.column + 1);
    const std::string base = NormalizePath(JoinPath(Dirname(path), own._base_(i)));
    if (std::find(chain->begin(), chain->end(), base) != chain->end()) {
      return absl::InvalidArgumentError(absl::StrCat(at, ": _base_ cycle: ",
                                                     absl::StrJoin(*chain, " -> "), " -> ", base));
    }
    if (!FileExists(base)) {
      return absl::NotFoundError(
          absl::StrCat(at, ": base file '", own._base_(i), "' not found (", base, ")"));
    }
    MMDET_ASSIGN_OR_RETURN(config::Config base_cfg, LoadWithBases(base, chain));
    MergeConfig(base_cfg, &merged);
  }
  chain->pop_back();

  own.clear__base_();
  MergeConfig(own, &merged);
  return merged;
}

void FillPipelines(pb::Message* message, const pb::RepeatedPtrField<config::Transform>& shared) {
  const pb::Descriptor* descriptor = message->GetDescriptor();
  const pb::Reflection* reflection = message->GetReflection();
  if (descriptor->full_name() == "google.protobuf.Any") {
    // A `custom` dataset: fill the packed message (a linked type) and pack it again.
    const pb::FieldDescriptor* url = descriptor->FindFieldByName("type_url");
    const pb::FieldDescriptor* value = descriptor->FindFieldByName("value");
    const std::string type_url = reflection->GetString(*message, url);
    const std::string type_name = type_url.substr(type_url.rfind('/') + 1);
    const pb::Descriptor* inner_type =
        pb::DescriptorPool::generated_pool()->FindMessageTypeByName(type_name);
    if (inner_type == nullptr) return;  // BuildDataset reports the unknown type
    const pb::Message* prototype =
        pb::MessageFactory::generated_factory()->GetPrototype(inner_type);
    if (prototype == nullptr) return;
    std::unique_ptr<pb::Message> inner(prototype->New());
    if (!inner->ParseFromString(reflection->GetString(*message, value))) return;
    FillPipelines(inner.get(), shared);
    reflection->SetString(message, value, inner->SerializeAsString());
    return;
  }
  const pb::FieldDescriptor* pipeline = descriptor->FindFieldByName("pipeline");
  if (pipeline != nullptr && pipeline->is_repeated() &&
      pipeline->message_type() == config::Transform::descriptor() &&
      reflection->FieldSize(*message, pipeline) == 0) {
    for (const config::Transform& transform : shared) {
      reflection->AddMessage(message, pipeline)->CopyFrom(transform);
    }
  }
  // Descend into wrapped datasets (RepeatDataset.dataset, ConcatDataset.datasets, ...).
  std::vector<const pb::FieldDescriptor*> fields;
  reflection->ListFields(*message, &fields);
  for (const pb::FieldDescriptor* field : fields) {
    if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE ||
        field->message_type() == config::Transform::descriptor()) {
      continue;
    }
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(*message, field); ++i) {
        FillPipelines(reflection->MutableRepeatedMessage(message, field, i), shared);
      }
    } else {
      FillPipelines(reflection->MutableMessage(message, field), shared);
    }
  }
}

}  // namespace

absl::Status ParseTextProto(absl::string_view text, absl::string_view filename,
                            pb::Message* message) {
  pb::TextFormat::ParseInfoTree unused;
  return ParseWithLocations(text, filename, message, &unused);
}

absl::StatusOr<config::Config> LoadConfig(const std::string& path,
                                          const std::vector<std::string>& overrides) {
  std::vector<std::string> chain;
  MMDET_ASSIGN_OR_RETURN(config::Config cfg, LoadWithBases(NormalizePath(path), &chain));
  for (const std::string& spec : overrides) {
    MMDET_RETURN_IF_ERROR(ApplyOverride(spec, &cfg));
  }
  FillSharedPipelines(&cfg);
  return cfg;
}

void FillSharedPipelines(config::Config* cfg) {
  if (!cfg->has_data()) return;
  config::DataConfig* data = cfg->mutable_data();
  if (data->has_train()) FillPipelines(data->mutable_train(), data->train_pipeline());
  if (data->has_val()) FillPipelines(data->mutable_val(), data->test_pipeline());
  if (data->has_test()) FillPipelines(data->mutable_test(), data->test_pipeline());
}

std::string ConfigToText(const pb::Message& cfg) {
  pb::TextFormat::Printer printer;
  printer.SetExpandAny(true);
  printer.SetUseShortRepeatedPrimitives(true);
  std::string text;
  printer.PrintToString(cfg, &text);
  return text;
}

}  // namespace mmdet
