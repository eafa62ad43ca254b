#include "mmdet/evaluation/dataset_metrics.h"

#include <cmath>
#include <cstdlib>

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "mmdet/core/json_writer.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/evaluation/ascii_table.h"
#include "mmdet/evaluation/coco_eval.h"
#include "mmdet/evaluation/coco_results.h"
#include "mmdet/evaluation/mean_ap.h"
#include "mmdet/evaluation/numpy_compat.h"
#include "mmdet/evaluation/recall.h"

namespace mmdet::evaluation {
namespace {

// float(f'{v:.3f}').
double Round3(double v) { return std::strtod(absl::StrFormat("%.3f", v).c_str(), nullptr); }

// As Python's json.dumps / str writes a float (MMDetection's metric values are floats:
// -1.0, 0.0, 0.255).
std::string JsonNumber(double v) { return PythonJsonFloat(v); }



}  // namespace

std::vector<std::vector<FloatBox>> FastRecallGroundTruth(const datasets::CocoFile& coco,
                                                         const std::vector<int64_t>& img_ids) {
  std::vector<std::vector<FloatBox>> gts;
  for (int64_t id : img_ids) {
    std::vector<FloatBox> boxes;
    auto it = coco.image_index.find(id);
    if (it != coco.image_index.end()) {
      for (size_t a : coco.image_annotations[it->second]) {
        const datasets::CocoAnnotation& ann = coco.annotations[a];
        if (ann.ignore || ann.iscrowd) continue;
        const auto& b = ann.bbox;
        boxes.push_back({static_cast<float>(b[0]), static_cast<float>(b[1]),
                         static_cast<float>(b[0] + b[2]), static_cast<float>(b[1] + b[3])});
      }
    }
    gts.push_back(std::move(boxes));
  }
  return gts;
}

std::vector<std::vector<Proposal>> ResultsAsProposals(const DetectionResults& results) {
  std::vector<std::vector<Proposal>> proposals(results.bboxes.size());
  for (size_t i = 0; i < results.bboxes.size(); ++i) {
    for (const at::Tensor& t : results.bboxes[i]) {
      const float* p = t.data_ptr<float>();
      for (int64_t k = 0; k < t.size(0); ++k) {
        proposals[i].push_back({{p[k * 5], p[k * 5 + 1], p[k * 5 + 2], p[k * 5 + 3]}, p[k * 5 + 4]});
      }
    }
  }
  return proposals;
}

std::vector<std::string> CategoryNames(const datasets::CocoFile& coco,
                                       const std::vector<int64_t>& cat_ids) {
  std::vector<std::string> names;
  for (int64_t id : cat_ids) {
    std::string name = absl::StrCat(id);
    for (const auto& c : coco.categories) {
      if (c.id == id) name = c.name;
    }
    names.push_back(name);
  }
  return names;
}

std::string ClasswiseTable(const CocoEval& eval, const std::vector<std::string>& names) {
  const CocoEvalParams& p = eval.params();
  std::vector<std::string> flat;
  for (size_t k = 0; k < p.cat_ids.size(); ++k) {
    std::vector<double> values;
    for (size_t t = 0; t < p.iou_thrs.size(); ++t) {
      for (size_t r = 0; r < p.rec_thrs.size(); ++r) {
        const double v = eval.Precision(t, r, k, 0, p.max_dets.size() - 1);
        if (v > -1) values.push_back(v);
      }
    }
    const double ap = values.empty() ? NAN : Mean(values);
    flat.push_back(k < names.size() ? names[k] : absl::StrCat(p.cat_ids[k]));
    flat.push_back(std::isnan(ap) ? "nan" : absl::StrFormat("%0.3f", ap));
  }
  const size_t columns = std::min<size_t>(6, flat.size());
  std::vector<std::vector<std::string>> rows(1);
  for (size_t c = 0; c < columns / 2; ++c) {
    rows[0].push_back("category");
    rows[0].push_back("AP");
  }
  for (size_t i = 0; i < flat.size(); i += columns) {
    rows.emplace_back(flat.begin() + i, flat.begin() + std::min(flat.size(), i + columns));
  }
  return AsciiTable(rows);
}

std::string MetricsToJson(const std::vector<MetricValue>& values) {
  std::vector<std::string> parts;
  for (const MetricValue& v : values) {
    parts.push_back(absl::StrCat("\"", v.key, "\": ",
                                 v.text.empty() ? JsonNumber(v.number)
                                                : absl::StrCat("\"", v.text, "\"")));
  }
  return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
}

absl::StatusOr<EvalOutput> EvaluateCoco(const DetectionResults& results,
                                        const datasets::CocoFile& coco,
                                        const std::vector<int64_t>& img_ids,
                                        const std::vector<int64_t>& cat_ids,
                                        const std::vector<std::string>& class_names,
                                        const CocoMetricOptions& options,
                                        const std::string& source) {
  EvalOutput out;
  if (results.bboxes.size() != img_ids.size()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", results.bboxes.size(),
                                                   " images of results for a dataset of ",
                                                   img_ids.size()));
  }
  for (const std::string& metric : options.metrics) {
    absl::StrAppend(&out.log, "Evaluating ", metric, "...\n");
    if (metric == "proposal_fast") {
      const auto gts = FastRecallGroundTruth(coco, img_ids);
      const std::vector<double> thrs =
          options.iou_thrs.empty() ? Arange(0.5, 0.96, 0.05) : options.iou_thrs;
      const std::vector<double> ar = AverageRecalls(
          EvalRecalls(gts, ResultsAsProposals(results), options.proposal_nums, thrs));
      for (size_t i = 0; i < ar.size(); ++i) {
        out.values.push_back({absl::StrCat("AR@", options.proposal_nums[i]), ar[i], ""});
        absl::StrAppend(&out.log, "\nAR@", options.proposal_nums[i], "\t", absl::StrFormat("%.4f", ar[i]));
      }
      absl::StrAppend(&out.log, "\n");
      continue;
    }
    if (metric != "bbox" && metric != "segm" && metric != "proposal") {
      return absl::InvalidArgumentError(absl::StrCat(
          "metric '", metric, "' is not supported (allowed: bbox, segm, proposal, proposal_fast)"));
    }
    const std::string which = metric == "segm"                                    ? "segm"
                              : results.kind == DetectionResults::kProposals ? "proposal"
                                                                                  : "bbox";
    MMDET_ASSIGN_OR_RETURN(std::string json,
                           ResultsToCocoJson(results, img_ids, cat_ids, which, source));
    const CocoEvalParams::IouType type =
        metric == "segm" ? CocoEvalParams::kSegm : CocoEvalParams::kBbox;
    MMDET_ASSIGN_OR_RETURN(auto dts, ParseCocoResults(json, source, coco, type));
    if (dts.empty()) {
      absl::StrAppend(&out.log, "The testing results of the whole dataset is empty.\n");
      break;
    }
    CocoEvalParams params = CocoEvalParams::Defaults(type, img_ids, cat_ids);
    if (metric == "proposal") {
      params.use_cats = false;
      params.max_dets = options.proposal_nums;
    }
    CocoEval eval(CocoGroundTruth(coco, type), std::move(dts), params);
    eval.Evaluate(options.threads);
    eval.Accumulate(options.threads);
    std::vector<std::string> lines;
    const std::array<double, 12> stats = eval.Summarize(&lines);
    for (const std::string& line : lines) absl::StrAppend(&out.log, line, "\n");
    out.coco_stats.emplace_back(metric, stats);
    if (metric == "proposal") {
      const char* items[] = {"AR@100", "AR@300", "AR@1000", "AR_s@1000", "AR_m@1000", "AR_l@1000"};
      for (int i = 0; i < 6; ++i) out.values.push_back({items[i], Round3(stats[i + 6]), ""});
      continue;
    }
    if (options.classwise) {
      // Names in the sorted category order COCOeval uses.
      const std::vector<std::string> names = CategoryNames(coco, eval.params().cat_ids);
      absl::StrAppend(&out.log, "\n", ClasswiseTable(eval, names), "\n");
    }
    const char* items[] = {"mAP", "mAP_50", "mAP_75", "mAP_s", "mAP_m", "mAP_l"};
    std::vector<std::string> copy;
    for (int i = 0; i < 6; ++i) {
      out.values.push_back({absl::StrCat(metric, "_", items[i]), Round3(stats[i]), ""});
      copy.push_back(absl::StrFormat("%.3f", stats[i]));
    }
    out.values.push_back({absl::StrCat(metric, "_mAP_copypaste"), 0, absl::StrJoin(copy, " ")});
  }
  return out;
}

absl::StatusOr<EvalOutput> EvaluateVoc(const DetectionResults& results,
                                       const std::vector<datasets::AnnInfo>& annotations,
                                       const std::vector<std::string>& class_names,
                                       const VocMetricOptions& options,
                                       const std::string& source) {
  EvalOutput out;
  if (results.bboxes.size() != annotations.size()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", results.bboxes.size(),
                                                   " images of results for a dataset of ",
                                                   annotations.size()));
  }
  for (const std::string& metric : options.metrics) {
    if (metric == "mAP") {
      if (results.kind == DetectionResults::kProposals) {
        return absl::InvalidArgumentError(absl::StrCat(source, ": mAP needs per-class results"));
      }
      std::vector<std::vector<std::vector<Detection>>> dets(results.bboxes.size());
      for (size_t i = 0; i < results.bboxes.size(); ++i) {
        if (results.bboxes[i].size() != class_names.size()) {
          return absl::InvalidArgumentError(absl::StrCat(
              source, ": [", i, "] has ", results.bboxes[i].size(), " classes but the dataset has ",
              class_names.size()));
        }
        for (const at::Tensor& t : results.bboxes[i]) {
          std::vector<Detection> d;
          const float* p = t.data_ptr<float>();
          for (int64_t k = 0; k < t.size(0); ++k) {
            d.push_back({{p[k * 5], p[k * 5 + 1], p[k * 5 + 2], p[k * 5 + 3]}, p[k * 5 + 4]});
          }
          dets[i].push_back(std::move(d));
        }
      }
      std::vector<MapAnnotation> anns;
      for (const datasets::AnnInfo& a : annotations) {
        anns.push_back({a.bboxes, a.labels, a.bboxes_ignore, a.labels_ignore});
      }
      MapOptions map_options;
      map_options.iou_thr = options.iou_thr;
      map_options.voc07 = options.voc07;
      map_options.scale_ranges = options.scale_ranges;
      const MeanApResult r = EvalMap(dets, anns, map_options);
      out.voc_classes = r.classes;
      for (size_t k = 0; k < r.mean_ap.size(); ++k) {
        if (!options.scale_ranges.empty()) {
          const auto& [lo, hi] = options.scale_ranges[k];
          absl::StrAppend(&out.log, "Scale range (", lo * lo, ", ", hi * hi, ")\n");
        }
        absl::StrAppend(&out.log, "\n", MapSummaryTable(r, class_names, k), "\n");
      }
      out.values.push_back({"mAP", static_cast<double>(r.mean_ap[0]), ""});
      for (size_t k = 0; k < options.scale_ranges.size(); ++k) {
        out.values.push_back({absl::StrCat("mAP@", options.scale_ranges[k].first, "-",
                                           options.scale_ranges[k].second),
                              static_cast<double>(r.mean_ap[k]), ""});
      }
    } else if (metric == "recall") {
      std::vector<std::vector<FloatBox>> gts;
      for (const datasets::AnnInfo& a : annotations) gts.push_back(a.bboxes);
      const auto recalls = EvalRecalls(gts, ResultsAsProposals(results), options.proposal_nums,
                                       options.recall_iou_thrs);
      for (size_t i = 0; i < options.proposal_nums.size(); ++i) {
        for (size_t j = 0; j < options.recall_iou_thrs.size(); ++j) {
          out.values.push_back({absl::StrCat("recall@", options.proposal_nums[i], "@",
                                             JsonNumber(options.recall_iou_thrs[j])),
                                recalls[i][j], ""});
        }
      }
      if (options.recall_iou_thrs.size() > 1) {
        const auto ar = AverageRecalls(recalls);
        for (size_t i = 0; i < ar.size(); ++i) {
          out.values.push_back({absl::StrCat("AR@", options.proposal_nums[i]), ar[i], ""});
        }
      }
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("metric '", metric, "' is not supported (allowed: mAP, recall)"));
    }
  }
  return out;
}

}  // namespace mmdet::evaluation
