// MMDetection v2.0's tools/test_robustness.py: a detector tested on data.test corrupted by
// imagecorruptions' 19 corruptions at severities 0-5 (mmdet/datasets/corruptions).
//
//   bazel run //tools:test_robustness -- CONFIG CHECKPOINT [--out FILE.pkl]
//       [--corruptions benchmark|all|holdout|NAME ...] [--severities 0 1 2 3 4 5]
//       [--eval bbox segm proposal proposal_fast | mAP] [--iou-thr 0.5] [--workers N]
//       [--seed S] [--show-dir DIR] [--show-score-thr 0.3] [--frost-dir DIR]
//       [--final-prints P mPC rPC] [--final-prints-aggregate benchmark|all]
//       [--launcher none|pytorch|slurm] [--tmpdir DIR]
//
// For each corruption and severity (severity 0, the clean data, once, shared by all), a
// Corrupt transform goes right after image loading in data.test's pipeline, the model runs
// over the set (one image per batch, as test), FILE.pkl receives that run's raw results
// (MMDetection's results.pkl, overwritten by each run as MMDetection does) and
// FILE_results.pkl the evaluations so far: {corruption: {severity: {task: {AP, AP50, AP75,
// APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl}}}} (COCO; pycocotools' unrounded stats),
// {corruption: {severity: [per class {num_gts, num_dets, recall, precision, ap}]}} (VOC),
// written atomically after each run, so robustness_eval.py reads ours. A rerun skips the runs
// FILE_results.pkl already has (an interrupted run resumes). Without --out the files go to
// work_dirs/<config name>/robustness.pkl (MMDetection crashes instead) and the tool says so.
// At the end the P / mPC / rPC summary (--final-prints) is printed as robustness_eval prints
// it. Corruptions are seeded per image from (--seed, the image's file name), so a run is
// reproducible (unlike MMDetection's unseeded workers) and the same on any number of
// processes (TEST_BIN=.../test_robustness tools/dist_test.sh CONFIG CKPT N ...); tools:corrupt
// writes any image exactly as a run corrupts it.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "mmdet/apis/inference.h"
#include "mmdet/apis/show_result.h"
#include "mmdet/apis/test.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/pth/pth.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/core/visualization.h"
#include "mmdet/datasets/corruptions/corruptions.h"
#include "mmdet/datasets/dataset.h"
#include "mmdet/datasets/loader/data_loader.h"
#include "mmdet/datasets/pipelines/image_util.h"
#include "mmdet/evaluation/dataset_evaluation.h"
#include "mmdet/evaluation/results.h"
#include "mmdet/evaluation/robustness.h"
#include "mmdet/models/checkpoint/checkpoint.h"
#include "mmdet/models/detectors/detector.h"
#include "mmdet/runner/dist/collect_results.h"
#include "mmdet/runner/dist/init_dist.h"
#include "tools/common_flags.h"
#include "tools/inference_flags.h"
#include "tools/threads.h"
#include "tools/tool_main.h"
#include "torch/types.h"

ABSL_FLAG(std::string, out, "", "The raw results (.pkl); the evaluations go to <out>_results.pkl.");
ABSL_FLAG(std::vector<std::string>, corruptions, std::vector<std::string>({"benchmark"}),
          "benchmark, all, holdout, or corruption names.");
ABSL_FLAG(std::vector<std::string>, severities, std::vector<std::string>({"0", "1", "2", "3", "4", "5"}),
          "Severities to test (0 = clean).");
ABSL_FLAG(std::vector<std::string>, eval, {}, "bbox, segm, proposal, proposal_fast (COCO); bbox or mAP (VOC).");
ABSL_FLAG(double, iou_thr, 0.5, "VOC: the IoU threshold of mAP.");
ABSL_FLAG(int, workers, -1, "Loader threads (default: the config's workers_per_gpu).");
ABSL_FLAG(int, seed, 0, "Seed of the random corruptions.");
ABSL_FLAG(std::string, show_dir, "", "Write each corrupted image with its results to DIR/<corruption>/<severity>/.");
ABSL_FLAG(double, show_score_thr, 0.3, "Draw detections scoring above this.");
ABSL_FLAG(std::string, frost_dir, "", "Folder with imagecorruptions' frost images.");
ABSL_FLAG(std::vector<std::string>, final_prints, std::vector<std::string>({"mPC"}), "P, mPC and/or rPC.");
ABSL_FLAG(std::string, final_prints_aggregate, "benchmark", "benchmark or all.");
ABSL_FLAG(std::string, launcher, "none", "Job launcher: none, pytorch or slurm.");
ABSL_FLAG(int, local_rank, -1, "Set by torch.distributed.launch.");
ABSL_FLAG(std::string, tmpdir, "", "Distributed: the folder for the ranks' result parts.");

namespace mmdet::tools {
namespace {

std::string Stem(const std::string& path) {
  const std::string base = path.substr(path.find_last_of('/') + 1);
  return base.substr(0, base.find_last_of('.'));
}

// The VOC entry: per class {num_gts, num_dets, recall, precision, ap} (eval_map's list).
pth::Value VocEntry(const std::vector<evaluation::ClassMapResult>& classes) {
  pth::Value list = pth::Value::List();
  for (const evaluation::ClassMapResult& c : classes) {
    pth::Value d = pth::Value::Dict();
    d.Set("num_gts", pth::Value::Int(c.num_gts.empty() ? 0 : c.num_gts[0]));
    d.Set("num_dets", pth::Value::Int(c.num_dets));
    const std::vector<double> recall = c.recall.empty() ? std::vector<double>() : c.recall[0];
    const std::vector<float> precision = c.precision.empty() ? std::vector<float>() : c.precision[0];
    d.Set("recall", pth::Value::Tensor(torch::tensor(recall, torch::kFloat64).to(torch::kFloat32)));
    d.Set("precision", pth::Value::Tensor(torch::tensor(precision, torch::kFloat32)));
    d.Set("ap", pth::Value::Float(c.ap.empty() ? 0.0 : c.ap[0]));
    list.Append(std::move(d));
  }
  return list;
}

// The COCO entry: {task: {AP, ..., ARl}} for bbox / segm, the 12 stats for proposal.
pth::Value CocoEntry(const evaluation::EvalOutput& out) {
  static const char* kNames[12] = {"AP", "AP50", "AP75", "APs", "APm", "APl",
                                   "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"};
  pth::Value entry = pth::Value::Dict();
  for (const auto& [task, stats] : out.coco_stats) {
    if (task == "proposal") {
      entry.Set(task, pth::Value::Tensor(torch::tensor(std::vector<double>(stats.begin(), stats.end()), torch::kFloat64)));
      continue;
    }
    pth::Value metrics = pth::Value::Dict();
    for (int i = 0; i < 12; ++i) metrics.Set(kNames[i], pth::Value::Float(stats[i]));
    entry.Set(task, std::move(metrics));
  }
  return entry;
}

absl::Status Run(const std::vector<std::string>& positional) {
  std::vector<std::string> args = positional;
  MMDET_ASSIGN_OR_RETURN(config::Config cfg, LoadToolConfig(&args));
  if (args.size() != 1) return absl::InvalidArgumentError("expected CONFIG CHECKPOINT");
  const std::string checkpoint = args[0];
  MMDET_ASSIGN_OR_RETURN(const std::vector<std::string> corruptions,
                         datasets::ResolveCorruptions(absl::GetFlag(FLAGS_corruptions)));
  std::vector<int> severities;
  for (const std::string& s : absl::GetFlag(FLAGS_severities)) {
    int v = -1;
    if (!absl::SimpleAtoi(s, &v) || v < 0 || v > 5) {
      return absl::InvalidArgumentError("--severities " + s + ": expected 0 to 5");
    }
    severities.push_back(v);
  }
  MMDET_ASSIGN_OR_RETURN(const config::Dataset test,
                         datasets::WithTestMode(cfg.data().test(), "data.test"));
  const bool voc = test.has_voc_dataset();
  std::vector<std::string> metrics = absl::GetFlag(FLAGS_eval);
  if (voc) {
    for (std::string& m : metrics) {
      if (m == "bbox") m = "mAP";  // MMDetection's --eval bbox on VOC is eval_map
      if (m != "mAP") return absl::InvalidArgumentError("--eval " + m + ": only bbox (mAP) is supported for Pascal VOC");
    }
  }
  if (!metrics.empty()) MMDET_RETURN_IF_ERROR(evaluation::CheckMetrics(test, "data.test", metrics));
  std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) {
    out = JoinPath("work_dirs", JoinPath(Stem(positional[0]), "robustness.pkl"));
    std::cerr << "no --out: writing the results to " << out << "\n";
  }
  if (!absl::EndsWith(out, ".pkl") && !absl::EndsWith(out, ".pickle")) {
    return absl::InvalidArgumentError("--out " + out + ": the output file must be a .pkl or .pickle file");
  }
  const std::string results_file = out.substr(0, out.find_last_of('.')) + "_results" + out.substr(out.find_last_of('.'));
  MMDET_RETURN_IF_ERROR(MakeDirs(out.substr(0, out.find_last_of('/') == std::string::npos ? 0 : out.find_last_of('/'))));
  std::vector<std::string> kwarg_words;
  if (voc) kwarg_words.push_back(absl::StrCat("iou_thr=", absl::GetFlag(FLAGS_iou_thr)));
  MMDET_ASSIGN_OR_RETURN(const evaluation::EvalKwargs kwargs, evaluation::ParseEvalKwargs(kwarg_words, "--iou-thr"));

  MMDET_ASSIGN_OR_RETURN(runner::DistContext dc,
                         runner::InitDist(absl::GetFlag(FLAGS_launcher), cfg.dist_params(),
                                          absl::GetFlag(FLAGS_local_rank), 0));
  const int rank = dc.env.rank;
  MMDET_ASSIGN_OR_RETURN(std::shared_ptr<models::DetectorImpl> model, models::BuildDetector(cfg));
  MMDET_ASSIGN_OR_RETURN(models::Checkpoint ckpt, models::LoadCheckpointStrictly(*model, checkpoint));
  model->to(dc.device);
  MMDET_ASSIGN_OR_RETURN(const std::string applied, ApplyInferenceFlags(*model, dc.device));
  if (dc.env.rank == 0 && !applied.empty()) std::cerr << applied << "\n";

  // Resume: the evaluations already written.
  pth::Value aggregated = pth::Value::Dict();
  if (std::error_code ec; std::filesystem::exists(results_file, ec)) {
    MMDET_ASSIGN_OR_RETURN(aggregated, pth::LoadPickle(results_file));
    if (!aggregated.is_dict()) return absl::InvalidArgumentError(results_file + ": not a results file");
    if (rank == 0) std::cerr << "resuming from " << results_file << "\n";
  }
  datasets::CorruptOptions corrupt_options;
  corrupt_options.frost_dir = absl::GetFlag(FLAGS_frost_dir);
  const int seed = absl::GetFlag(FLAGS_seed);
  size_t total_runs = 0;
  for (size_t c = 0; c < corruptions.size(); ++c) {
    for (int s : severities) total_runs += (c > 0 && s == 0) ? 0 : 1;
  }
  size_t run = 0;
  const auto start = std::chrono::steady_clock::now();
  for (size_t c = 0; c < corruptions.size(); ++c) {
    const std::string& corruption = corruptions[c];
    if (aggregated.Find(corruption) == nullptr) aggregated.Set(corruption, pth::Value::Dict());
    for (int severity : severities) {
      pth::Value* per_corruption = aggregated.Find(corruption);
      if (c > 0 && severity == 0) {  // the clean data, evaluated once
        const pth::Value* first = aggregated.Find(corruptions[0]);
        const pth::Value* clean = first == nullptr ? nullptr : first->Find(int64_t{0});
        if (clean != nullptr) per_corruption->Set(pth::Value::Int(0), *clean);
        continue;
      }
      ++run;
      if (per_corruption->Find(int64_t{severity}) != nullptr) {
        if (rank == 0) std::cerr << "skipping " << corruption << " at severity " << severity << ": already in " << results_file << "\n";
        continue;
      }
      if (rank == 0) {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double eta = run > 1 ? elapsed / (run - 1) * (total_runs - run + 1) : 0;
        std::cerr << absl::StrFormat("\nTesting %s at severity %d [%d/%d runs, ETA %02d:%02d:%02d]\n",
                                     corruption, severity, run, total_runs, static_cast<int>(eta) / 3600,
                                     static_cast<int>(eta) / 60 % 60, static_cast<int>(eta) % 60);
      }
      config::Dataset run_cfg = test;
      if (severity > 0) {
        config::Transform t;
        t.mutable_corrupt()->set_corruption(corruption);
        t.mutable_corrupt()->set_severity(severity);
        t.mutable_corrupt()->set_frost_dir(corrupt_options.frost_dir);
        t.mutable_corrupt()->set_seed(static_cast<uint64_t>(seed));
        datasets::VisitFileDataset(&run_cfg, [&](auto& m) {
          auto* p = m.mutable_pipeline();
          p->Add()->CopyFrom(t);
          for (int i = p->size() - 1; i > 1; --i) p->SwapElements(i, i - 1);  // at index 1
        });
      }
      MMDET_ASSIGN_OR_RETURN(std::shared_ptr<datasets::Dataset> dataset, datasets::BuildDataset(run_cfg, "data.test"));
      datasets::LoaderConfig lc;
      lc.imgs_per_gpu = 1;
      lc.workers_per_gpu = absl::GetFlag(FLAGS_workers) >= 0 ? absl::GetFlag(FLAGS_workers) : cfg.data().workers_per_gpu();
      lc.shuffle = false;
      lc.distributed = dc.env.distributed;
      lc.world_size = dc.env.world_size;
      lc.rank = rank;
      lc.seed = static_cast<uint64_t>(seed);
      MMDET_ASSIGN_OR_RETURN(std::unique_ptr<datasets::DataLoader> loader, datasets::BuildDataLoader(dataset, lc));
      MMDET_ASSIGN_OR_RETURN(apis::TestShard shard, apis::TestLoader(*model, *loader, dc.device));
      evaluation::DetectionResults results;
      if (dc.pg) {
        MMDET_ASSIGN_OR_RETURN(results, runner::CollectResultsThroughFiles(*dc.pg, shard.results, shard.indices,
                                                                           dataset->size(), absl::GetFlag(FLAGS_tmpdir)));
        if (rank != 0) continue;
      } else {
        MMDET_ASSIGN_OR_RETURN(results, runner::MergeShards({std::move(shard.results)}, {shard.indices}, dataset->size()));
      }
      MMDET_RETURN_IF_ERROR(evaluation::SaveResultsPickle(out, results));
      if (!absl::GetFlag(FLAGS_show_dir).empty()) {
        std::vector<std::string> classes = apis::CheckpointClasses(ckpt);
        if (classes.empty()) classes = dataset->classes();
        MMDET_ASSIGN_OR_RETURN(const std::string prefix, datasets::DatasetImgPrefix(run_cfg, "data.test"));
        const std::string dir = JoinPath(absl::GetFlag(FLAGS_show_dir), JoinPath(corruption, std::to_string(severity)));
        for (size_t i = 0; i < dataset->size(); ++i) {
          const std::string path = JoinPath(prefix, dataset->image_info(i).filename);
          MMDET_ASSIGN_OR_RETURN(cv::Mat image, datasets::ReadImage(path, datasets::kImreadColor));
          if (severity > 0) {  // the same generator as the run's Corrupt transform
            datasets::CorruptionRng crng = datasets::MakeCorruptionRng(
                static_cast<uint64_t>(seed), datasets::CorruptionImageKey(dataset->image_info(i).filename),
                corruption, severity);
            MMDET_ASSIGN_OR_RETURN(image, datasets::Corrupt(image, corruption, severity, crng, corrupt_options));
          }
          const std::string target = JoinPath(dir, dataset->image_info(i).filename);
          MMDET_RETURN_IF_ERROR(MakeDirs(target.substr(0, target.find_last_of('/'))));
          MMDET_RETURN_IF_ERROR(WriteImageAtomically(
              target, apis::ShowResult(image, results, i, classes, absl::GetFlag(FLAGS_show_score_thr))));
        }
      }
      if (metrics.empty()) {
        std::cerr << "\nNo task was selected for evaluation;\nUse --eval to select a task\n";
        continue;
      }
      std::cerr << "Starting evaluate " << absl::StrJoin(metrics, " and ") << "\n";
      MMDET_ASSIGN_OR_RETURN(const evaluation::EvalOutput eval,
                             evaluation::EvaluateDataset(run_cfg, "data.test", results, metrics, kwargs,
                                                         checkpoint, ToolThreads()));
      std::cerr << eval.log;
      per_corruption->Set(pth::Value::Int(severity), voc ? VocEntry(eval.voc_classes) : CocoEntry(eval));
      MMDET_RETURN_IF_ERROR(pth::SavePickle(results_file, aggregated));
    }
  }
  if (rank != 0 || metrics.empty()) return absl::OkStatus();
  std::cout << "\nAggregated results:" << std::endl;
  evaluation::RobustnessPrintOptions o;
  o.dataset = voc ? "voc" : "coco";
  o.prints = absl::GetFlag(FLAGS_final_prints);
  o.aggregate = absl::GetFlag(FLAGS_final_prints_aggregate);
  o.tasks.clear();
  for (const std::string& m : metrics) {
    if (m == "bbox" || m == "segm") o.tasks.push_back(m);
  }
  if (o.tasks.empty()) o.tasks = {"bbox"};
  if (!voc && std::find(metrics.begin(), metrics.end(), "bbox") == metrics.end() &&
      std::find(metrics.begin(), metrics.end(), "segm") == metrics.end()) {
    return absl::OkStatus();  // proposals: no P / mPC summary
  }
  return evaluation::PrintRobustnessResults(aggregated, results_file, o, std::cout);
}

}  // namespace
}  // namespace mmdet::tools

int main(int argc, char** argv) {
  std::vector<std::string> args = mmdet::tools::InitTool(
      {.usage = "test_robustness CONFIG CHECKPOINT [--out FILE.pkl] [--corruptions benchmark|all|"
                "holdout|NAME ...] [--severities 0 1 2 3 4 5] [--eval bbox segm ...] [--iou-thr 0.5] "
                "[--workers N] [--seed S] [--show-dir DIR] [--frost-dir DIR] [--final-prints P mPC rPC] "
                "[--final-prints-aggregate benchmark|all] [--fuse-conv-bn] [--channels-last] [--winograd] "
                "[--bf16|--fp16] [--launcher none|pytorch|slurm]",
       .takes_config = true,
       .list_flags = {"corruptions", "severities", "eval", "final_prints"}},
      argc, argv);
  return mmdet::tools::RunTool(&mmdet::tools::Run, args);
}
