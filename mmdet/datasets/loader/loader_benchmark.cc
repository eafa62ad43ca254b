// Loader throughput: images/s of MMDetection's default Faster R-CNN train pipeline
// (LoadImageFromFile, LoadAnnotations, Resize to 1333x800 keep_ratio, RandomFlip 0.5,
// Normalize, Pad 32, DefaultFormatBundle, Collect) over generated 640x480 JPEGs (COCO's
// typical size), 2 images per batch, with 1, 2 and 4 worker threads (and 2 with OpenCV's JPEG
// decoding); BM_ReadImage: the image read + decode alone, TurboJPEG against cv::imread:
//   bazel run //mmdet/datasets/loader:loader_benchmark
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/text_format.h"
#include "mmdet/core/file_io.h"
#include "mmdet/datasets/dataset.h"
#include "mmdet/datasets/loader/data_loader.h"
#include "mmdet/datasets/pipelines/image_util.h"
#include "mmdet/datasets/pipelines/jpeg_decode.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace mmdet::datasets {
namespace {

constexpr int kImages = 32;

// Writes kImages textured 640x480 JPEGs with five boxes each and their COCO JSON; returns
// the folder.
std::string MakeImages() {
  const std::string dir =
      (std::filesystem::temp_directory_path() / "mmdet_loader_benchmark").string();
  std::filesystem::create_directories(dir);
  std::mt19937 rng(0);
  std::string images, annotations;
  for (int i = 0; i < kImages; ++i) {
    cv::Mat img(480, 640, CV_8UC3);
    cv::randu(img, cv::Scalar::all(0), cv::Scalar::all(255));
    cv::GaussianBlur(img, img, cv::Size(5, 5), 2);
    const std::string name = absl::StrFormat("%012d.jpg", i);
    for (int a = 0; a < 5; ++a) {
      const int x = rng() % 500, y = rng() % 350, w = 20 + rng() % 120, h = 20 + rng() % 120;
      cv::rectangle(img, cv::Rect(x, y, w, h), cv::Scalar(rng() % 255, rng() % 255, 90),
                    cv::FILLED);
      absl::StrAppend(&annotations, annotations.empty() ? "" : ", ",
                      absl::StrFormat("{\"id\": %d, \"image_id\": %d, \"category_id\": %d, "
                                      "\"bbox\": [%d, %d, %d, %d], \"area\": %d, \"iscrowd\": 0}",
                                      i * 5 + a + 1, i + 1, a % 3 + 1, x, y, w, h, w * h));
    }
    cv::imwrite(dir + "/" + name, img, {cv::IMWRITE_JPEG_QUALITY, 90});
    absl::StrAppend(&images, i ? ", " : "",
                    absl::StrFormat("{\"id\": %d, \"file_name\": \"%s\", \"width\": 640, "
                                    "\"height\": 480}",
                                    i + 1, name));
  }
  const std::string json = absl::StrCat(
      "{\"images\": [", images, "], \"annotations\": [", annotations,
      "], \"categories\": [{\"id\": 1, \"name\": \"a\"}, {\"id\": 2, \"name\": \"b\"}, "
      "{\"id\": 3, \"name\": \"c\"}]}");
  if (!WriteFileAtomically(dir + "/train.json", json).ok()) std::abort();
  return dir;
}

std::shared_ptr<Dataset> FasterRcnnTrainDataset() {
  static const std::string dir = MakeImages();
  config::Dataset cfg;
  const std::string text = absl::StrCat("coco_dataset { ann_file: 'train.json' img_prefix: '' "
                                        "data_root: '", dir, "' ", R"(
    pipeline { load_image_from_file {} }
    pipeline { load_annotations { with_bbox: true } }
    pipeline { resize { img_scale { w: 1333 h: 800 } keep_ratio: true } }
    pipeline { random_flip { flip_ratio: 0.5 } }
    pipeline { normalize { mean: 123.675 mean: 116.28 mean: 103.53
                           std: 58.395 std: 57.12 std: 57.375 to_rgb: true } }
    pipeline { pad { size_divisor: 32 } }
    pipeline { default_format_bundle {} }
    pipeline { collect { keys: "img" keys: "gt_bboxes" keys: "gt_labels" } }
  })");
  if (!google::protobuf::TextFormat::ParseFromString(text, &cfg)) std::abort();
  auto dataset = BuildDataset(cfg, "data.train");
  if (!dataset.ok()) {
    std::fprintf(stderr, "%s\n", dataset.status().ToString().c_str());
    std::abort();
  }
  return *dataset;
}

void TrainLoader(benchmark::State& state, bool turbojpeg) {
  std::shared_ptr<Dataset> dataset = FasterRcnnTrainDataset();
  SetTurboJpegEnabled(turbojpeg);
  LoaderConfig config;
  config.imgs_per_gpu = 2;
  config.workers_per_gpu = static_cast<int>(state.range(0));
  auto loader = BuildDataLoader(dataset, config);
  if (!loader.ok()) std::abort();
  int64_t images = 0, epoch = 0;
  for (auto _ : state) {
    (*loader)->StartEpoch(epoch++);
    while (true) {
      auto batch = (*loader)->Next();
      if (!batch.ok()) {
        state.SkipWithError(std::string(batch.status().message()).c_str());
        return;
      }
      if (!batch->has_value()) break;
      images += static_cast<int64_t>((**batch)[0].size());
      benchmark::DoNotOptimize((**batch)[0].img.data_ptr());
    }
  }
  SetTurboJpegEnabled(true);
  state.SetItemsProcessed(images);
  state.counters["images/s"] = benchmark::Counter(static_cast<double>(images),
                                                  benchmark::Counter::kIsRate);
}
void BM_FasterRcnnTrainLoader(benchmark::State& state) { TrainLoader(state, true); }
void BM_FasterRcnnTrainLoaderOpenCvDecode(benchmark::State& state) { TrainLoader(state, false); }
BENCHMARK(BM_FasterRcnnTrainLoader)->Arg(1)->Arg(2)->Arg(4)->UseRealTime()->Unit(
    benchmark::kMillisecond);
// The same with ReadImage's JPEGs through cv::imread (MMDET_TURBOJPEG=0).
BENCHMARK(BM_FasterRcnnTrainLoaderOpenCvDecode)->Arg(2)->UseRealTime()->Unit(
    benchmark::kMillisecond);

// ReadImage (LoadImageFromFile's read + decode, IMREAD_COLOR) over the 32 generated 640x480
// JPEGs: TurboJPEG (the default) against cv::imread (MMDET_TURBOJPEG=0). One thread.
void BM_ReadImage(benchmark::State& state, bool turbojpeg) {
  static const std::string dir = MakeImages();
  SetTurboJpegEnabled(turbojpeg);
  int64_t images = 0;
  for (auto _ : state) {
    for (int i = 0; i < kImages; ++i) {
      auto img = ReadImage(absl::StrFormat("%s/%012d.jpg", dir, i), cv::IMREAD_COLOR);
      if (!img.ok()) {
        state.SkipWithError(std::string(img.status().message()).c_str());
        return;
      }
      benchmark::DoNotOptimize(img->data);
    }
    images += kImages;
  }
  SetTurboJpegEnabled(true);
  state.SetItemsProcessed(images);
}
BENCHMARK_CAPTURE(BM_ReadImage, turbojpeg, true)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ReadImage, opencv, false)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mmdet::datasets

BENCHMARK_MAIN();
