#include "mmdet/models/checkpoint/state_dict.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mmdet::models {
namespace {

void Collect(torch::nn::Module& module, const std::string& prefix, StateDict* out) {
  for (const auto& p : module.named_parameters(/*recurse=*/false)) {
    out->emplace_back(prefix + p.key(), p.value().detach());
  }
  for (const auto& b : module.named_buffers(/*recurse=*/false)) {
    out->emplace_back(prefix + b.key(), b.value().detach());
  }
  for (const auto& child : module.named_children()) {
    Collect(*child.value(), prefix + child.key() + ".", out);
  }
}

std::string Shape(const torch::Tensor& t) {
  return absl::StrCat("[", absl::StrJoin(t.sizes(), ", "), "]");
}

std::string Quoted(const std::vector<std::string>& keys) {
  std::vector<std::string> quoted;
  for (const auto& k : keys) quoted.push_back(absl::StrCat("\"", k, "\""));
  return absl::StrJoin(quoted, ", ");
}

}  // namespace

StateDict GetStateDict(torch::nn::Module& module) {
  StateDict out;
  Collect(module, "", &out);
  return out;
}

std::string LoadReport::Message() const {
  std::vector<std::string> parts;
  if (!unexpected.empty()) {
    parts.push_back(absl::StrCat("unexpected key in source state_dict: ", absl::StrJoin(unexpected, ", ")));
  }
  if (!missing.empty()) {
    parts.push_back(absl::StrCat("missing keys in source state_dict: ", absl::StrJoin(missing, ", ")));
  }
  if (!mismatched.empty()) {
    parts.push_back(absl::StrCat("size mismatch: ", absl::StrJoin(mismatched, "; ")));
  }
  return absl::StrJoin(parts, "\n");
}

StateDict SubStateDict(const StateDict& state, const std::string& prefix) {
  StateDict out;
  for (const auto& [name, value] : state) {
    if (absl::StartsWith(name, prefix)) out.emplace_back(name.substr(prefix.size()), value);
  }
  return out;
}

absl::StatusOr<LoadReport> LoadStateDict(torch::nn::Module& module, const StateDict& state,
                                         bool strict, const std::string& module_name) {
  std::map<std::string, torch::Tensor> own;
  for (auto& [name, tensor] : GetStateDict(module)) own.emplace(name, tensor);
  const bool data_parallel = !state.empty() && absl::StartsWith(state.front().first, "module.");
  LoadReport report;
  std::map<std::string, bool> seen;
  torch::NoGradGuard no_grad;
  for (const auto& [raw_name, value] : state) {
    const std::string name = data_parallel && absl::StartsWith(raw_name, "module.")
                                 ? raw_name.substr(7)
                                 : raw_name;
    auto it = own.find(name);
    if (it == own.end()) {
      report.unexpected.push_back(name);
      continue;
    }
    seen[name] = true;
    if (it->second.sizes() != value.sizes()) {
      report.mismatched.push_back(absl::StrCat(name, ": copying a param with shape ", Shape(value),
                                               " from checkpoint, the shape in current model is ",
                                               Shape(it->second)));
      continue;
    }
    it->second.copy_(value.to(it->second.device()).to(it->second.dtype()));
  }
  for (const auto& [name, tensor] : own) {
    if (seen.count(name) || absl::EndsWith(name, "num_batches_tracked")) continue;
    report.missing.push_back(name);
  }
  if (strict && !report.clean()) {
    std::vector<std::string> parts;
    if (!report.missing.empty()) {
      parts.push_back(absl::StrCat("Missing key(s) in state_dict: ", Quoted(report.missing), "."));
    }
    if (!report.unexpected.empty()) {
      parts.push_back(
          absl::StrCat("Unexpected key(s) in state_dict: ", Quoted(report.unexpected), "."));
    }
    for (const auto& m : report.mismatched) parts.push_back(absl::StrCat("size mismatch for ", m, "."));
    return absl::InvalidArgumentError(absl::StrCat("Error(s) in loading state_dict for ", module_name,
                                                   ": ", absl::StrJoin(parts, " ")));
  }
  return report;
}

}  // namespace mmdet::models
