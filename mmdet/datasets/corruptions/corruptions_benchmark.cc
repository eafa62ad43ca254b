// Every corruption at 640x480 (severity 3), one 8-bit BGR image per iteration:
//   bazel run //mmdet/datasets/corruptions:corruptions_benchmark
// frost uses generated stand-in overlays (the timing does not depend on their content).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "mmdet/datasets/corruptions/corruptions.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace mmdet::datasets {
namespace {

cv::Mat Image() {
  cv::Mat img(480, 640, CV_8UC3);
  cv::randu(img, cv::Scalar(0, 0, 0), cv::Scalar(256, 256, 256));
  cv::GaussianBlur(img, img, {7, 7}, 3);
  return img;
}

std::string FrostDir() {
  const std::string dir = "/tmp/mmdet_corruptions_benchmark_frost";
  std::system(("mkdir -p " + dir).c_str());
  cv::Mat overlay(600, 900, CV_8UC3);
  cv::randu(overlay, cv::Scalar(0, 0, 0), cv::Scalar(256, 256, 256));
  for (const char* name : {"frost1.png", "frost2.png", "frost3.png", "frost4.jpg", "frost5.jpg"}) {
    cv::imwrite(dir + "/" + name, overlay);
  }
  return dir;
}

void BM_Corrupt(benchmark::State& state, const std::string& name) {
  static const cv::Mat img = Image();
  static const std::string frost = FrostDir();
  CorruptOptions options;
  options.frost_dir = frost;
  int64_t i = 0;
  for (auto _ : state) {
    CorruptionRng rng = MakeCorruptionRng(0, i++, name, 3);
    auto out = Corrupt(img, name, 3, rng, options);
    if (!out.ok()) state.SkipWithError(std::string(out.status().message()).c_str());
    benchmark::DoNotOptimize(out);
  }
}

int Register() {
  for (const std::string& name : CorruptionNames()) {
    benchmark::RegisterBenchmark(("BM_Corrupt/" + name).c_str(), BM_Corrupt, name)
        ->Unit(benchmark::kMillisecond);
  }
  return 0;
}
const int registered = Register();

}  // namespace
}  // namespace mmdet::datasets

BENCHMARK_MAIN();
