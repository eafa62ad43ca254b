// COCOeval speed on a generated val2017-scale set (5000 640x480 images, ~7 gts each, 80
// categories, 100 detections per image with a third of them near a gt), bbox and segm (gt
// masks are polygons, rasterised as COCO's annToRLE does; detections carry compressed RLE
// strings, as MMDetection's segm.json). Prints the time to parse the results JSON (and
// rasterise the gts), evaluate and accumulate, for 1 thread and for --threads.
//
//   bazel run -c opt //mmdet/evaluation:coco_eval_benchmark -- [--images 5000] [--threads 2]
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "mmdet/core/json_writer.h"
#include "mmdet/datasets/coco_api.h"
#include "mmdet/evaluation/coco_eval.h"
#include "mmdet/evaluation/coco_results.h"
#include "mmdet/ops/mask_util.h"

ABSL_FLAG(int, images, 5000, "Images in the generated set.");
ABSL_FLAG(int, threads, 2, "Threads for the second run.");

namespace mmdet::evaluation {
namespace {

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string Polygon(double x, double y, double w, double h) {
  return absl::StrFormat("[[%.3f, %.3f, %.3f, %.3f, %.3f, %.3f, %.3f, %.3f]]", x, y, x + w, y,
                         x + w, y + h, x, y + h);
}

void Run() {
  const int num_images = absl::GetFlag(FLAGS_images);
  std::mt19937_64 rng(0);
  std::uniform_real_distribution<double> u(0, 1);
  std::string gt = "{\"categories\": [";
  for (int c = 1; c <= 80; ++c) absl::StrAppend(&gt, c > 1 ? ", " : "", "{\"id\": ", c, ", \"name\": \"c", c, "\"}");
  absl::StrAppend(&gt, "], \"images\": [");
  for (int i = 1; i <= num_images; ++i) {
    absl::StrAppend(&gt, i > 1 ? ", " : "", "{\"id\": ", i,
                    ", \"file_name\": \"x.jpg\", \"width\": 640, \"height\": 480}");
  }
  absl::StrAppend(&gt, "], \"annotations\": [");
  std::string res = "[";
  int64_t ann_id = 0, num_dets = 0;
  for (int i = 1; i <= num_images; ++i) {
    struct Box { double x, y, w, h; int c; };
    std::vector<Box> boxes;
    const int n = static_cast<int>(u(rng) * 15);
    for (int k = 0; k < n; ++k) {
      Box b{0, 0, 4 + u(rng) * 296, 4 + u(rng) * 296, 1 + static_cast<int>(u(rng) * 80)};
      b.x = u(rng) * (640 - b.w);
      b.y = u(rng) * (480 - b.h);
      boxes.push_back(b);
      const char* sep = ann_id > 0 ? ", " : "";
      ++ann_id;
      absl::StrAppend(&gt, sep, "{\"id\": ", ann_id, ", \"image_id\": ", i,
                      ", \"category_id\": ", b.c,
                      absl::StrFormat(", \"bbox\": [%.3f, %.3f, %.3f, %.3f], \"area\": %.3f",
                                      b.x, b.y, b.w, b.h, b.w * b.h),
                      ", \"iscrowd\": ", u(rng) < 0.01 ? 1 : 0,
                      ", \"segmentation\": ", Polygon(b.x, b.y, b.w, b.h), "}");
    }
    for (int d = 0; d < 100; ++d) {
      Box b;
      if (!boxes.empty() && u(rng) < 0.3) {
        const Box& g = boxes[static_cast<size_t>(u(rng) * boxes.size()) % boxes.size()];
        const double j = -0.2 + 0.4 * u(rng);
        b = {g.x + j * g.w, g.y + j * g.h, g.w * (0.8 + 0.4 * u(rng)), g.h * (0.8 + 0.4 * u(rng)),
             g.c};
      } else {
        b = {u(rng) * 600, u(rng) * 440, 4 + u(rng) * 196, 4 + u(rng) * 196,
             1 + static_cast<int>(u(rng) * 80)};
      }
      const char* sep = num_dets > 0 ? ", " : "";
      ++num_dets;
      absl::StrAppend(&res, sep, "{\"image_id\": ", i,
                      ", \"category_id\": ", b.c,
                      absl::StrFormat(", \"bbox\": [%.3f, %.3f, %.3f, %.3f], \"score\": %.6f",
                                      b.x, b.y, b.w, b.h, u(rng)),
                      ", \"segmentation\": {\"size\": [480, 640], \"counts\": ",
                      JsonQuoted(ops::ToString(ops::FromPolygons(
                          {{b.x, b.y, b.x + b.w, b.y, b.x + b.w, b.y + b.h, b.x, b.y + b.h}}, 480,
                          640))),
                      "}}");
    }
  }
  absl::StrAppend(&gt, "]}");
  absl::StrAppend(&res, "]");
  auto coco = datasets::ParseCocoJson(gt, "generated gt");
  if (!coco.ok()) {
    std::fprintf(stderr, "%s\n", coco.status().ToString().c_str());
    return;
  }
  std::printf("%d images, %lld gts, %lld detections (results JSON %.1f MB)\n", num_images,
              static_cast<long long>(ann_id), static_cast<long long>(num_dets),
              res.size() / 1e6);
  for (const auto type : {CocoEvalParams::kBbox, CocoEvalParams::kSegm}) {
    for (const int threads : {1, absl::GetFlag(FLAGS_threads)}) {
      auto start = std::chrono::steady_clock::now();
      auto dts = ParseCocoResults(res, "generated results", *coco, type);
      if (!dts.ok()) {
        std::fprintf(stderr, "%s\n", dts.status().ToString().c_str());
        return;
      }
      std::vector<CocoObject> gts = CocoGroundTruth(*coco, type);
      const double load = Seconds(start);
      CocoEval eval(std::move(gts), *std::move(dts),
                    CocoEvalParams::Defaults(type, ImageIds(*coco), CategoryIds(*coco)));
      start = std::chrono::steady_clock::now();
      eval.Evaluate(threads);
      const double evaluate = Seconds(start);
      start = std::chrono::steady_clock::now();
      eval.Accumulate(threads);
      const double accumulate = Seconds(start);
      const auto stats = eval.Summarize();
      std::printf("%s, %d thread(s): load %.2f s, evaluate %.2f s, accumulate %.2f s (AP %.4f)\n",
                  type == CocoEvalParams::kBbox ? "bbox" : "segm", threads, load, evaluate,
                  accumulate, stats[0]);
    }
  }
}

}  // namespace
}  // namespace mmdet::evaluation

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  mmdet::evaluation::Run();
  return 0;
}
