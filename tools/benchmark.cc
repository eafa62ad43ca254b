// MMDetection v2.1's tools/benchmark.py: pure inference speed over data.test (one image per
// batch, as test), in images per second.
//
//   bazel run //tools:benchmark -- CONFIG CHECKPOINT [--log-interval 50] [--num-images 2000]
//       [--fuse-conv-bn] [--device cuda:0] [--cfg-options KEY=VALUE ...]
//
// Each image's model call (simple_test with rescale, or aug_test) is timed alone, the device
// synchronised before and after, and the first 5 images are left out as warm-up; loading is
// not timed. Prints, as MMDetection:
//   Done image [50 / 2000], fps: 21.4 img / s
//   Overall fps: 21.4 img / s
// and then the end-to-end figure users compare too (loading, the model and copying the
// results back, over the same images):
//   Overall fps with data loading: 18.9 img / s
// It stops after --num-images images or at the end of data.test. (MMDetection adds the last
// image's time twice to its overall figure; this tool counts it once.)
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "mmdet/apis/inference.h"
#include "mmdet/apis/test.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/datasets/dataset.h"
#include "mmdet/datasets/loader/data_loader.h"
#include "tools/common_flags.h"
#include "tools/inference_flags.h"
#include "tools/tool_main.h"
#include "torch/cuda.h"

ABSL_FLAG(int, log_interval, 50, "Print the running fps every this many images.");
ABSL_FLAG(int, num_images, 2000, "Images to time (fewer when data.test is smaller).");
ABSL_FLAG(std::string, device, "cuda:0", "Device: cpu, cuda or cuda:N.");

namespace mmdet::tools {
namespace {

constexpr int kWarmup = 5;

absl::Status Run(const std::vector<std::string>& positional) {
  std::vector<std::string> args = positional;
  MMDET_ASSIGN_OR_RETURN(const config::Config cfg, LoadToolConfig(&args));
  if (args.size() != 1) return absl::InvalidArgumentError("expected CONFIG CHECKPOINT");
  const int num_images = absl::GetFlag(FLAGS_num_images);
  const int log_interval = absl::GetFlag(FLAGS_log_interval);
  if (num_images <= kWarmup) {
    return absl::InvalidArgumentError(absl::StrCat("--num-images must be above the ", kWarmup,
                                                   " warm-up images"));
  }
  if (log_interval < 1) return absl::InvalidArgumentError("--log-interval must be at least 1");
  MMDET_ASSIGN_OR_RETURN(std::shared_ptr<apis::Detector> detector,
                         apis::InitDetector(cfg, args[0], absl::GetFlag(FLAGS_device)));
  MMDET_ASSIGN_OR_RETURN(const std::string applied,
                         ApplyInferenceFlags(*detector->model, detector->device));
  if (!applied.empty()) std::cerr << applied << "\n";
  MMDET_ASSIGN_OR_RETURN(const config::Dataset test,
                         datasets::WithTestMode(cfg.data().test(), "data.test"));
  MMDET_ASSIGN_OR_RETURN(std::shared_ptr<datasets::Dataset> dataset,
                         datasets::BuildDataset(test, "data.test"));
  datasets::LoaderConfig lc;
  lc.imgs_per_gpu = 1;
  lc.workers_per_gpu = cfg.data().workers_per_gpu();
  lc.shuffle = false;
  MMDET_ASSIGN_OR_RETURN(std::unique_ptr<datasets::DataLoader> loader,
                         datasets::BuildDataLoader(dataset, lc));
  const bool cuda = detector->device.is_cuda();
  const auto sync = [cuda] {
    if (cuda) torch::cuda::synchronize();
  };
  using Clock = std::chrono::steady_clock;
  double pure = 0, end_to_end = 0;
  int done = 0;
  loader->StartEpoch(0);
  while (done < num_images) {
    const auto load_start = Clock::now();
    MMDET_ASSIGN_OR_RETURN(std::optional<std::vector<datasets::Batch>> views, loader->Next());
    if (!views) break;
    apis::PreparedImage prepared;
    for (const datasets::Batch& view : *views) {
      prepared.imgs.push_back(view.img);
      prepared.metas.push_back(view.img_metas.at(0));
    }
    sync();
    const auto start = Clock::now();
    MMDET_ASSIGN_OR_RETURN(const models::ImageResult out, apis::RunModel(*detector, prepared));
    sync();
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    evaluation::DetectionResults copied;  // the results back on the host, as test keeps them
    copied.kind = apis::ResultsKind(*detector->model);
    apis::AppendImageResult(out, &copied);
    const double total = std::chrono::duration<double>(Clock::now() - load_start).count();
    ++done;
    if (done <= kWarmup) continue;
    pure += elapsed;
    end_to_end += total;
    if (done % log_interval == 0) {
      std::cout << absl::StrFormat("Done image [%-3d/ %d], fps: %.1f img / s\n", done, num_images,
                                   (done - kWarmup) / pure)
                << std::flush;
    }
  }
  if (done <= kWarmup) {
    return absl::InvalidArgumentError(absl::StrCat("data.test has ", done, " images: more than ",
                                                   kWarmup, " are needed past the warm-up"));
  }
  std::cout << absl::StrFormat("Overall fps: %.1f img / s\n", (done - kWarmup) / pure)
            << absl::StrFormat("Overall fps with data loading: %.1f img / s\n",
                               (done - kWarmup) / end_to_end);
  return absl::OkStatus();
}

}  // namespace
}  // namespace mmdet::tools

int main(int argc, char** argv) {
  std::vector<std::string> args = mmdet::tools::InitTool(
      {.usage = "benchmark CONFIG CHECKPOINT [--log-interval 50] [--num-images 2000] "
                "[--fuse-conv-bn] [--channels-last] [--winograd] [--bf16|--fp16] [--device cuda:0] "
                "[--cfg-options KEY=VALUE ...]",
       .takes_config = true},
      argc, argv);
  return mmdet::tools::RunTool(&mmdet::tools::Run, args);
}
