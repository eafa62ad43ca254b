// Tests a detector on a config's test set (MMDetection v2.0's tools/test.py):
//
//   test CONFIG CHECKPOINT [--out FILE.pkl|.pickle|.json|-] [--eval METRIC ...] [--format-only]
//        [--options KEY=VALUE ...] [--cfg-options KEY=VALUE ...] [--show] [--show-dir DIR]
//        [--show-score-thr 0.3] [--fuse-conv-bn] [--gpu-collect] [--tmpdir DIR]
//        [--launcher none|pytorch|slurm]
//
// The model is built from CONFIG (pretrained weights not loaded), CHECKPOINT's state_dict is
// loaded strictly, and data.test (test mode, one image per batch and process) goes through
// it (--fuse-conv-bn first folds each BatchNorm into its conv); class names come from the checkpoint's meta.CLASSES when present, else the dataset's.
// Then, on rank 0: --out writes the results (results.pkl as MMDetection's, .json as ours,
// "-" as JSON to stdout); --format-only writes the evaluation server's files
// (--options jsonfile_prefix=P: P.bbox.json, P.segm.json; txtfile_prefix= for Cityscapes);
// --eval prints pycocotools' summaries / the mAP tables on stderr and the metrics as one JSON
// object with MMDetection's keys on stdout (on stderr when --out - owns stdout); --show-dir
// writes every image drawn as MMDetection's show_result (boxes and masks scoring above
// --show-score-thr) and --show shows them one by one in a window (a key for the next; exit 2
// without a display). Distributed (tools/dist_test.sh, slurm_test.sh), each rank tests its
// share and the results reach rank 0 in dataset order through files in --tmpdir (default) or
// through c10d (--gpu-collect).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "mmdet/apis/inference.h"
#include "mmdet/apis/show_result.h"
#include "mmdet/apis/show_window.h"
#include "mmdet/apis/test.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/core/visualization.h"
#include "mmdet/datasets/dataset.h"
#include "mmdet/datasets/loader/data_loader.h"
#include "mmdet/datasets/pipelines/image_util.h"
#include "mmdet/datasets/pipelines/jpeg_decode.h"
#include "mmdet/evaluation/dataset_evaluation.h"
#include "mmdet/evaluation/dataset_metrics.h"
#include "mmdet/evaluation/results.h"
#include "mmdet/models/checkpoint/checkpoint.h"
#include "mmdet/models/detectors/detector.h"
#include "mmdet/runner/dist/collect_results.h"
#include "mmdet/runner/dist/init_dist.h"
#include "tools/common_flags.h"
#include "tools/inference_flags.h"
#include "tools/threads.h"
#include "tools/tool_main.h"
#include "torch/types.h"

ABSL_FLAG(std::string, out, "",
          "Write the results: FILE.pkl / FILE.pickle (MMDetection's results.pkl), FILE.json, "
          "or - (JSON on stdout).");
ABSL_FLAG(std::vector<std::string>, eval, {},
          "Metrics: bbox, segm, proposal, proposal_fast (COCO-style), cityscapes, mAP, recall "
          "(VOC).");
ABSL_FLAG(bool, format_only, false,
          "Write the evaluation server's files (--options jsonfile_prefix=P) instead of "
          "evaluating.");
ABSL_FLAG(bool, show, false, "Show each result in a window (needs a display).");
ABSL_FLAG(std::string, show_dir, "", "Write each image with its results drawn into DIR.");
ABSL_FLAG(double, show_score_thr, 0.3, "Draw detections scoring above this.");
ABSL_FLAG(bool, gpu_collect, false, "Distributed: gather the results through c10d.");
ABSL_FLAG(std::string, tmpdir, "",
          "Distributed: the folder for the ranks' result parts (default: a fresh one under "
          ".dist_test).");
ABSL_FLAG(std::string, launcher, "none", "Job launcher: none, pytorch or slurm.");
ABSL_FLAG(int, local_rank, -1, "Set by torch.distributed.launch.");

namespace mmdet::tools {
namespace {

// done/total, images/s and ETA on stderr: redrawn in place on a terminal, else a line every
// 10%.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled), tty_(isatty(2) != 0) {}
  void operator()(size_t done, size_t total) {
    if (!enabled_ || total == 0) return;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = elapsed > 0 ? done / elapsed : 0;
    const double eta = rate > 0 ? (total - done) / rate : 0;
    const std::string line = absl::StrFormat("[%d/%d] %.1f task/s, elapsed: %ds, ETA: %ds", done,
                                             total, rate, static_cast<int>(elapsed),
                                             static_cast<int>(eta));
    if (tty_) {
      std::cerr << "\r" << line << (done == total ? "\n" : "") << std::flush;
    } else if (done == total || done * 10 / total != last_decile_) {
      last_decile_ = done * 10 / total;
      std::cerr << line << "\n";
    }
  }

 private:
  bool enabled_, tty_;
  size_t last_decile_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

absl::Status Run(const std::vector<std::string>& positional) {
  std::vector<std::string> args = positional;
  MMDET_ASSIGN_OR_RETURN(config::Config cfg, LoadToolConfig(&args));
  if (args.empty()) return absl::InvalidArgumentError("expected CHECKPOINT after CONFIG");
  const std::string checkpoint = args[0];
  args.erase(args.begin());
  MMDET_RETURN_IF_ERROR(NoExtraArgs(args));

  const std::string out = absl::GetFlag(FLAGS_out);
  const std::vector<std::string> metrics = absl::GetFlag(FLAGS_eval);
  const bool format_only = absl::GetFlag(FLAGS_format_only);
  const std::string show_dir = absl::GetFlag(FLAGS_show_dir);
  const bool show = absl::GetFlag(FLAGS_show);
  if (out.empty() && metrics.empty() && !format_only && !show && show_dir.empty()) {
    return absl::InvalidArgumentError(
        "Please specify at least one operation (save/eval/format/show the results) with the "
        "argument \"--out\", \"--eval\", \"--format-only\", \"--show\" or \"--show-dir\"");
  }
  if (!metrics.empty() && format_only) {
    return absl::InvalidArgumentError("--eval and --format-only cannot be both specified");
  }
  if (!out.empty() && out != "-" && !absl::EndsWith(out, ".pkl") &&
      !absl::EndsWith(out, ".pickle") && !absl::EndsWith(out, ".json")) {
    return absl::InvalidArgumentError(
        "--out " + out + ": the output file must be a .pkl, .pickle or .json file (or - for stdout)");
  }
  if (show) {
    const absl::Status display = apis::CheckDisplay("write the pictures with --show-dir DIR");
    if (!display.ok()) return absl::FailedPreconditionError(absl::StrCat("--show: ", display.message()));
  }
  MMDET_ASSIGN_OR_RETURN(const evaluation::EvalKwargs kwargs,
                         evaluation::ParseEvalKwargs(EvalOptions(), "--options"));
  MMDET_ASSIGN_OR_RETURN(const config::Dataset test,
                         datasets::WithTestMode(cfg.data().test(), "data.test"));
  if (!metrics.empty()) MMDET_RETURN_IF_ERROR(evaluation::CheckMetrics(test, "data.test", metrics));

  MMDET_ASSIGN_OR_RETURN(runner::DistContext dc,
                         runner::InitDist(absl::GetFlag(FLAGS_launcher), cfg.dist_params(),
                                          absl::GetFlag(FLAGS_local_rank), 0));
  const int rank = dc.env.rank;

  MMDET_ASSIGN_OR_RETURN(std::shared_ptr<models::DetectorImpl> model, models::BuildDetector(cfg));
  MMDET_ASSIGN_OR_RETURN(models::Checkpoint ckpt, models::LoadCheckpointStrictly(*model, checkpoint));
  model->to(dc.device);
  MMDET_ASSIGN_OR_RETURN(const std::string applied, ApplyInferenceFlags(*model, dc.device));
  if (rank == 0 && !applied.empty()) std::cerr << applied << "\n";

  MMDET_ASSIGN_OR_RETURN(std::shared_ptr<datasets::Dataset> dataset,
                         datasets::BuildDataset(test, "data.test"));
  std::vector<std::string> classes = apis::CheckpointClasses(ckpt);
  if (classes.empty()) classes = dataset->classes();

  datasets::LoaderConfig lc;
  lc.imgs_per_gpu = 1;
  lc.workers_per_gpu = cfg.data().workers_per_gpu();
  lc.shuffle = false;
  lc.distributed = dc.env.distributed;
  lc.world_size = dc.env.world_size;
  lc.rank = rank;
  MMDET_ASSIGN_OR_RETURN(std::unique_ptr<datasets::DataLoader> loader,
                         datasets::BuildDataLoader(dataset, lc));
  Progress progress(rank == 0);
  MMDET_ASSIGN_OR_RETURN(apis::TestShard shard,
                         apis::TestLoader(*model, *loader, dc.device,
                                          [&](size_t done, size_t total) { progress(done, total); }));
  evaluation::DetectionResults results;
  if (dc.pg) {
    if (absl::GetFlag(FLAGS_gpu_collect)) {
      MMDET_ASSIGN_OR_RETURN(results, runner::CollectResults(*dc.pg, shard.results, shard.indices,
                                                             dataset->size()));
    } else {
      MMDET_ASSIGN_OR_RETURN(results, runner::CollectResultsThroughFiles(
                                          *dc.pg, shard.results, shard.indices, dataset->size(),
                                          absl::GetFlag(FLAGS_tmpdir)));
    }
    if (rank != 0) return absl::OkStatus();
  } else {
    MMDET_ASSIGN_OR_RETURN(results,
                           runner::MergeShards({std::move(shard.results)}, {shard.indices},
                                               dataset->size()));
  }

  if (!out.empty()) {
    if (out == "-") {
      std::cout << evaluation::ResultsToJson(results) << std::endl;
    } else if (absl::EndsWith(out, ".json")) {
      MMDET_RETURN_IF_ERROR(WriteFileAtomically(out, evaluation::ResultsToJson(results) + "\n"));
      std::cerr << "writing results to " << out << "\n";
    } else {
      MMDET_RETURN_IF_ERROR(evaluation::SaveResultsPickle(out, results));
      std::cerr << "writing results to " << out << "\n";
    }
  }
  if (format_only) {
    MMDET_ASSIGN_OR_RETURN(std::vector<std::string> files,
                           evaluation::FormatResults(test, "data.test", results, kwargs, checkpoint));
    for (const std::string& f : files) std::cerr << "wrote " << f << "\n";
  }
  if (!metrics.empty()) {
    MMDET_ASSIGN_OR_RETURN(evaluation::EvalOutput e,
                           evaluation::EvaluateDataset(test, "data.test", results, metrics, kwargs,
                                                       checkpoint, ToolThreads()));
    std::cerr << e.log;
    (out == "-" ? std::cerr : std::cout) << evaluation::MetricsToJson(e.values) << std::endl;
  }
  if (!show_dir.empty() || show) {
    MMDET_ASSIGN_OR_RETURN(const std::string prefix, datasets::DatasetImgPrefix(test, "data.test"));
    if (show) std::cerr << "Press any key for the next image\n";
    for (size_t i = 0; i < dataset->size(); ++i) {
      const std::string path = JoinPath(prefix, dataset->image_info(i).filename);
      auto read = datasets::ReadImage(path, datasets::kImreadColor);
      if (!read.ok()) return Annotate(read.status(), "the image to draw on");
      const cv::Mat image = *std::move(read);
      const cv::Mat drawn =
          apis::ShowResult(image, results, i, classes, absl::GetFlag(FLAGS_show_score_thr));
      if (!show_dir.empty()) {
        const std::string target = JoinPath(show_dir, dataset->image_info(i).filename);
        MMDET_RETURN_IF_ERROR(MakeDirs(target.substr(0, target.find_last_of('/'))));
        MMDET_RETURN_IF_ERROR(WriteImageAtomically(target, drawn));
      }
      if (show) MMDET_RETURN_IF_ERROR(apis::ShowInWindow("result", drawn, 0).status());
    }
    if (show) apis::CloseWindows();
    if (!show_dir.empty()) {
      std::cerr << "wrote " << dataset->size() << " pictures to " << show_dir << "\n";
    }
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace mmdet::tools

int main(int argc, char** argv) {
  std::vector<std::string> args = mmdet::tools::InitTool(
      {.usage = "test CONFIG CHECKPOINT [--out FILE] [--eval METRIC ...] [--format-only] "
                "[--options KEY=VALUE ...] [--cfg-options KEY=VALUE ...] [--show] "
                "[--show-dir DIR] [--show-score-thr 0.3] [--fuse-conv-bn] [--channels-last] [--winograd] "
                "[--bf16|--fp16] [--gpu-collect] [--tmpdir DIR] [--launcher none|pytorch|slurm] "
                "[--threads N]",
       .takes_config = true,
       .eval_options = true,
       .list_flags = {"eval"}},
      argc, argv);
  return mmdet::tools::RunTool(&mmdet::tools::Run, args);
}
