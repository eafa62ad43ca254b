// Evaluates saved results against a config's test dataset with the dataset's own metrics
// (MMDetection v2's tools/eval_metric.py), or writes them in the evaluation server's format:
//
//   eval_metric CONFIG RESULT.pkl [--eval bbox segm proposal proposal_fast | mAP recall]
//               [--format-only] [--options KEY=VALUE ...] [--cfg-options KEY=VALUE ...]
//
// RESULT.pkl is what MMDetection's (or our) tools/test.py --out writes. --options (also
// --eval-options) are the evaluation's arguments: classwise=True, iou_thr=0.5 (VOC mAP; a
// list for recall), proposal_nums=100,300,1000, jsonfile_prefix=PREFIX (--format-only:
// PREFIX.bbox.json, PREFIX.segm.json, PREFIX.proposal.json). --cfg-options override the
// config (e.g. data.test.coco_dataset.ann_file=...). The metrics go to stdout as one JSON
// object with MMDetection's keys ({"bbox_mAP": 0.372, ...}); pycocotools' lines and the
// tables go to stderr.
#include <iostream>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/datasets/coco_api.h"
#include "mmdet/datasets/dataset.h"
#include "mmdet/evaluation/cityscapes.h"
#include "mmdet/evaluation/coco_results.h"
#include "mmdet/evaluation/dataset_metrics.h"
#include "mmdet/evaluation/results.h"
#include "tools/common_flags.h"
#include "tools/tool_main.h"
#include "tools/voc_annotations.h"

ABSL_FLAG(std::vector<std::string>, eval, {},
          "Metrics: bbox, segm, proposal, proposal_fast (COCO-style datasets), cityscapes "
          "(Cityscapes), mAP, recall (VOC).");
ABSL_FLAG(bool, format_only, false,
          "Write the results as COCO results JSON (--options jsonfile_prefix=PREFIX) instead.");
ABSL_FLAG(int, threads, static_cast<int>(std::thread::hardware_concurrency()),
          "Threads for COCO evaluation.");

namespace mmdet::tools {
namespace {

struct EvalKwargs {
  std::string jsonfile_prefix;
  std::string outfile_prefix;  // Cityscapes (also txtfile_prefix)
  bool classwise = false;
  std::vector<double> iou_thr;
  std::vector<int> proposal_nums = {100, 300, 1000};
  std::vector<std::pair<double, double>> scale_ranges;  // VOC mAP
};

// "0.5", "[0.5, 0.75]", "(100, 300)" or "100,300".
std::vector<std::string> ListWords(std::string value) {
  value.erase(std::remove_if(value.begin(), value.end(),
                             [](char c) { return c == '[' || c == ']' || c == '(' || c == ')'; }),
              value.end());
  std::vector<std::string> words;
  for (absl::string_view w : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
    words.emplace_back(absl::StripAsciiWhitespace(w));
  }
  return words;
}

absl::StatusOr<EvalKwargs> ParseKwargs(const std::vector<std::string>& words) {
  EvalKwargs k;
  for (const std::string& word : words) {
    const size_t eq = word.find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError("--options " + word + ": expected KEY=VALUE");
    }
    const std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    if (key == "jsonfile_prefix") {
      k.jsonfile_prefix = value;
    } else if (key == "outfile_prefix" || key == "txtfile_prefix") {
      k.outfile_prefix = value;
    } else if (key == "classwise") {
      if (value != "True" && value != "False" && value != "true" && value != "false") {
        return absl::InvalidArgumentError("--options classwise=" + value + ": expected True or False");
      }
      k.classwise = value == "True" || value == "true";
    } else if (key == "iou_thr" || key == "iou_thrs") {
      for (const std::string& w : ListWords(value)) {
        double v = 0;
        if (!absl::SimpleAtod(w, &v)) {
          return absl::InvalidArgumentError("--options " + word + ": '" + w + "' is not a number");
        }
        k.iou_thr.push_back(v);
      }
    } else if (key == "scale_ranges") {
      // "[(0, 32), (32, 96), (96, 1e5)]": pairs of numbers.
      std::vector<double> v;
      for (const std::string& w : ListWords(value)) {
        double d = 0;
        if (!absl::SimpleAtod(w, &d)) {
          return absl::InvalidArgumentError("--options " + word + ": '" + w + "' is not a number");
        }
        v.push_back(d);
      }
      if (v.empty() || v.size() % 2 != 0) {
        return absl::InvalidArgumentError("--options " + word + ": expected (min, max) pairs");
      }
      for (size_t i = 0; i < v.size(); i += 2) k.scale_ranges.emplace_back(v[i], v[i + 1]);
    } else if (key == "proposal_nums") {
      k.proposal_nums.clear();
      for (const std::string& w : ListWords(value)) {
        int v = 0;
        if (!absl::SimpleAtoi(w, &v) || v <= 0) {
          return absl::InvalidArgumentError("--options " + word + ": '" + w +
                                            "' is not a positive integer");
        }
        k.proposal_nums.push_back(v);
      }
    } else {
      return absl::InvalidArgumentError(
          "--options " + word +
          ": unknown evaluation argument (allowed: jsonfile_prefix, outfile_prefix, "
          "txtfile_prefix, classwise, iou_thr, proposal_nums, scale_ranges)");
    }
  }
  return k;
}

template <typename DatasetConfig>
absl::Status RunCoco(const DatasetConfig& dataset_cfg, const std::string& path,
                     const evaluation::DetectionResults& results, const std::string& source,
                     const EvalKwargs& kwargs, const std::vector<std::string>& metrics) {
  MMDET_ASSIGN_OR_RETURN(datasets::DatasetOptions options,
                         datasets::ResolveDatasetOptions(dataset_cfg, path));
  MMDET_ASSIGN_OR_RETURN(const datasets::CocoFile coco, datasets::LoadCocoFile(options.ann_file));
  MMDET_ASSIGN_OR_RETURN(const datasets::CocoLabelMap labels,
                         datasets::MakeLabelMap(coco, options.classes));
  const std::vector<int64_t> img_ids = evaluation::ImageIds(coco);
  if (absl::GetFlag(FLAGS_format_only) && std::is_same_v<DatasetConfig, config::CityscapesDataset>) {
    // CityscapesDataset.format_results: results2txt (txt + png per image).
    if (kwargs.outfile_prefix.empty()) {
      return absl::InvalidArgumentError(
          "--format-only of a cityscapes_dataset needs --options txtfile_prefix=DIR");
    }
    std::vector<std::string> filenames;
    for (const auto& image : coco.images) filenames.push_back(image.file_name);
    MMDET_ASSIGN_OR_RETURN(auto files, evaluation::CityscapesResultFiles(
                                           results, filenames, labels.classes,
                                           kwargs.outfile_prefix));
    std::cerr << "wrote " << files.size() << " prediction files to " << kwargs.outfile_prefix
              << "\n";
    return absl::OkStatus();
  }
  if (absl::GetFlag(FLAGS_format_only)) {
    if (kwargs.jsonfile_prefix.empty()) {
      return absl::InvalidArgumentError(
          "--format-only needs --options jsonfile_prefix=PREFIX (where to write the files)");
    }
    // CocoDataset.results2json: boxes -> .bbox.json; masks -> .bbox.json + .segm.json;
    // proposals -> .proposal.json.
    std::vector<std::string> kinds;
    if (results.kind == evaluation::DetectionResults::kProposals) {
      kinds = {"proposal"};
    } else if (results.kind == evaluation::DetectionResults::kMasks) {
      kinds = {"bbox", "segm"};
    } else {
      kinds = {"bbox"};
    }
    for (const std::string& kind : kinds) {
      MMDET_ASSIGN_OR_RETURN(std::string json, evaluation::ResultsToCocoJson(
                                                   results, img_ids, labels.cat_ids, kind, source));
      const std::string file = absl::StrCat(kwargs.jsonfile_prefix, ".", kind, ".json");
      MMDET_RETURN_IF_ERROR(WriteFileAtomically(file, json + "\n"));
      std::cerr << "wrote " << file << "\n";
    }
    return absl::OkStatus();
  }
  evaluation::CocoMetricOptions m;
  m.metrics = metrics;
  m.classwise = kwargs.classwise;
  m.proposal_nums = kwargs.proposal_nums;
  m.iou_thrs = kwargs.iou_thr;
  m.threads = absl::GetFlag(FLAGS_threads);
  evaluation::EvalOutput out;
  std::vector<std::string> coco_metrics;
  for (const std::string& metric : metrics) {
    if (metric != "cityscapes") coco_metrics.push_back(metric);
  }
  if (coco_metrics.size() != metrics.size()) {
    // CityscapesDataset._evaluate_cityscapes: cityscapesscripts' AP over the images' gtFine
    // instance ids (img_prefix with leftImg8bit -> gtFine), keys mAP and AP@50.
    if (!std::is_same_v<DatasetConfig, config::CityscapesDataset>) {
      return absl::InvalidArgumentError(
          "metric 'cityscapes' is only for cityscapes_dataset (allowed: bbox, segm, proposal, "
          "proposal_fast)");
    }
    std::vector<std::string> filenames;
    for (const auto& image : coco.images) filenames.push_back(image.file_name);
    const std::string gt_dir =
        absl::StrReplaceAll(options.img_prefix, {{"leftImg8bit", "gtFine"}});
    MMDET_ASSIGN_OR_RETURN(auto images, evaluation::CityscapesImages(results, filenames,
                                                                    labels.classes, gt_dir));
    const evaluation::CityscapesAp ap = evaluation::EvaluateCityscapes(images);
    absl::StrAppend(&out.log, "Evaluating in Cityscapes style\n",
                    evaluation::CityscapesTable(ap), "\n");
    out.values.push_back({"mAP", ap.all_ap, ""});
    out.values.push_back({"AP@50", ap.all_ap50, ""});
  }
  if (!coco_metrics.empty()) {
    m.metrics = coco_metrics;
    MMDET_ASSIGN_OR_RETURN(evaluation::EvalOutput coco_out,
                           evaluation::EvaluateCoco(results, coco, img_ids, labels.cat_ids,
                                                    labels.classes, m, source));
    out.log += coco_out.log;
    out.values.insert(out.values.end(), coco_out.values.begin(), coco_out.values.end());
  }
  std::cerr << out.log;
  std::cout << evaluation::MetricsToJson(out.values) << std::endl;
  return absl::OkStatus();
}

}  // namespace

absl::Status Run(const std::vector<std::string>& positional) {
  std::vector<std::string> args = positional;
  MMDET_ASSIGN_OR_RETURN(config::Config cfg, LoadToolConfig(&args));
  if (args.empty()) return absl::InvalidArgumentError("expected RESULT.pkl after CONFIG");
  const std::string result_file = args[0];
  args.erase(args.begin());
  MMDET_RETURN_IF_ERROR(NoExtraArgs(args));
  const std::vector<std::string> metrics = absl::GetFlag(FLAGS_eval);
  const bool format_only = absl::GetFlag(FLAGS_format_only);
  if (metrics.empty() && !format_only) {
    return absl::InvalidArgumentError(
        "specify at least one operation: --eval METRIC ... or --format-only");
  }
  if (!metrics.empty() && format_only) {
    return absl::InvalidArgumentError("--eval and --format-only cannot be both specified");
  }
  MMDET_ASSIGN_OR_RETURN(const EvalKwargs kwargs, ParseKwargs(EvalOptions()));
  MMDET_ASSIGN_OR_RETURN(const evaluation::DetectionResults results,
                         evaluation::LoadResultsPickle(result_file));
  const config::Dataset& test = cfg.data().test();
  if (test.has_coco_dataset()) {
    return RunCoco(test.coco_dataset(), "data.test.coco_dataset", results, result_file, kwargs,
                   metrics);
  }
  if (test.has_cityscapes_dataset()) {
    return RunCoco(test.cityscapes_dataset(), "data.test.cityscapes_dataset", results,
                   result_file, kwargs, metrics);
  }
  if (test.has_voc_dataset()) {
    if (format_only) {
      return absl::InvalidArgumentError("VOCDataset has no --format-only output (as MMDetection)");
    }
    MMDET_ASSIGN_OR_RETURN(const VocTestSet voc, LoadVocTestSet(cfg));
    evaluation::VocMetricOptions m;
    m.metrics = metrics;
    if (!kwargs.iou_thr.empty()) {
      m.iou_thr = kwargs.iou_thr[0];
      m.recall_iou_thrs = kwargs.iou_thr;
    }
    m.proposal_nums = kwargs.proposal_nums;
    m.scale_ranges = kwargs.scale_ranges;
    m.voc07 = voc.voc07;
    MMDET_ASSIGN_OR_RETURN(evaluation::EvalOutput out,
                           evaluation::EvaluateVoc(results, voc.annotations, voc.classes, m,
                                                   result_file));
    std::cerr << out.log;
    std::cout << evaluation::MetricsToJson(out.values) << std::endl;
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      "data.test: only coco_dataset, cityscapes_dataset and voc_dataset have metrics");
}

}  // namespace mmdet::tools

int main(int argc, char** argv) {
  std::vector<std::string> args = mmdet::tools::InitTool(
      {.usage = "eval_metric CONFIG RESULT.pkl [--eval METRIC ...] [--format-only] "
                "[--options KEY=VALUE ...] [--cfg-options KEY=VALUE ...]",
       .takes_config = true,
       .eval_options = true,
       .list_flags = {"eval"}},
      argc, argv);
  return mmdet::tools::RunTool(&mmdet::tools::Run, args);
}
