#include "mmdet/models/checkpoint/upgrade.h"

#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mmdet::models {
namespace {

bool IsHead(const std::string& key) {
  for (const char* head : {"bbox_head", "mask_head", "semantic_head", "grid_head", "mask_iou_head"}) {
    if (absl::StartsWith(key, head)) return true;
  }
  return false;
}

std::vector<int64_t> Concat(std::vector<int64_t> a, c10::IntArrayRef b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

torch::Tensor ReorderCls(const torch::Tensor& val, int64_t n) {
  if (val.dim() == 1) return torch::cat({val.narrow(0, 1, val.size(0) - 1), val.narrow(0, 0, 1)});
  const int64_t out = val.size(0), in = val.size(1);
  if (out != n && out % n == 0) {
    const torch::Tensor v = val.reshape(Concat({-1, n, in}, val.sizes().slice(2)));
    return torch::cat({v.narrow(1, 1, n - 1), v.narrow(1, 0, 1)}, 1).reshape(val.sizes());
  }
  if (out == n) return torch::cat({val.narrow(0, 1, n - 1), val.narrow(0, 0, 1)});
  return val;
}

torch::Tensor TruncateCls(const torch::Tensor& val, int64_t n) {
  if (val.dim() == 1) return val.size(0) % n == 0 ? val.narrow(0, 0, n - 1) : val;
  const int64_t out = val.size(0), in = val.size(1);
  if (out % n == 0) {
    const torch::Tensor v = val.reshape(Concat({n, in}, val.sizes().slice(2))).narrow(0, 1, n - 1);
    return v.reshape(Concat({-1}, val.sizes().slice(1)));
  }
  return val;
}

torch::Tensor TruncateReg(const torch::Tensor& val, int64_t n) {
  if (val.dim() == 1) {
    return val.size(0) % n == 0 ? val.reshape({n, -1}).narrow(0, 0, n - 1).reshape(-1) : val;
  }
  const int64_t out = val.size(0), in = val.size(1);
  if (out % n == 0) {
    const torch::Tensor v =
        val.reshape(Concat({n, -1, in}, val.sizes().slice(2))).narrow(0, 1, n - 1);
    return v.reshape(Concat({-1}, val.sizes().slice(1)));
  }
  return val;
}

}  // namespace

StateDict UpgradeV1StateDict(const StateDict& in, const UpgradeOptions& o,
                             std::vector<std::string>* log) {
  bool two_stage = false;
  for (const auto& [key, value] : in) two_stage = two_stage || absl::StrContains(key, "rpn_head");
  // The script's patterns; "." matches any character there too.
  static const std::regex cls_re("(conv_cls|retina_cls|rpn_cls|fc_cls|fcos_cls|fovea_cls).(weight|bias)");
  static const std::regex reg_re("(fc_reg|rpn_reg).(weight|bias)");
  static const std::regex logits_re("(conv_logits).(weight|bias)");
  static const std::regex convs_re("(cls_convs|reg_convs).\\d.(weight|bias)");
  static const std::regex ssd_re("(cls_convs).\\d.(weight|bias)");
  StateDict out;
  for (const auto& [key, val] : in) {
    std::string new_key = key;
    torch::Tensor new_val = val;
    if (two_stage && IsHead(key)) new_key = "roi_head." + key;
    if (std::regex_search(new_key, cls_re)) {
      log->push_back("reorder cls channels of " + new_key);
      new_val = ReorderCls(val, o.num_classes);
    }
    if (std::regex_search(new_key, reg_re) && !o.reg_cls_agnostic) {
      log->push_back("truncate regression channels of " + new_key);
      new_val = TruncateReg(val, o.num_classes);
    }
    if (std::regex_search(new_key, logits_re)) {
      log->push_back("truncate mask prediction channels of " + new_key);
      new_val = TruncateCls(val, o.num_classes);
    }
    std::smatch m;
    if (o.upgrade_retina && std::regex_search(key, m, convs_re)) {
      const std::string param = m[2].str();
      // str.replace: every occurrence of the parameter name.
      std::string renamed;
      size_t start = 0, pos;
      while ((pos = key.find(param, start)) != std::string::npos) {
        renamed += key.substr(start, pos - start) + "conv." + param;
        start = pos + param.size();
      }
      renamed += key.substr(start);
      out.emplace_back(renamed, val);
      log->push_back("rename the name of " + key + " to " + renamed);
      continue;
    }
    if (o.ssd && std::regex_search(key, ssd_re)) {
      log->push_back("reorder cls channels of " + new_key);
      new_val = ReorderCls(val, o.num_classes);
    }
    out.emplace_back(new_key, new_val);
  }
  return out;
}

}  // namespace mmdet::models
