#include "mmdet/models/checkpoint/checkpoint.h"

#include <sys/stat.h>

#include <cstdlib>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/status.h"
#include "mmdet/core/status_macros.h"

namespace mmdet::models {
namespace {

bool IsFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string HubDir() {
  if (const char* torch_home = std::getenv("TORCH_HOME")) {
    return JoinPath(torch_home, "hub/checkpoints");
  }
  if (const char* xdg = std::getenv("XDG_CACHE_HOME")) return JoinPath(xdg, "torch/hub/checkpoints");
  const char* home = std::getenv("HOME");
  return JoinPath(home ? home : "/root", ".cache/torch/hub/checkpoints");
}

// torchvision's ImageNet weights (the files mmcv's torchvision:// scheme downloads; newer
// torchvision releases use the second names for the same V1 weights).
const std::map<std::string, std::vector<std::string>>& TorchvisionFiles() {
  static const auto* files = new std::map<std::string, std::vector<std::string>>{
      {"resnet18", {"resnet18-5c106cde.pth", "resnet18-f37072fd.pth"}},
      {"resnet34", {"resnet34-333f7ec4.pth", "resnet34-b627a593.pth"}},
      {"resnet50", {"resnet50-19c8e357.pth", "resnet50-0676ba61.pth"}},
      {"resnet101", {"resnet101-5d3b4d8f.pth", "resnet101-63fe2227.pth"}},
      {"resnet152", {"resnet152-b121ed2d.pth", "resnet152-394f9c45.pth"}},
  };
  return *files;
}

}  // namespace

absl::StatusOr<StateDict> StateDictFromValue(const pth::Value& value, const std::string& source) {
  if (!value.is_dict()) {
    return absl::DataLossError(absl::StrCat(source, ": state_dict is a ",
                                            pth::Value::KindName(value.kind()), ", not a dict"));
  }
  StateDict state;
  for (const pth::Value::Entry& entry : value.entries()) {
    if (!entry.key.is_string()) {
      return absl::DataLossError(absl::StrCat(source, ": state_dict key ", entry.key.DebugString(),
                                              " is not a string"));
    }
    if (!entry.value.is_tensor()) {
      return absl::DataLossError(absl::StrCat(source, ": state_dict['", entry.key.as_string(),
                                              "'] is a ", pth::Value::KindName(entry.value.kind()),
                                              ", not a tensor"));
    }
    state.emplace_back(entry.key.as_string(), entry.value.tensor());
  }
  return state;
}

pth::Value StateDictToValue(const StateDict& state) {
  std::vector<pth::Value::Entry> entries;
  entries.reserve(state.size());
  for (const auto& [name, tensor] : state) {
    entries.push_back({pth::Value::String(name), pth::Value::Tensor(tensor.detach().cpu())});
  }
  return pth::Value::OrderedDict(std::move(entries));
}

absl::StatusOr<Checkpoint> LoadCheckpoint(const std::string& path) {
  Checkpoint ckpt;
  MMDET_ASSIGN_OR_RETURN(ckpt.raw, pth::LoadPth(path));
  const pth::Value* state = ckpt.raw.Find("state_dict");
  if (state == nullptr) {
    // A bare state_dict (torchvision) or {'model': ...} is not MMDetection's; accept the first.
    state = &ckpt.raw;
  } else {
    if (const pth::Value* meta = ckpt.raw.Find("meta")) ckpt.meta = *meta;
    if (const pth::Value* optimizer = ckpt.raw.Find("optimizer")) ckpt.optimizer = *optimizer;
  }
  MMDET_ASSIGN_OR_RETURN(ckpt.state_dict, StateDictFromValue(*state, path));
  return ckpt;
}

absl::Status SaveCheckpoint(const std::string& path, const StateDict& state,
                            const pth::Value& meta, const pth::Value& optimizer) {
  pth::Value file = pth::Value::Dict();
  if (!meta.is_none()) file.Set("meta", meta);
  file.Set("state_dict", StateDictToValue(state));
  if (!optimizer.is_none()) file.Set("optimizer", optimizer);
  return pth::SavePth(path, file);
}

absl::StatusOr<std::string> ResolveCheckpointPath(const std::string& name) {
  if (name.empty()) return absl::InvalidArgumentError("empty checkpoint name");
  const std::string hub = HubDir();
  std::vector<std::string> candidates;
  std::string url;
  if (absl::StartsWith(name, "torchvision://")) {
    const std::string model = name.substr(14);
    auto it = TorchvisionFiles().find(model);
    if (it == TorchvisionFiles().end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, ": unknown torchvision model (known: resnet18, resnet34, resnet50, resnet101, "
                "resnet152)"));
    }
    for (const std::string& file : it->second) candidates.push_back(JoinPath(hub, file));
    url = "https://download.pytorch.org/models/" + it->second.front();
  } else if (absl::StartsWith(name, "http://") || absl::StartsWith(name, "https://")) {
    const std::string file = name.substr(name.find_last_of('/') + 1);
    candidates.push_back(JoinPath(hub, file));
    url = name;
  } else if (absl::StrContains(name, "://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": unsupported scheme (give a file path, torchvision://NAME or an http(s) URL "
              "whose file is in ", hub, ")"));
  } else {
    if (!IsFile(name)) return absl::NotFoundError(absl::StrCat(name, ": no such checkpoint file"));
    return name;
  }
  for (const std::string& path : candidates) {
    if (IsFile(path)) return path;
  }
  return absl::NotFoundError(absl::StrCat(
      name, ": not in the local cache (looked for ", absl::StrJoin(candidates, ", "),
      "); this machine does not download: fetch ", url, " into ", hub,
      " (or set $TORCH_HOME), or give the file's path"));
}

absl::StatusOr<Checkpoint> LoadCheckpointStrictly(torch::nn::Module& module, const std::string& path) {
  MMDET_ASSIGN_OR_RETURN(Checkpoint ckpt, LoadCheckpoint(path));
  auto loaded = LoadStateDict(module, ckpt.state_dict, /*strict=*/true);
  if (!loaded.ok()) return Annotate(loaded.status(), path);
  return ckpt;
}

absl::StatusOr<LoadReport> LoadCheckpointInto(torch::nn::Module& module, const std::string& name,
                                              bool strict, const std::string& prefix) {
  MMDET_ASSIGN_OR_RETURN(std::string path, ResolveCheckpointPath(name));
  MMDET_ASSIGN_OR_RETURN(Checkpoint ckpt, LoadCheckpoint(path));
  const StateDict state = prefix.empty() ? ckpt.state_dict : SubStateDict(ckpt.state_dict, prefix);
  auto report = LoadStateDict(module, state, strict, module.name());
  if (!report.ok()) return Annotate(report.status(), path);
  return report;
}

}  // namespace mmdet::models
