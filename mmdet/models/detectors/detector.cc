#include "mmdet/models/detectors/detector.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "mmdet/core/status.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/checkpoint/checkpoint.h"

namespace mmdet::models {

namespace {

// Feature-level counts found in a model config: the neck's num_outs, each anchor generator's
// strides and each RoI extractor's featmap_strides, with their field paths.
struct LevelCounts {
  std::vector<std::pair<std::string, int>> num_outs, anchor_strides, featmap_strides;
};

void CollectLevels(const google::protobuf::Message& msg, const std::string& path,
                   LevelCounts* out) {
  const google::protobuf::Descriptor* d = msg.GetDescriptor();
  const google::protobuf::Reflection* r = msg.GetReflection();
  if (const auto* f = d->FindFieldByName("num_outs");
      f != nullptr && f->type() == google::protobuf::FieldDescriptor::TYPE_INT32 && !f->is_repeated()) {
    out->num_outs.emplace_back(path + ".num_outs", r->GetInt32(msg, f));
  }
  if (const auto* f = d->FindFieldByName("strides");
      f != nullptr && f->is_repeated() && absl::StrContains(path, "anchor_generator")) {
    if (r->FieldSize(msg, f) > 0) out->anchor_strides.emplace_back(path + ".strides", r->FieldSize(msg, f));
  }
  if (const auto* f = d->FindFieldByName("featmap_strides"); f != nullptr && f->is_repeated()) {
    if (r->FieldSize(msg, f) > 0) {
      out->featmap_strides.emplace_back(path + ".featmap_strides", r->FieldSize(msg, f));
    }
  }
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  r->ListFields(msg, &fields);
  for (const auto* f : fields) {
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE || f->is_repeated()) continue;
    CollectLevels(r->GetMessage(msg, f), path + "." + f->name(), out);
  }
}

// The neck's outputs feed the dense heads level by level and the RoI extractors their first
// levels: a dense head with another number of anchor strides than num_outs, or an extractor
// with more featmap_strides than num_outs, would index levels that do not exist.
absl::Status CheckFeatureLevels(const google::protobuf::Message& member, const std::string& path) {
  LevelCounts levels;
  CollectLevels(member, path, &levels);
  if (levels.num_outs.size() != 1) return absl::OkStatus();
  const auto& [neck, n] = levels.num_outs[0];
  for (const auto& [where, count] : levels.anchor_strides) {
    if (count != n) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, " has ", count, " levels but ", neck, " is ", n, ": they must be equal"));
    }
  }
  for (const auto& [where, count] : levels.featmap_strides) {
    if (count > n) {
      return absl::InvalidArgumentError(absl::StrCat(where, " has ", count, " levels but ", neck,
                                                     " is ", n, ": at most that many"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<DetectorImpl>> BuildDetector(const config::Config& cfg) {
  std::unique_ptr<google::protobuf::Message> unpacked;
  MMDET_ASSIGN_OR_RETURN(const google::protobuf::Message* member,
                         SelectedMember(cfg.model(), "model", &unpacked));
  const std::string path = SelectedMemberPath(cfg.model(), "model");
  MMDET_RETURN_IF_ERROR(CheckFeatureLevels(*member, path));
  auto built = DetectorRegistry::Global().Create(*member, cfg, path);
  if (!built.ok() && !absl::StartsWith(built.status().message(), "model")) {
    return Annotate(built.status(), path);
  }
  return built;
}

absl::StatusOr<LoadReport> InitPretrainedWeights(DetectorImpl& model) {
  if (model.pretrained().empty()) return LoadReport();
  auto report = LoadCheckpointInto(model.backbone(), model.pretrained(), /*strict=*/false);
  if (!report.ok()) return Annotate(report.status(), "model.pretrained");
  return report;
}

torch::Tensor TotalLoss(const LossMap& losses) {
  torch::Tensor total;
  for (const auto& [name, value] : losses) {
    if (!absl::StrContains(name, "loss")) continue;
    total = total.defined() ? total + value.mean() : value.mean();
  }
  return total;
}

ParsedLosses ParseLosses(const LossMap& losses) {
  ParsedLosses parsed;
  parsed.loss = TotalLoss(losses);
  for (const auto& [name, value] : losses) {
    parsed.log_vars.emplace_back(name, value.mean().detach());
  }
  if (parsed.loss.defined()) parsed.log_vars.emplace_back("loss", parsed.loss.detach());
  return parsed;
}

std::vector<std::pair<std::string, double>> ParsedLosses::Values() const {
  std::vector<std::pair<std::string, double>> values;
  for (const auto& [name, value] : log_vars) values.emplace_back(name, value.item<double>());
  return values;
}

}  // namespace mmdet::models
