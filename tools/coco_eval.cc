// Evaluates saved COCO results without running a model (MMDetection v1's tools/coco_eval.py):
//
//   coco_eval RESULT_FILE --ann ANN.json [--types bbox segm proposal] [--max_dets 100 300 1000]
//             [--classwise] [--out STATS.json] [--threads N]
//
// RESULT_FILE is a COCO results JSON (the PREFIX.bbox.json / PREFIX.segm.json files
// MMDetection's --format-only writes, or any evaluation-server file), or a results.pkl as
// MMDetection's tools/test.py --out writes it, or our results.json (mmdet/evaluation/
// results.h); these are turned into that COCO JSON first, as MMDetection's evaluate does:
// image i is the annotation file's i-th image, label l its l-th category. `-` reads JSON
// from stdin, so `test CFG CKPT --out - | coco_eval - --ann ANN.json` composes. stdout gets, per
// type, pycocotools' 12 summary lines (and with --classwise MMDetection's per-category AP
// table); --out writes {"bbox": [12 stats], ...} at full precision. `proposal` evaluates the
// boxes class-agnostically at --max_dets (pycocotools with useCats = 0), as MMDetection does;
// `proposal_fast` is MMDetection's own recall (eval_recalls at IoU 0.50:0.95, AR@N lines).
#include <cmath>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "glog/logging.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/datasets/coco_api.h"
#include "mmdet/evaluation/coco_eval.h"
#include "mmdet/evaluation/coco_results.h"
#include "mmdet/evaluation/dataset_metrics.h"
#include "mmdet/evaluation/numpy_compat.h"
#include "mmdet/evaluation/recall.h"
#include "mmdet/evaluation/results.h"
#include "tools/tool_main.h"

ABSL_FLAG(std::string, ann, "", "COCO annotation file (the ground truth).");
ABSL_FLAG(std::vector<std::string>, types, std::vector<std::string>({"bbox"}),
          "Result types to evaluate: bbox, segm, proposal, proposal_fast.");
ABSL_FLAG(std::vector<std::string>, max_dets, std::vector<std::string>({"100", "300", "1000"}),
          "maxDets of the proposal evaluation (proposal numbers of proposal_fast).");
ABSL_FLAG(bool, classwise, false, "Also print the per-category AP table.");
ABSL_FLAG(std::string, out, "", "Write the stats of each type as JSON to this file.");
ABSL_FLAG(int, threads, static_cast<int>(std::thread::hardware_concurrency()),
          "Threads for the per-image evaluation.");

namespace mmdet::tools {
namespace {

using evaluation::CocoEval;
using evaluation::CocoEvalParams;

// MMDetection's CocoDataset.fast_eval_recall on a results file: each image's boxes (x1, y1,
// x + w, y + h as float32) in descending score order, the gts without crowd / ignore boxes,
// eval_recalls at IoU np.arange(0.5, 0.96, 0.05), averaged over the thresholds.
absl::StatusOr<std::vector<double>> ProposalFast(const std::string& text,
                                                 const std::string& source,
                                                 const datasets::CocoFile& coco,
                                                 const std::vector<int>& proposal_nums) {
  MMDET_ASSIGN_OR_RETURN(auto dts, evaluation::ParseCocoResults(text, source, coco,
                                                                CocoEvalParams::kBbox));
  const auto gts = evaluation::FastRecallGroundTruth(coco, evaluation::ImageIds(coco));
  std::vector<std::vector<evaluation::Proposal>> proposals(coco.images.size());
  for (const evaluation::CocoObject& d : dts) {
    const auto& b = d.bbox;
    proposals[coco.image_index.at(d.image_id)].push_back(
        {{static_cast<float>(b[0]), static_cast<float>(b[1]), static_cast<float>(b[0] + b[2]),
          static_cast<float>(b[1] + b[3])},
         static_cast<float>(d.score)});
  }
  const auto recalls = evaluation::EvalRecalls(gts, proposals, proposal_nums,
                                               evaluation::Arange(0.5, 0.96, 0.05));
  return evaluation::AverageRecalls(recalls);
}

// proposal_fast straight from a results.pkl: each image's proposals (an RPN's array, or a
// detector's boxes of every class) with their float32 values.
std::vector<double> ProposalFastFromPickle(const evaluation::DetectionResults& results,
                                           const datasets::CocoFile& coco,
                                           const std::vector<int>& proposal_nums) {
  return evaluation::AverageRecalls(evaluation::EvalRecalls(
      evaluation::FastRecallGroundTruth(coco, evaluation::ImageIds(coco)),
      evaluation::ResultsAsProposals(results), proposal_nums,
      evaluation::Arange(0.5, 0.96, 0.05)));
}

absl::StatusOr<std::string> ReadInput(const std::string& path) {
  if (path != "-") return ReadFile(path);
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  return text;
}

}  // namespace

absl::Status Run(const std::vector<std::string>& args) {
  if (args.empty()) return absl::InvalidArgumentError("expected RESULT_FILE (or - for stdin)");
  if (args.size() > 1) return absl::InvalidArgumentError("unexpected argument '" + args[1] + "'");
  const std::string ann = absl::GetFlag(FLAGS_ann);
  if (ann.empty()) return absl::InvalidArgumentError("--ann ANN.json is required");
  std::vector<int> max_dets;
  for (const std::string& m : absl::GetFlag(FLAGS_max_dets)) {
    int v = 0;
    if (!absl::SimpleAtoi(m, &v) || v <= 0) {
      return absl::InvalidArgumentError("--max_dets: '" + m + "' is not a positive integer");
    }
    max_dets.push_back(v);
  }
  const std::vector<std::string> types = absl::GetFlag(FLAGS_types);
  for (const std::string& type : types) {
    if (type != "bbox" && type != "segm" && type != "proposal" && type != "proposal_fast") {
      return absl::InvalidArgumentError("--types: unknown type '" + type +
                                        "' (allowed: bbox, segm, proposal, proposal_fast)");
    }
  }
  const std::string source = args[0] == "-" ? "<stdin>" : args[0];
  bool pickle = absl::EndsWith(args[0], ".pkl") || absl::EndsWith(args[0], ".pickle");
  const absl::Time start = absl::Now();
  std::string text;
  evaluation::DetectionResults pkl;
  if (pickle) {
    MMDET_ASSIGN_OR_RETURN(pkl, evaluation::LoadResultsPickle(args[0]));
  } else {
    MMDET_ASSIGN_OR_RETURN(text, ReadInput(args[0]));
    // Our results.json (an object; COCO results files are lists): the same route as a pkl.
    const size_t first = text.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && text[first] == '{') {
      MMDET_ASSIGN_OR_RETURN(pkl, evaluation::ParseResultsJson(text, source));
      pickle = true;
    }
  }
  MMDET_ASSIGN_OR_RETURN(const datasets::CocoFile coco, datasets::LoadCocoFile(ann));
  LOG(INFO) << "loaded " << ann << " (" << coco.images.size() << " images, "
            << coco.annotations.size() << " annotations) in "
            << absl::ToDoubleSeconds(absl::Now() - start) << " s";
  std::vector<std::string> json_parts;
  for (const std::string& type : types) {
    if (pickle && type != "proposal_fast") {
      // results2json, as MMDetection's evaluate does before loading the results.
      const std::string which = type == "segm" ? "segm"
                                : pkl.kind == evaluation::DetectionResults::kProposals
                                    ? "proposal"
                                    : "bbox";
      MMDET_ASSIGN_OR_RETURN(text, evaluation::ResultsToCocoJson(pkl, evaluation::ImageIds(coco),
                                                                 evaluation::CategoryIds(coco),
                                                                 which, source));
    }
    if (type == "proposal_fast") {
      std::vector<double> ar;
      if (pickle) {
        if (pkl.bboxes.size() != coco.images.size()) {
          return absl::InvalidArgumentError(absl::StrCat(source, ": ", pkl.bboxes.size(),
                                                         " images of results for ",
                                                         coco.images.size(), " images in ", ann));
        }
        ar = ProposalFastFromPickle(pkl, coco, max_dets);
      } else {
        MMDET_ASSIGN_OR_RETURN(ar, ProposalFast(text, source, coco, max_dets));
      }
      std::cout << "Evaluating proposal_fast\n";
      std::vector<std::string> values;
      for (size_t i = 0; i < max_dets.size(); ++i) {
        std::cout << absl::StrFormat("AR@%d\t= %.4f\n", max_dets[i], ar[i]);
        values.push_back(absl::StrFormat("%.17g", ar[i]));
      }
      json_parts.push_back(absl::StrCat("\"proposal_fast\": [", absl::StrJoin(values, ", "), "]"));
      continue;
    }
    const CocoEvalParams::IouType iou_type =
        type == "segm" ? CocoEvalParams::kSegm : CocoEvalParams::kBbox;
    absl::Time t0 = absl::Now();
    MMDET_ASSIGN_OR_RETURN(auto dts,
                           evaluation::ParseCocoResults(text, source, coco, iou_type));
    const double load_s = absl::ToDoubleSeconds(absl::Now() - t0);
    CocoEvalParams params = CocoEvalParams::Defaults(iou_type, evaluation::ImageIds(coco),
                                                     evaluation::CategoryIds(coco));
    if (type == "proposal") {
      params.use_cats = false;
      params.max_dets = max_dets;
      if (params.max_dets.size() < 3) {
        return absl::InvalidArgumentError("--max_dets: proposal evaluation needs three values");
      }
    }
    LOG(INFO) << "Evaluating " << type << " (" << dts.size() << " results)";
    CocoEval eval(evaluation::CocoGroundTruth(coco, iou_type), std::move(dts), params);
    t0 = absl::Now();
    eval.Evaluate(absl::GetFlag(FLAGS_threads));
    const double evaluate_s = absl::ToDoubleSeconds(absl::Now() - t0);
    t0 = absl::Now();
    eval.Accumulate(absl::GetFlag(FLAGS_threads));
    LOG(INFO) << type << ": results loaded in " << load_s << " s, evaluate " << evaluate_s
              << " s, accumulate " << absl::ToDoubleSeconds(absl::Now() - t0) << " s";
    std::vector<std::string> lines;
    const std::array<double, 12> stats = eval.Summarize(&lines);
    std::cout << "Evaluating " << type << "\n";
    for (const std::string& line : lines) std::cout << line << "\n";
    if (absl::GetFlag(FLAGS_classwise) && type != "proposal") {
      const auto names = evaluation::CategoryNames(coco, eval.params().cat_ids);
      std::cout << evaluation::ClasswiseTable(eval, names) << "\n";
    }
    std::vector<std::string> values;
    for (double v : stats) values.push_back(absl::StrFormat("%.17g", v));
    json_parts.push_back(absl::StrCat("\"", type, "\": [", absl::StrJoin(values, ", "), "]"));
  }
  std::cout.flush();
  const std::string out = absl::GetFlag(FLAGS_out);
  if (!out.empty()) {
    MMDET_RETURN_IF_ERROR(
        WriteFileAtomically(out, absl::StrCat("{", absl::StrJoin(json_parts, ", "), "}\n")));
  }
  return absl::OkStatus();
}

}  // namespace mmdet::tools

int main(int argc, char** argv) {
  std::vector<std::string> args = mmdet::tools::InitTool(
      {.usage = "coco_eval RESULT_FILE --ann ANN.json [--types bbox segm proposal proposal_fast] "
                "[--max_dets 100 300 1000] [--classwise] [--out STATS.json]",
       .list_flags = {"types", "max_dets"}},
      argc, argv);
  return mmdet::tools::RunTool(&mmdet::tools::Run, args);
}
