#include "mmdet/models/detectors/detector.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "mmdet/core/status.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/checkpoint/checkpoint.h"

namespace mmdet::models {

absl::StatusOr<std::shared_ptr<DetectorImpl>> BuildDetector(const config::Config& cfg) {
  std::unique_ptr<google::protobuf::Message> unpacked;
  MMDET_ASSIGN_OR_RETURN(const google::protobuf::Message* member,
                         SelectedMember(cfg.model(), "model", &unpacked));
  const std::string path = SelectedMemberPath(cfg.model(), "model");
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
