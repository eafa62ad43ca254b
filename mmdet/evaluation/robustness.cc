#include "mmdet/evaluation/robustness.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "mmdet/core/status_macros.h"

namespace mmdet::evaluation {

namespace {

const std::array<const char*, 12> kMetrics = {"AP",  "AP50", "AP75", "APs",   "APm", "APl",
                                              "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"};

std::string Basename(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

void PrintCocoResults(const std::vector<float>& r, std::ostream& os) {
  struct Row { int ap; const char* iou; const char* area; int max_dets; };
  const Row rows[12] = {{1, "0.50:0.95", "all", 100}, {1, "0.50", "all", 100},
                        {1, "0.75", "all", 100},      {1, "0.50:0.95", "small", 100},
                        {1, "0.50:0.95", "medium", 100}, {1, "0.50:0.95", "large", 100},
                        {0, "0.50:0.95", "all", 1},   {0, "0.50:0.95", "all", 10},
                        {0, "0.50:0.95", "all", 100}, {0, "0.50:0.95", "small", 100},
                        {0, "0.50:0.95", "medium", 100}, {0, "0.50:0.95", "large", 100}};
  for (int i = 0; i < 12; ++i) {
    const Row& row = rows[i];
    os << absl::StrFormat(" %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f\n",
                                 row.ap ? "Average Precision" : "Average Recall",
                                 row.ap ? "(AP)" : "(AR)", row.iou, row.area, row.max_dets, r[i]);
  }
}

// numpy's float32 mean (pairwise float32 sums are below printing precision; a double sum
// rounded to float32 is what this keeps).
float Mean(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += x;
  return static_cast<float>(s / v.size());
}

absl::StatusOr<double> Number(const pth::Value& v, const std::string& where) {
  if (v.is_float() || v.is_int() || v.is_bool()) return v.as_float();
  if (v.is_tensor() && v.tensor().numel() == 1) return v.tensor().item<double>();
  return absl::InvalidArgumentError(where + ": expected a number, got " + pth::Value::KindName(v.kind()));
}

absl::Status CocoStyle(const pth::Value& results, const std::string& file, const std::string& task,
                       const std::vector<std::string>& prints, bool all,
                       std::vector<std::string> metrics, std::ostream& os) {
  const bool layout = metrics.empty();
  if (layout) metrics.assign(kMetrics.begin(), kMetrics.end());
  for (const std::string& m : metrics) {
    if (std::find(kMetrics.begin(), kMetrics.end(), m) == kMetrics.end()) {
      return absl::InvalidArgumentError("--metric " + m + ": expected AP, AP50, AP75, APs, APm, "
                                        "APl, AR1, AR10, AR100, ARs, ARm or ARl");
    }
  }
  const size_t n = results.entries().size();
  // results[corruption][severity][metric], zero where absent (np.zeros).
  std::vector<std::vector<std::vector<float>>> r(n, std::vector<std::vector<float>>(6, std::vector<float>(metrics.size(), 0.f)));
  for (size_t c = 0; c < n; ++c) {
    const pth::Value::Entry& corruption = results.entries()[c];
    const std::string cname = corruption.key.is_string() ? corruption.key.as_string() : "?";
    if (!corruption.value.is_dict()) {
      return absl::InvalidArgumentError(file + ": " + cname + ": expected {severity: ...}");
    }
    for (const pth::Value::Entry& sev : corruption.value.entries()) {
      if (!sev.key.is_int() || sev.key.as_int() < 0 || sev.key.as_int() > 5) {
        return absl::InvalidArgumentError(file + ": " + cname + ": severities must be 0 to 5");
      }
      const int s = static_cast<int>(sev.key.as_int());
      const pth::Value* t = sev.value.Find(task);
      if (t == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(file, ": ", cname, "[", s, "] has no ", task,
                                                       " results (try --task)"));
      }
      for (size_t m = 0; m < metrics.size(); ++m) {
        const pth::Value* v = t->Find(metrics[m]);
        const std::string where = absl::StrCat(file, ": ", cname, "[", s, "][", task, "][", metrics[m], "]");
        if (v == nullptr) return absl::InvalidArgumentError(where + ": missing");
        MMDET_ASSIGN_OR_RETURN(const double x, Number(*v, where));
        r[c][s][m] = static_cast<float>(x);
      }
    }
  }
  const size_t used = all ? n : std::min<size_t>(15, n);
  std::vector<float> p(metrics.size()), mpc(metrics.size()), rpc(metrics.size());
  for (size_t m = 0; m < metrics.size(); ++m) {
    p[m] = r[0][0][m];
    std::vector<float> values;
    for (size_t c = 0; c < used; ++c) {
      for (int s = 1; s <= 5; ++s) values.push_back(r[c][s][m]);
    }
    mpc[m] = Mean(values);
    rpc[m] = mpc[m] / p[m];
  }
  auto has = [&](const char* what) { return std::find(prints.begin(), prints.end(), what) != prints.end(); };
  os << "\nmodel: " << Basename(file) << "\n";
  if (layout) {
    if (has("P")) {
      os << "Performance on Clean Data [P] (" << task << ")\n";
      PrintCocoResults(p, os);
    }
    if (has("mPC")) {
      os << "Mean Performance under Corruption [mPC] (" << task << ")\n";
      PrintCocoResults(mpc, os);
    }
    if (has("rPC")) {
      os << "Realtive Performance under Corruption [rPC] (" << task << ")\n";
      PrintCocoResults(rpc, os);
    }
  } else {
    if (has("P")) {
      os << "Performance on Clean Data [P] (" << task << ")\n";
      for (size_t m = 0; m < metrics.size(); ++m) os << absl::StrFormat("%-5s =  %0.3f\n", metrics[m], p[m]);
    }
    if (has("mPC")) {
      os << "Mean Performance under Corruption [mPC] (" << task << ")\n";
      for (size_t m = 0; m < metrics.size(); ++m) os << absl::StrFormat("%-5s =  %0.3f\n", metrics[m], mpc[m]);
    }
    if (has("rPC")) {
      os << "Relative Performance under Corruption [rPC] (" << task << ")\n";
      for (size_t m = 0; m < metrics.size(); ++m) {
        os << absl::StrFormat("%-5s => %0.1f %%\n", metrics[m], rpc[m] * 100);
      }
    }
  }
  return absl::OkStatus();
}

absl::Status VocStyle(const pth::Value& results, const std::string& file,
                      const std::vector<std::string>& prints, bool all, std::ostream& os) {
  const size_t n = results.entries().size();
  constexpr int kClasses = 20;
  std::vector<std::vector<std::vector<float>>> r(n, std::vector<std::vector<float>>(6, std::vector<float>(kClasses, 0.f)));
  for (size_t c = 0; c < n; ++c) {
    const pth::Value::Entry& corruption = results.entries()[c];
    const std::string cname = corruption.key.is_string() ? corruption.key.as_string() : "?";
    for (const pth::Value::Entry& sev : corruption.value.entries()) {
      const int s = static_cast<int>(sev.key.as_int());
      if (s < 0 || s > 5 || !(sev.value.is_list() || sev.value.is_tuple()) || sev.value.size() != kClasses) {
        return absl::InvalidArgumentError(absl::StrCat(file, ": ", cname, "[", s,
                                                       "]: expected 20 per-class results"));
      }
      for (int j = 0; j < kClasses; ++j) {
        const pth::Value* ap = sev.value.items()[j].Find("ap");
        const std::string where = absl::StrCat(file, ": ", cname, "[", s, "][", j, "]['ap']");
        if (ap == nullptr) return absl::InvalidArgumentError(where + ": missing");
        MMDET_ASSIGN_OR_RETURN(const double x, Number(*ap, where));
        r[c][s][j] = static_cast<float>(x);
      }
    }
  }
  const size_t used = all ? n : std::min<size_t>(15, n);
  std::vector<float> p(kClasses), mpc(kClasses), rpc(kClasses);
  for (int j = 0; j < kClasses; ++j) {
    p[j] = r[0][0][j];
    std::vector<float> values;
    for (size_t c = 0; c < used; ++c) {
      for (int s = 1; s <= 5; ++s) values.push_back(r[c][s][j]);
    }
    mpc[j] = Mean(values);
    rpc[j] = mpc[j] / p[j];
  }
  auto has = [&](const char* what) { return std::find(prints.begin(), prints.end(), what) != prints.end(); };
  os << "\nmodel: " << Basename(file) << "\n";
  if (has("P")) os << absl::StrFormat("Performance on Clean Data [P] in AP50 = %0.3f\n", Mean(p));
  if (has("mPC")) {
    os << absl::StrFormat("Mean Performance under Corruption [mPC] in AP50 = %0.3f\n", Mean(mpc));
  }
  if (has("rPC")) {
    os << absl::StrFormat("Realtive Performance under Corruption [rPC] in %% = %0.1f\n",
                                 Mean(rpc) * 100);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status PrintRobustnessResults(const pth::Value& results, const std::string& file,
                                    const RobustnessPrintOptions& o, std::ostream& os) {
  if (o.dataset != "coco" && o.dataset != "voc" && o.dataset != "cityscapes") {
    return absl::InvalidArgumentError("--dataset " + o.dataset + ": expected coco, voc or cityscapes");
  }
  if (o.aggregate != "benchmark" && o.aggregate != "all") {
    return absl::InvalidArgumentError("--aggregate " + o.aggregate + ": expected benchmark or all");
  }
  for (const std::string& p : o.prints) {
    if (p != "P" && p != "mPC" && p != "rPC") {
      return absl::InvalidArgumentError("--prints " + p + ": expected P, mPC or rPC");
    }
  }
  if (!results.is_dict() || results.entries().empty()) {
    return absl::InvalidArgumentError(file + ": expected {corruption: {severity: ...}}");
  }
  const bool all = o.aggregate == "all";
  if (o.dataset == "voc") {
    for (const std::string& task : o.tasks) {
      if (task != "bbox") os << "Only bbox analysis is supported for Pascal VOC\nWill report bbox results\n\n";
    }
    if (!o.metrics.empty() && !(o.metrics.size() == 1 && (o.metrics[0] == "AP" || o.metrics[0] == "AP50"))) {
      os << "Only the AP50 metric is supported for Pascal VOC\nWill report AP50 metric\n\n";
    }
    return VocStyle(results, file, o.prints, all, os);
  }
  for (const std::string& task : o.tasks) {
    if (task != "bbox" && task != "segm") {
      return absl::InvalidArgumentError("--task " + task + ": expected bbox or segm");
    }
    MMDET_RETURN_IF_ERROR(CocoStyle(results, file, task, o.prints, all, o.metrics, os));
  }
  return absl::OkStatus();
}

}  // namespace mmdet::evaluation
