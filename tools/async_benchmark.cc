// MMDetection's tests/async_benchmark.py: the same image through the asynchronous API (a pool
// of --concurrency CUDA streams on a GPU, worker threads on the CPU) and through the
// synchronous one, --num-images times each, with both wall times.
//
//   bazel run //tools:async_benchmark -- CONFIG CHECKPOINT IMG [--device cuda:0]
//       [--num-images 20] [--concurrency 4] [--cfg-options KEY=VALUE ...]
//
// Prints (stdout):
//   async: 20 images in 3.210 s, 6.23 img/s (concurrency 4)
//   sync:  20 images in 4.020 s, 4.98 img/s
//   same results: yes
// One warm-up image runs first and is not timed.
#include <chrono>
#include <future>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_format.h"
#include "mmdet/apis/async_inference.h"
#include "mmdet/apis/inference.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/datasets/pipelines/image_util.h"
#include "tools/common_flags.h"
#include "tools/tool_main.h"
#include "torch/cuda.h"

ABSL_FLAG(std::string, device, "cuda:0", "Device: cpu, cuda or cuda:N.");
ABSL_FLAG(int, num_images, 20, "Images per mode.");
ABSL_FLAG(int, concurrency, 4, "Images in flight at once in the async mode (the stream queue size).");

namespace mmdet::tools {
namespace {

bool SameResults(const evaluation::DetectionResults& a, const evaluation::DetectionResults& b) {
  if (a.bboxes.size() != b.bboxes.size() || a.segms.size() != b.segms.size()) return false;
  for (size_t i = 0; i < a.bboxes.size(); ++i) {
    if (a.bboxes[i].size() != b.bboxes[i].size()) return false;
    for (size_t c = 0; c < a.bboxes[i].size(); ++c) {
      if (!torch::equal(a.bboxes[i][c], b.bboxes[i][c])) return false;
    }
  }
  for (size_t i = 0; i < a.segms.size(); ++i) {
    if (a.segms[i] != b.segms[i]) return false;
  }
  return true;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

absl::Status Run(const std::vector<std::string>& positional) {
  std::vector<std::string> args = positional;
  MMDET_ASSIGN_OR_RETURN(const config::Config cfg, LoadToolConfig(&args));
  if (args.size() != 2) return absl::InvalidArgumentError("expected CONFIG CHECKPOINT IMG");
  const int n = absl::GetFlag(FLAGS_num_images);
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  if (n < 1 || concurrency < 1) {
    return absl::InvalidArgumentError("--num-images and --concurrency must be at least 1");
  }
  MMDET_ASSIGN_OR_RETURN(std::shared_ptr<apis::Detector> detector,
                         apis::InitDetector(cfg, args[0], absl::GetFlag(FLAGS_device)));
  MMDET_ASSIGN_OR_RETURN(const cv::Mat image, datasets::ReadImage(args[1], datasets::kImreadColor));
  MMDET_ASSIGN_OR_RETURN(const evaluation::DetectionResults reference,
                         apis::InferenceDetector(*detector, image));  // warm-up
  const auto sync_devices = [&] {
    if (detector->device.is_cuda()) torch::cuda::synchronize();
  };

  bool same = true;
  apis::InferencePool pool(concurrency);
  auto start = std::chrono::steady_clock::now();
  std::vector<std::future<absl::StatusOr<evaluation::DetectionResults>>> futures;
  for (int i = 0; i < n; ++i) futures.push_back(apis::AsyncInferenceDetector(pool, *detector, image));
  for (auto& f : futures) {
    MMDET_ASSIGN_OR_RETURN(const evaluation::DetectionResults r, f.get());
    same = same && SameResults(r, reference);
  }
  sync_devices();
  const double async_s = Seconds(start);

  start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    MMDET_ASSIGN_OR_RETURN(const evaluation::DetectionResults r,
                           apis::InferenceDetector(*detector, image));
    same = same && SameResults(r, reference);
  }
  sync_devices();
  const double sync_s = Seconds(start);
  std::cout << absl::StrFormat("async: %d images in %.3f s, %.2f img/s (concurrency %d)\n", n,
                               async_s, n / async_s, concurrency)
            << absl::StrFormat("sync:  %d images in %.3f s, %.2f img/s\n", n, sync_s, n / sync_s)
            << "same results: " << (same ? "yes" : "NO") << std::endl;
  return same ? absl::OkStatus()
              : absl::InternalError("the async results differ from the sync ones");
}

}  // namespace
}  // namespace mmdet::tools

int main(int argc, char** argv) {
  std::vector<std::string> args = mmdet::tools::InitTool(
      {.usage = "async_benchmark CONFIG CHECKPOINT IMG [--device cuda:0] [--num-images 20] "
                "[--concurrency 4] [--cfg-options KEY=VALUE ...]",
       .takes_config = true},
      argc, argv);
  return mmdet::tools::RunTool(&mmdet::tools::Run, args);
}
