// Benchmarks of the ops on Faster R-CNN-sized inputs, CPU and (when available) CUDA:
//   bazel run -c opt //mmdet/ops:ops_benchmark -- --benchmark_filter=Nms
// Set the CPU thread count with --threads=N (default: all cores).
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstring>
#include <string>
#include <thread>

#include "mmdet/ops/bbox_overlaps.h"
#include "mmdet/ops/focal_loss.h"
#include "mmdet/ops/frozen_bn.h"
#include "mmdet/ops/mask_util.h"
#include "mmdet/ops/max_pool.h"
#include "mmdet/ops/nms.h"
#include "mmdet/ops/roi_align.h"
#include "mmdet/ops/roi_pool.h"

namespace mmdet::ops {
namespace {

void Sync(const at::Device& device) {
  if (device.is_cuda()) at::empty({1}, at::TensorOptions().device(device)).cpu();
}

at::Tensor RandomBoxes(int64_t n, const at::Device& device) {
  at::Tensor xy = at::rand({n, 2}) * 1200;
  at::Tensor wh = at::rand({n, 2}) * 200 + 4;
  return at::cat({xy, xy + wh}, 1).to(device);
}

// RPN-style: n proposals, IoU 0.7.
void BM_Nms(benchmark::State& state, at::Device device) {
  at::manual_seed(0);
  at::Tensor boxes = RandomBoxes(state.range(0), device);
  at::Tensor scores = at::rand({state.range(0)}).to(device);
  for (auto _ : state) {
    benchmark::DoNotOptimize(Nms(boxes, scores, 0.7));
    Sync(device);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// RCNN post-processing: 1000 boxes x 80 classes above a score threshold.
void BM_BatchedNms(benchmark::State& state, at::Device device) {
  at::manual_seed(0);
  const int64_t n = state.range(0);
  at::Tensor boxes = RandomBoxes(n, device);
  at::Tensor scores = at::rand({n}).to(device);
  at::Tensor idxs = at::randint(0, 80, {n}, at::kLong).to(device);
  for (auto _ : state) {
    benchmark::DoNotOptimize(BatchedNms(boxes, scores, idxs, NmsOptions{}));
    Sync(device);
  }
  state.SetItemsProcessed(state.iterations() * n);
}

void BM_SoftNms(benchmark::State& state) {
  at::manual_seed(0);
  at::Tensor boxes = RandomBoxes(state.range(0), at::kCPU);
  at::Tensor scores = at::rand({state.range(0)});
  for (auto _ : state) benchmark::DoNotOptimize(SoftNms(boxes, scores, 0.3));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// The box head's RoIAlign: 512 RoIs/image, 256 channels, stride-4 map of an 800x1216 image.
void BM_RoiAlignForward(benchmark::State& state, at::Device device) {
  at::manual_seed(0);
  const int64_t k = state.range(0);
  at::Tensor feat = at::rand({2, 256, 200, 304}).to(device);
  at::Tensor rois = at::cat({at::randint(0, 2, {k, 1}).to(at::kFloat), RandomBoxes(k, at::kCPU)},
                            1)
                        .to(device);
  for (auto _ : state) {
    benchmark::DoNotOptimize(RoiAlign(feat, rois, 0.25, 7, 7, 0, true));
    Sync(device);
  }
  state.SetItemsProcessed(state.iterations() * k);
}

void BM_RoiAlignBackward(benchmark::State& state, at::Device device) {
  at::manual_seed(0);
  const int64_t k = state.range(0);
  at::Tensor feat = at::rand({2, 256, 200, 304}).to(device).requires_grad_(true);
  at::Tensor rois = at::cat({at::randint(0, 2, {k, 1}).to(at::kFloat), RandomBoxes(k, at::kCPU)},
                            1)
                        .to(device);
  at::Tensor out = RoiAlign(feat, rois, 0.25, 7, 7, 0, true);
  at::Tensor grad = at::ones_like(out);
  for (auto _ : state) {
    out.backward(grad, /*retain_graph=*/true);
    Sync(device);
  }
  state.SetItemsProcessed(state.iterations() * k);
}

void BM_RoiPoolForward(benchmark::State& state, at::Device device) {
  at::manual_seed(0);
  const int64_t k = state.range(0);
  at::Tensor feat = at::rand({2, 256, 200, 304}).to(device);
  at::Tensor rois = at::cat({at::randint(0, 2, {k, 1}).to(at::kFloat), RandomBoxes(k, at::kCPU)},
                            1)
                        .to(device);
  for (auto _ : state) {
    benchmark::DoNotOptimize(RoiPool(feat, rois, 0.25, 7, 7));
    Sync(device);
  }
  state.SetItemsProcessed(state.iterations() * k);
}

// RetinaNet's classification loss: ~100k anchors x 80 classes, forward + backward.
void BM_SigmoidFocalLoss(benchmark::State& state, at::Device device) {
  at::manual_seed(0);
  at::Tensor logits = at::randn({state.range(0), 80}).to(device).requires_grad_(true);
  at::Tensor labels = at::randint(0, 81, {state.range(0)}, at::kLong).to(device);
  for (auto _ : state) {
    SigmoidFocalLoss(logits, labels, 2.0, 0.25).sum().backward();
    Sync(device);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0) * 80);
}

// ResNet's stem pool at 800x1216 (inference, no gradient): ours / ATen's NCHW max_pool2d.
void BM_MaxPool2d(benchmark::State& state, bool aten) {
  at::manual_seed(0);
  at::Tensor x = at::randn({1, 64, 400, 608});
  for (auto _ : state) {
    benchmark::DoNotOptimize(aten ? at::max_pool2d(x, {3, 3}, {2, 2}, {1, 1})
                                  : MaxPool2d(x, 3, 2, 1));
  }
}

// ResNet's bn -> ReLU with frozen statistics on a P2-sized map (2 x 256 x 200 x 304), forward
// and backward of a trained step (/forward: inference, no gradient): ours (one pass each way)
// / ATen's batch_norm + relu_.
void BM_FrozenBnRelu(benchmark::State& state, bool aten, bool channels_last, bool bf16) {
  at::manual_seed(0);
  const auto format = channels_last ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  at::Tensor x = at::randn({2, 256, 200, 304}).to(bf16 ? at::kBFloat16 : at::kFloat)
                     .contiguous(format).requires_grad_();
  at::Tensor w = (at::rand({256}) + 0.5).requires_grad_(), b = at::randn({256}).requires_grad_();
  const at::Tensor mean = at::randn({256}), var = at::rand({256}) + 0.5;
  const at::Tensor grad = at::randn_like(x);
  if (state.range(0) == 0) {  // /forward: inference (no gradient)
    at::NoGradGuard no_grad;
    for (auto _ : state) {
      benchmark::DoNotOptimize(
          aten ? at::batch_norm(x, w, b, mean, var, false, 0.1, 1e-5, true).relu_()
               : *FrozenBnRelu(x, w, b, mean, var, 1e-5, {}));
    }
    return;
  }
  for (auto _ : state) {
    at::Tensor y = aten ? at::batch_norm(x, w, b, mean, var, false, 0.1, 1e-5, true).relu_()
                        : *FrozenBnRelu(x, w, b, mean, var, 1e-5, {});
    y.backward(grad);
  }
}

// Assigner-style: anchors x gt boxes.
void BM_BboxOverlaps(benchmark::State& state, at::Device device) {
  at::manual_seed(0);
  at::Tensor anchors = RandomBoxes(state.range(0), device);
  at::Tensor gts = RandomBoxes(state.range(1), device);
  for (auto _ : state) {
    benchmark::DoNotOptimize(BboxOverlaps(anchors, gts));
    Sync(device);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0) * state.range(1));
}

// COCO segm evaluation / result files: full-image masks at 800 x 1333.
at::Tensor BlobMask() {
  at::Tensor mask = at::zeros({800, 1333}, at::kByte);
  mask.slice(0, 100, 500).slice(1, 200, 900).fill_(1);
  mask.slice(0, 300, 700).slice(1, 600, 1200).fill_(1);
  return mask;
}

void BM_MaskEncode(benchmark::State& state) {
  at::Tensor mask = BlobMask();
  for (auto _ : state) benchmark::DoNotOptimize(Encode(mask));
}

void BM_MaskDecode(benchmark::State& state) {
  Rle rle = Encode(BlobMask());
  for (auto _ : state) benchmark::DoNotOptimize(Decode(rle));
}

void BM_MaskToStringFromString(benchmark::State& state) {
  Rle rle = Encode(BlobMask()), back;
  for (auto _ : state) {
    benchmark::DoNotOptimize(FromString(ToString(rle), rle.h, rle.w, &back));
  }
}

// A 40-vertex polygon per object, as COCO annotations have.
void BM_PolygonToRle(benchmark::State& state) {
  std::vector<double> polygon;
  for (int i = 0; i < 40; ++i) {
    const double a = 2 * M_PI * i / 40, r = 200 + 50 * std::sin(5 * a);
    polygon.push_back(600 + r * std::cos(a));
    polygon.push_back(400 + r * std::sin(a));
  }
  for (auto _ : state) benchmark::DoNotOptimize(FromPolygon(polygon, 800, 1333));
}

// 100 detections x 20 ground truths of one image.
void BM_MaskIou(benchmark::State& state) {
  std::vector<Rle> dts, gts;
  for (int i = 0; i < 100; ++i) {
    at::Tensor mask = at::zeros({800, 1333}, at::kByte);
    mask.slice(0, 5 * i, 5 * i + 200).slice(1, 10 * i, 10 * i + 300).fill_(1);
    dts.push_back(Encode(mask));
    if (i % 5 == 0) gts.push_back(Encode(mask.t().contiguous().t()));
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(Iou(dts, gts, std::vector<bool>(gts.size(), false)));
  }
}

// Mask R-CNN test: 100 masks of 28 x 28 pasted into an 800 x 1333 image.
void BM_PasteMasks(benchmark::State& state, at::Device device) {
  at::manual_seed(0);
  at::Tensor masks = at::rand({100, 28, 28}).to(device);
  // Inside the image (tools/compare_torchvision.py pastes the same boxes with torchvision).
  at::Tensor xy = at::rand({100, 2}) * at::tensor({1100.f, 560.f});
  at::Tensor boxes = at::cat({xy, xy + at::rand({100, 2}) * 200 + 4}, 1).to(device);
  for (auto _ : state) {
    benchmark::DoNotOptimize(PasteMasks(masks, boxes, 800, 1333));
    Sync(device);
  }
}

void RegisterAll(const at::Device& device) {
  const std::string tag = device.is_cuda() ? "/cuda" : "/cpu";
  benchmark::RegisterBenchmark(("BM_Nms" + tag).c_str(), BM_Nms, device)
      ->Arg(1000)->Arg(2000)->Arg(12000)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(("BM_BatchedNms" + tag).c_str(), BM_BatchedNms, device)
      ->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(("BM_RoiAlignForward" + tag).c_str(), BM_RoiAlignForward, device)
      ->Arg(1024)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(("BM_RoiAlignBackward" + tag).c_str(), BM_RoiAlignBackward,
                               device)
      ->Arg(1024)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(("BM_RoiPoolForward" + tag).c_str(), BM_RoiPoolForward, device)
      ->Arg(1024)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(("BM_SigmoidFocalLoss" + tag).c_str(), BM_SigmoidFocalLoss,
                               device)
      ->Arg(100000)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(("BM_PasteMasks" + tag).c_str(), BM_PasteMasks, device)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(("BM_BboxOverlaps" + tag).c_str(), BM_BboxOverlaps, device)
      ->Args({200000, 20})->Unit(benchmark::kMillisecond);
}

}  // namespace
}  // namespace mmdet::ops

int main(int argc, char** argv) {
  int threads = static_cast<int>(std::thread::hardware_concurrency());
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--threads=", 10) == 0) threads = std::atoi(argv[i] + 10);
  }
  at::set_num_threads(threads > 0 ? threads : 1);
  benchmark::Initialize(&argc, argv);
  mmdet::ops::RegisterAll(at::kCPU);
  benchmark::RegisterBenchmark("BM_SoftNms/cpu", mmdet::ops::BM_SoftNms)
      ->Arg(1000)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_MaskEncode/cpu", mmdet::ops::BM_MaskEncode)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_MaskDecode/cpu", mmdet::ops::BM_MaskDecode)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_MaskToStringFromString/cpu",
                               mmdet::ops::BM_MaskToStringFromString)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("BM_PolygonToRle/cpu", mmdet::ops::BM_PolygonToRle)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("BM_MaskIou/cpu", mmdet::ops::BM_MaskIou)
      ->Unit(benchmark::kMillisecond);
  for (const bool cl : {true, false}) {
    for (const bool bf16 : {false, true}) {
      if (bf16 && !cl) continue;
      const std::string name = std::string("BM_FrozenBnRelu/cpu/") + (cl ? "channels_last" : "nchw") +
                               (bf16 ? "_bf16" : "");
      for (const bool aten : {false, true}) {
        for (const bool train : {true, false}) {
          benchmark::RegisterBenchmark(
              (name + (train ? "" : "/forward") + (aten ? "/aten" : "/ours")).c_str(),
              mmdet::ops::BM_FrozenBnRelu, aten, cl, bf16)
              ->Arg(train ? 1 : 0)
              ->Unit(benchmark::kMillisecond);
        }
      }
    }
  }
  benchmark::RegisterBenchmark("BM_MaxPool2d/cpu/ours", mmdet::ops::BM_MaxPool2d, false)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_MaxPool2d/cpu/aten", mmdet::ops::BM_MaxPool2d, true)
      ->Unit(benchmark::kMillisecond);
  if (at::hasCUDA()) mmdet::ops::RegisterAll(at::Device(at::kCUDA, 0));
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
