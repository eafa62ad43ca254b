// COCO annotation loading speed on generated files at a fraction of COCO train2017's scale
// (118287 images, 860001 annotations with polygons, ~450 MB of JSON):
//   bazel run //mmdet/datasets:coco_api_benchmark -- --benchmark_filter=/100
#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "mmdet/datasets/coco_api.h"

namespace mmdet::datasets {
namespace {

// A train2017-like file scaled by `percent`: 80 categories, ~7.3 annotations per image,
// polygons of ~24 points printed with two decimals, as the real file has.
std::string MakeCocoJson(int percent) {
  const int images = 118287 * percent / 100;
  const int annotations = 860001 * percent / 100;
  std::mt19937 rng(0);
  std::uniform_real_distribution<double> coord(0, 600);
  std::string json = "{\"info\": {\"description\": \"generated\"}, \"images\": [";
  for (int i = 0; i < images; ++i) {
    absl::StrAppend(&json, i ? ", " : "",
                    absl::StrFormat("{\"license\": 3, \"file_name\": \"%012d.jpg\", "
                                    "\"coco_url\": \"http://images.cocodataset.org/train2017/"
                                    "%012d.jpg\", \"height\": 480, \"width\": 640, "
                                    "\"date_captured\": \"2013-11-14 11:18:45\", \"id\": %d}",
                                    i, i, i + 1));
  }
  json += "], \"annotations\": [";
  for (int a = 0; a < annotations; ++a) {
    std::string polygon;
    for (int p = 0; p < 24; ++p) absl::StrAppend(&polygon, p ? ", " : "", absl::StrFormat("%.2f", coord(rng)));
    absl::StrAppend(&json, a ? ", " : "",
                    absl::StrFormat("{\"segmentation\": [[%s]], \"area\": %.4f, \"iscrowd\": 0, "
                                    "\"image_id\": %d, \"bbox\": [%.2f, %.2f, %.2f, %.2f], "
                                    "\"category_id\": %d, \"id\": %d}",
                                    polygon, coord(rng) * 50, a % images + 1, coord(rng),
                                    coord(rng), coord(rng) / 2, coord(rng) / 2, a % 80 + 1,
                                    a + 1));
  }
  json += "], \"categories\": [";
  for (int c = 0; c < 80; ++c) {
    absl::StrAppend(&json, c ? ", " : "",
                    absl::StrFormat("{\"supercategory\": \"s\", \"id\": %d, \"name\": \"c%d\"}",
                                    c + 1, c));
  }
  json += "]}";
  return json;
}

void BM_ParseCocoJson(benchmark::State& state) {
  const std::string json = MakeCocoJson(static_cast<int>(state.range(0)));
  size_t annotations = 0;
  for (auto _ : state) {
    auto coco = ParseCocoJson(json, "generated.json");
    if (!coco.ok()) {
      state.SkipWithError(std::string(coco.status().message()).c_str());
      return;
    }
    annotations = coco->annotations.size();
    benchmark::DoNotOptimize(coco);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(json.size()));
  state.counters["MB"] = json.size() / 1e6;
  state.counters["annotations"] = static_cast<double>(annotations);
}

BENCHMARK(BM_ParseCocoJson)->Arg(1)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mmdet::datasets

BENCHMARK_MAIN();
