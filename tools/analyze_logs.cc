// MMDetection v2.0's tools/analyze_logs.py over *.log.json files (ours or MMDetection's own):
//
//   bazel run //tools:analyze_logs -- plot_curve LOG.json [LOG.json ...] [--keys bbox_mAP ...]
//       [--title T] [--legend L ...] [--backend B] [--style dark] [--out FILE.png|.pdf|.svg]
//   bazel run //tools:analyze_logs -- cal_train_time LOG.json [LOG.json ...] [--include-outliers]
//
// Loading, as MMDetection: one JSON object per line; lines without "epoch" (the meta line) are
// skipped; every other key's values are collected per epoch in line order. Key order within a
// line does not matter. A line is a val line when its "mode" is "val" (or, for logs without
// "mode", when it has no "time": mmcv 0.5 writes time only on train lines).
//
// plot_curve: one curve per log and key, legend "<log>_<key>" unless --legend gives one per
// curve. Keys containing "mAP" are drawn per epoch (x = the epochs that have the key, markers;
// MMDetection uses 1..max_epoch, which fails when evaluation skips epochs), other keys per
// iteration with x = iter + (epoch - 1) * iters_per_epoch (the last "iter" of the first
// epoch), a trailing val line of each epoch left out. A key in no epoch of a log is an error
// naming the log and the keys it has (MMDetection looks at the first epoch only, so it
// refuses mAP keys when evaluation starts after epoch 1). The picture is cairo's (mmdet/core/plot.h):
// PNG, PDF or SVG by --out's extension, atomically; without --out it opens a window when a
// display exists (else one line suggesting --out). --backend is matplotlib's and is ignored.
//
// cal_train_time prints, per log, MMDetection's block from the train lines' "time": the first
// value of each epoch dropped unless --include-outliers, per-epoch means, the slowest / fastest
// epoch (position in the log, 1-based), the population std of the epoch means and the mean of
// all times.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "mmdet/apis/show_window.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/json_reader.h"
#include "mmdet/core/plot.h"
#include "mmdet/core/status_macros.h"
#include "opencv2/core.hpp"
#include "tools/tool_main.h"

ABSL_FLAG(std::vector<std::string>, keys, std::vector<std::string>({"bbox_mAP"}),
          "plot_curve: the metrics to plot.");
ABSL_FLAG(std::string, title, "", "plot_curve: the title of the figure.");
ABSL_FLAG(std::vector<std::string>, legend, {}, "plot_curve: one legend entry per curve.");
ABSL_FLAG(std::string, backend, "", "plot_curve: matplotlib's backend (accepted, not used).");
ABSL_FLAG(std::string, style, "dark", "plot_curve: seaborn's style (dark, darkgrid, white, "
                                      "whitegrid, ticks).");
ABSL_FLAG(std::string, out, "", "plot_curve: write the figure here (.png, .pdf or .svg).");
ABSL_FLAG(bool, include_outliers, false,
          "cal_train_time: keep the first iteration of each epoch.");

namespace mmdet::tools {
namespace {

// One value of a key on one line: a number, or text (bbox_mAP_copypaste, mode).
struct Entry {
  double number = NAN;
  std::string text;
  bool is_number = false;
};

struct EpochLog {
  int64_t epoch = 0;
  std::map<std::string, std::vector<Entry>> values;  // key -> values in line order
  std::vector<std::string> key_order;                 // first appearance
  std::vector<bool> is_val;                           // per line
  std::vector<double> iters;                          // per line
  std::vector<double> train_times;                    // "time" of the train lines
  size_t lines = 0;
};

struct Log {
  std::string path;
  std::vector<EpochLog> epochs;  // in order of appearance (a dict's order)
};

absl::StatusOr<Log> LoadJsonLog(const std::string& path) {
  MMDET_ASSIGN_OR_RETURN(const std::string text, ReadFile(path));
  Log log;
  log.path = path;
  std::map<int64_t, size_t> index;
  size_t line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    JsonDocument doc;
    const std::string where = absl::StrCat(path, ":", line_number);
    MMDET_RETURN_IF_ERROR(doc.Parse(line, where));
    const JsonReader& r = doc.reader();
    simdjson::dom::object object;
    MMDET_RETURN_IF_ERROR(r.Object(doc.root(), "the line", &object));
    JsonReader::Element epoch_element;
    bool has_epoch = false;
    MMDET_RETURN_IF_ERROR(r.Field(object, "epoch", "the line", &epoch_element, &has_epoch));
    if (!has_epoch) continue;  // the meta line
    int64_t epoch = 0;
    MMDET_RETURN_IF_ERROR(r.Integer(epoch_element, "epoch", &epoch));
    auto [it, inserted] = index.emplace(epoch, log.epochs.size());
    if (inserted) {
      log.epochs.emplace_back();
      log.epochs.back().epoch = epoch;
    }
    EpochLog& e = log.epochs[it->second];
    bool has_mode = false, val = false, has_time = false;
    double iter = NAN, time = NAN;
    for (auto [key_view, value] : object) {
      const std::string key(key_view);
      if (key == "epoch") continue;
      Entry entry;
      if (value.is_number()) {
        entry.number = value.get_double().value();
        entry.is_number = true;
      } else if (value.is_string()) {
        entry.text = std::string(value.get_string().value());
      } else {
        entry.text = simdjson::minify(value);
      }
      if (key == "mode") {
        has_mode = true;
        val = entry.text == "val";
      }
      if (key == "iter" && entry.is_number) iter = entry.number;
      if (key == "time" && entry.is_number) {
        has_time = true;
        time = entry.number;
      }
      if (!e.values.count(key)) e.key_order.push_back(key);
      e.values[key].push_back(entry);
    }
    if (!has_mode) val = !has_time;
    if (!val && has_time) e.train_times.push_back(time);
    e.is_val.push_back(val);
    e.iters.push_back(iter);
    ++e.lines;
  }
  if (log.epochs.empty()) {
    return absl::InvalidArgumentError(path + ": no log lines with an \"epoch\" (not a log.json?)");
  }
  return log;
}

absl::Status PlotCurve(const std::vector<Log>& logs) {
  const std::vector<std::string> keys = absl::GetFlag(FLAGS_keys);
  std::vector<std::string> legend = absl::GetFlag(FLAGS_legend);
  if (legend.empty()) {
    for (const Log& log : logs) {
      for (const std::string& key : keys) legend.push_back(log.path + "_" + key);
    }
  }
  if (legend.size() != logs.size() * keys.size()) {
    return absl::InvalidArgumentError(absl::StrCat("--legend: ", legend.size(), " entries for ",
                                                   logs.size() * keys.size(), " curves"));
  }
  std::vector<PlotSeries> series;
  bool per_epoch = false, per_iter = false;
  std::vector<double> epoch_ticks;
  for (size_t i = 0; i < logs.size(); ++i) {
    const Log& log = logs[i];
    for (size_t j = 0; j < keys.size(); ++j) {
      const std::string& key = keys[j];
      std::cout << "plot curve of " << log.path << ", metric is " << key << "\n";
      const EpochLog& first = log.epochs.front();
      bool found = false;
      std::vector<std::string> known;
      for (const EpochLog& e : log.epochs) {
        found = found || e.values.count(key) > 0;
        for (const std::string& k : e.key_order) {
          if (std::find(known.begin(), known.end(), k) == known.end()) known.push_back(k);
        }
      }
      if (!found) {
        return absl::InvalidArgumentError(absl::StrCat(log.path, " does not contain metric ",
                                                       key, " (its keys: ",
                                                       absl::StrJoin(known, ", "), ")"));
      }
      PlotSeries s;
      s.label = legend[i * keys.size() + j];
      if (absl::StrContains(key, "mAP")) {
        per_epoch = true;
        s.markers = true;
        for (const EpochLog& e : log.epochs) {
          auto it = e.values.find(key);
          if (it == e.values.end()) continue;
          for (const Entry& v : it->second) {
            s.xs.push_back(static_cast<double>(e.epoch));
            s.ys.push_back(v.is_number ? v.number : NAN);
          }
          epoch_ticks.push_back(static_cast<double>(e.epoch));
        }
      } else {
        per_iter = true;
        s.line_width = 0.5;
        const double iters_per_epoch = first.iters.back();
        for (const EpochLog& e : log.epochs) {
          size_t n = e.lines;
          if (n > 0 && e.is_val.back()) --n;  // the epoch's trailing val line
          auto it = e.values.find(key);
          const std::vector<Entry> none;
          const std::vector<Entry>& values = it == e.values.end() ? none : it->second;
          n = std::min(n, values.size());
          for (size_t k = 0; k < n; ++k) {
            s.xs.push_back(e.iters[k] + static_cast<double>(e.epoch - 1) * iters_per_epoch);
            s.ys.push_back(values[k].is_number ? values[k].number : NAN);
          }
        }
      }
      series.push_back(std::move(s));
    }
  }
  PlotOptions o;
  o.title = absl::GetFlag(FLAGS_title);
  o.style = absl::GetFlag(FLAGS_style);
  o.xlabel = per_iter ? "iter" : "epoch";
  if (keys.size() == 1) o.ylabel = keys[0];
  if (per_epoch && !per_iter) {
    std::sort(epoch_ticks.begin(), epoch_ticks.end());
    epoch_ticks.erase(std::unique(epoch_ticks.begin(), epoch_ticks.end()), epoch_ticks.end());
    o.xticks = epoch_ticks;
  }
  MMDET_RETURN_IF_ERROR(CheckPlot(series, o));
  const std::string out = absl::GetFlag(FLAGS_out);
  if (!out.empty()) {
    std::cout << "save curve to: " << out << std::endl;
    return SavePlot(out, series, o);
  }
  MMDET_RETURN_IF_ERROR(apis::CheckDisplay("write the figure with --out FILE.png|.pdf|.svg"));
  MMDET_ASSIGN_OR_RETURN(std::vector<uint8_t> bgr, RenderPlotBgr(series, o));
  const cv::Mat image(o.height, o.width, CV_8UC3, bgr.data());
  return apis::ShowInWindow("analyze_logs", image, 0).status();
}

absl::Status CalTrainTime(const std::vector<Log>& logs) {
  const bool outliers = absl::GetFlag(FLAGS_include_outliers);
  for (const Log& log : logs) {
    std::cout << "-----Analyze train time of " << log.path << "-----\n";
    std::vector<double> epoch_means;
    double sum = 0;
    size_t count = 0;
    for (const EpochLog& e : log.epochs) {
      std::vector<double> times = e.train_times;
      if (!outliers && !times.empty()) times.erase(times.begin());
      if (times.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            log.path, ": epoch ", e.epoch, " has no train line with \"time\"",
            outliers ? "" : " after its first (try --include-outliers)"));
      }
      double epoch_sum = 0;
      for (double t : times) epoch_sum += t;
      epoch_means.push_back(epoch_sum / times.size());
      sum += epoch_sum;
      count += times.size();
    }
    const size_t slowest = std::max_element(epoch_means.begin(), epoch_means.end()) - epoch_means.begin();
    const size_t fastest = std::min_element(epoch_means.begin(), epoch_means.end()) - epoch_means.begin();
    double mean = 0;
    for (double m : epoch_means) mean += m;
    mean /= epoch_means.size();
    double var = 0;
    for (double m : epoch_means) var += (m - mean) * (m - mean);
    const double std_over_epochs = std::sqrt(var / epoch_means.size());
    std::cout << absl::StrFormat("slowest epoch %d, average time is %.4f\n", slowest + 1,
                                 epoch_means[slowest])
              << absl::StrFormat("fastest epoch %d, average time is %.4f\n", fastest + 1,
                                 epoch_means[fastest])
              << absl::StrFormat("time std over epochs is %.4f\n", std_over_epochs)
              << absl::StrFormat("average iter time: %.4f s/iter\n", sum / count) << "\n";
  }
  return absl::OkStatus();
}

absl::Status Run(const std::vector<std::string>& args) {
  if (args.empty() || (args[0] != "plot_curve" && args[0] != "cal_train_time")) {
    return absl::InvalidArgumentError(
        "expected a task: plot_curve or cal_train_time, then LOG.json ...");
  }
  if (args.size() < 2) return absl::InvalidArgumentError(args[0] + ": expected LOG.json ...");
  std::vector<Log> logs;
  for (size_t i = 1; i < args.size(); ++i) {
    if (!absl::EndsWith(args[i], ".json")) {
      return absl::InvalidArgumentError(args[i] + ": expected a .json log (the *.log.json file)");
    }
    MMDET_ASSIGN_OR_RETURN(Log log, LoadJsonLog(args[i]));
    logs.push_back(std::move(log));
  }
  return args[0] == "plot_curve" ? PlotCurve(logs) : CalTrainTime(logs);
}

}  // namespace
}  // namespace mmdet::tools

int main(int argc, char** argv) {
  std::vector<std::string> args = mmdet::tools::InitTool(
      {.usage = "analyze_logs plot_curve LOG.json ... [--keys bbox_mAP ...] [--title T] "
                "[--legend L ...] [--backend B] [--style dark] [--out FILE] | "
                "analyze_logs cal_train_time LOG.json ... [--include-outliers]",
       .list_flags = {"keys", "legend"}},
      argc, argv);
  return mmdet::tools::RunTool(&mmdet::tools::Run, args);
}
