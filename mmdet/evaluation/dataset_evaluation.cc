#include "mmdet/evaluation/dataset_evaluation.h"

#include <algorithm>
#include <type_traits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/datasets/coco_api.h"
#include "mmdet/datasets/dataset.h"
#include "mmdet/evaluation/cityscapes.h"
#include "mmdet/evaluation/coco_results.h"

namespace mmdet::evaluation {
namespace {

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

absl::StatusOr<std::vector<double>> Numbers(const std::string& flag, const std::string& word,
                                            const std::string& value) {
  std::vector<double> v;
  for (const std::string& w : ListWords(value)) {
    double d = 0;
    if (!absl::SimpleAtod(w, &d)) {
      return absl::InvalidArgumentError(absl::StrCat(flag, " ", word, ": '", w, "' is not a number"));
    }
    v.push_back(d);
  }
  return v;
}

struct CocoSide {
  datasets::DatasetOptions options;
  datasets::CocoFile coco;
  datasets::CocoLabelMap labels;
  std::vector<int64_t> img_ids;
  std::vector<std::string> filenames;
};

template <typename DatasetConfig>
absl::StatusOr<CocoSide> LoadCocoSide(const DatasetConfig& cfg, const std::string& path) {
  CocoSide side;
  MMDET_ASSIGN_OR_RETURN(side.options, datasets::ResolveDatasetOptions(cfg, path));
  MMDET_ASSIGN_OR_RETURN(side.coco, datasets::LoadCocoFile(side.options.ann_file));
  MMDET_ASSIGN_OR_RETURN(side.labels, datasets::MakeLabelMap(side.coco, side.options.classes));
  side.img_ids = ImageIds(side.coco);
  for (const auto& image : side.coco.images) side.filenames.push_back(image.file_name);
  return side;
}

absl::StatusOr<CocoSide> LoadCocoLike(const config::Dataset& dataset, const std::string& path) {
  if (dataset.has_coco_dataset()) return LoadCocoSide(dataset.coco_dataset(), path + ".coco_dataset");
  return LoadCocoSide(dataset.cityscapes_dataset(), path + ".cityscapes_dataset");
}

}  // namespace

absl::StatusOr<EvalKwargs> ParseEvalKwargs(const std::vector<std::string>& words,
                                           const std::string& flag) {
  EvalKwargs k;
  for (const std::string& word : words) {
    const size_t eq = word.find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(flag, " ", word, ": expected KEY=VALUE"));
    }
    const std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    if (key == "jsonfile_prefix") {
      k.jsonfile_prefix = value;
    } else if (key == "outfile_prefix" || key == "txtfile_prefix") {
      k.outfile_prefix = value;
    } else if (key == "classwise") {
      if (value != "True" && value != "False" && value != "true" && value != "false") {
        return absl::InvalidArgumentError(
            absl::StrCat(flag, " classwise=", value, ": expected True or False"));
      }
      k.classwise = value == "True" || value == "true";
    } else if (key == "iou_thr" || key == "iou_thrs") {
      MMDET_ASSIGN_OR_RETURN(k.iou_thr, Numbers(flag, word, value));
    } else if (key == "scale_ranges") {
      MMDET_ASSIGN_OR_RETURN(std::vector<double> v, Numbers(flag, word, value));
      if (v.empty() || v.size() % 2 != 0) {
        return absl::InvalidArgumentError(absl::StrCat(flag, " ", word, ": expected (min, max) pairs"));
      }
      for (size_t i = 0; i < v.size(); i += 2) k.scale_ranges.emplace_back(v[i], v[i + 1]);
    } else if (key == "proposal_nums") {
      k.proposal_nums.clear();
      for (const std::string& w : ListWords(value)) {
        int v = 0;
        if (!absl::SimpleAtoi(w, &v) || v <= 0) {
          return absl::InvalidArgumentError(
              absl::StrCat(flag, " ", word, ": '", w, "' is not a positive integer"));
        }
        k.proposal_nums.push_back(v);
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          flag, " ", word,
          ": unknown evaluation argument (allowed: jsonfile_prefix, outfile_prefix, "
          "txtfile_prefix, classwise, iou_thr, proposal_nums, scale_ranges)"));
    }
  }
  return k;
}

absl::StatusOr<VocTestSet> LoadVocTestSet(const config::Dataset& dataset, const std::string& path) {
  if (!dataset.has_voc_dataset()) return absl::InvalidArgumentError(path + ": expected a voc_dataset");
  config::Dataset voc = dataset;
  voc.mutable_voc_dataset()->set_test_mode(true);
  MMDET_ASSIGN_OR_RETURN(auto built, datasets::BuildDataset(voc, path));
  VocTestSet set;
  for (size_t i = 0; i < built->size(); ++i) {
    MMDET_ASSIGN_OR_RETURN(datasets::AnnInfo a, built->ann_info(i));
    set.annotations.push_back(std::move(a));
  }
  set.classes = built->classes();
  set.voc07 = absl::StrContains(voc.voc_dataset().img_prefix(), "VOC2007");
  return set;
}

std::vector<std::string> AllowedMetrics(const config::Dataset& dataset) {
  if (dataset.has_voc_dataset()) return {"mAP", "recall"};
  if (dataset.has_cityscapes_dataset()) return {"bbox", "segm", "proposal", "proposal_fast", "cityscapes"};
  if (dataset.has_coco_dataset()) return {"bbox", "segm", "proposal", "proposal_fast"};
  return {};
}

absl::Status CheckMetrics(const config::Dataset& dataset, const std::string& path,
                          const std::vector<std::string>& metrics) {
  const std::vector<std::string> allowed = AllowedMetrics(dataset);
  if (allowed.empty()) {
    return absl::InvalidArgumentError(
        path + ": only coco_dataset, cityscapes_dataset and voc_dataset have metrics");
  }
  for (const std::string& metric : metrics) {
    if (std::find(allowed.begin(), allowed.end(), metric) == allowed.end()) {
      return absl::InvalidArgumentError(absl::StrCat("metric '", metric, "' is not supported by ",
                                                     path, " (allowed: ",
                                                     absl::StrJoin(allowed, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<EvalOutput> EvaluateDataset(const config::Dataset& dataset, const std::string& path,
                                           const DetectionResults& results,
                                           const std::vector<std::string>& metrics,
                                           const EvalKwargs& kwargs, const std::string& source,
                                           int threads) {
  MMDET_RETURN_IF_ERROR(CheckMetrics(dataset, path, metrics));
  if (dataset.has_voc_dataset()) {
    MMDET_ASSIGN_OR_RETURN(const VocTestSet voc, LoadVocTestSet(dataset, path));
    VocMetricOptions m;
    m.metrics = metrics;
    if (!kwargs.iou_thr.empty()) {
      m.iou_thr = kwargs.iou_thr[0];
      m.recall_iou_thrs = kwargs.iou_thr;
    }
    m.proposal_nums = kwargs.proposal_nums;
    m.scale_ranges = kwargs.scale_ranges;
    m.voc07 = voc.voc07;
    return EvaluateVoc(results, voc.annotations, voc.classes, m, source);
  }
  MMDET_ASSIGN_OR_RETURN(const CocoSide side, LoadCocoLike(dataset, path));
  EvalOutput out;
  std::vector<std::string> coco_metrics;
  for (const std::string& metric : metrics) {
    if (metric != "cityscapes") coco_metrics.push_back(metric);
  }
  if (coco_metrics.size() != metrics.size()) {
    // CityscapesDataset._evaluate_cityscapes: cityscapesscripts' AP over the images' gtFine
    // instance ids (img_prefix with leftImg8bit -> gtFine), keys mAP and AP@50.
    const std::string gt_dir =
        absl::StrReplaceAll(side.options.img_prefix, {{"leftImg8bit", "gtFine"}});
    MMDET_ASSIGN_OR_RETURN(auto images, CityscapesImages(results, side.filenames,
                                                         side.labels.classes, gt_dir));
    const CityscapesAp ap = EvaluateCityscapes(images);
    absl::StrAppend(&out.log, "Evaluating in Cityscapes style\n", CityscapesTable(ap), "\n");
    out.values.push_back({"mAP", ap.all_ap, ""});
    out.values.push_back({"AP@50", ap.all_ap50, ""});
  }
  if (!coco_metrics.empty()) {
    CocoMetricOptions m;
    m.metrics = coco_metrics;
    m.classwise = kwargs.classwise;
    m.proposal_nums = kwargs.proposal_nums;
    m.iou_thrs = kwargs.iou_thr;
    m.threads = threads;
    MMDET_ASSIGN_OR_RETURN(EvalOutput coco_out,
                           EvaluateCoco(results, side.coco, side.img_ids, side.labels.cat_ids,
                                        side.labels.classes, m, source));
    out.log += coco_out.log;
    out.values.insert(out.values.end(), coco_out.values.begin(), coco_out.values.end());
    out.coco_stats = coco_out.coco_stats;
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> FormatResults(const config::Dataset& dataset,
                                                       const std::string& path,
                                                       const DetectionResults& results,
                                                       const EvalKwargs& kwargs,
                                                       const std::string& source) {
  if (dataset.has_voc_dataset()) {
    return absl::InvalidArgumentError("VOCDataset has no --format-only output (as MMDetection)");
  }
  if (!dataset.has_coco_dataset() && !dataset.has_cityscapes_dataset()) {
    return absl::InvalidArgumentError(
        path + ": only coco_dataset and cityscapes_dataset can format results");
  }
  MMDET_ASSIGN_OR_RETURN(const CocoSide side, LoadCocoLike(dataset, path));
  if (dataset.has_cityscapes_dataset()) {
    // CityscapesDataset.format_results: results2txt (txt + png per image).
    if (kwargs.outfile_prefix.empty()) {
      return absl::InvalidArgumentError(
          "--format-only of a cityscapes_dataset needs --options txtfile_prefix=DIR");
    }
    return CityscapesResultFiles(results, side.filenames, side.labels.classes,
                                 kwargs.outfile_prefix);
  }
  if (kwargs.jsonfile_prefix.empty()) {
    return absl::InvalidArgumentError(
        "--format-only needs --options jsonfile_prefix=PREFIX (where to write the files)");
  }
  // CocoDataset.results2json: boxes -> .bbox.json; masks -> .bbox.json + .segm.json;
  // proposals -> .proposal.json.
  std::vector<std::string> kinds;
  if (results.kind == DetectionResults::kProposals) {
    kinds = {"proposal"};
  } else if (results.kind == DetectionResults::kMasks) {
    kinds = {"bbox", "segm"};
  } else {
    kinds = {"bbox"};
  }
  std::vector<std::string> files;
  for (const std::string& kind : kinds) {
    MMDET_ASSIGN_OR_RETURN(std::string json, ResultsToCocoJson(results, side.img_ids,
                                                               side.labels.cat_ids, kind, source));
    const std::string file = absl::StrCat(kwargs.jsonfile_prefix, ".", kind, ".json");
    MMDET_RETURN_IF_ERROR(WriteFileAtomically(file, json + "\n"));
    files.push_back(file);
  }
  return files;
}

}  // namespace mmdet::evaluation
