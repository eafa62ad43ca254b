// Detector speed on the CPU (and CUDA when built with --config=cuda on a GPU machine):
//   BM_Inference/<config>   SimpleTest of one 800x1216 (padded 1333x800-class) image
//                           (_fused: after FuseConvBn, as test --fuse-conv-bn;
//                           _channels_last: NHWC, as test --channels-last;
//                           _no_mkldnn: ATen's convolutions with oneDNN switched off;
//                           _aten: without mmdet/ops/onednn_conv's fused primitives;
//                           _winograd: 3x3 convolutions by oneDNN's Winograd, test --winograd)
//   BM_TrainStep/<config>   ForwardTrain + backward of 2 images at 800x1216 (_aten: bfloat16
//                           without mmdet/ops/autocast_conv's 1x1 convolutions)
//   BM_TrainStep/shapes_*   the CPU-sized shapes Faster R-CNN and the quickstart's Mask R-CNN,
//                           2 images at 256x320
// Random weights (speed does not depend on them); intra-op threads = hardware threads.
//   bazel run //mmdet/models/detectors:detector_benchmark -- --benchmark_filter=Inference
// --op_profile[=N]: after each benchmark's timed iterations, one more under mmdet::OpProfile,
// and its N (default 25) costliest ops by self time printed to stderr as a markdown table.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <thread>

#include "ATen/Context.h"
#include "c10/core/InferenceMode.h"
#include "mmdet/config/loader.h"
#include "mmdet/core/op_profile.h"
#include "mmdet/models/detectors/detector.h"
#include "mmdet/models/layers/fuse_conv_bn.h"
#include "mmdet/models/layers/memory_format.h"
#include "mmdet/ops/onednn_conv.h"
#include "torch/cuda.h"
#include "torch/utils.h"

namespace mmdet::models {
namespace {

struct Setup {
  std::shared_ptr<DetectorImpl> model;
  torch::Tensor img;
  std::vector<ImageMeta> metas;
  GroundTruth gt;
};

Setup Make(const std::string& config, int64_t batch, int64_t h, int64_t w,
           const torch::Device& device) {
  at::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  auto cfg = LoadConfig(config, {"model.pretrained="});
  if (!cfg.ok()) {
    // Relative config paths: run from the repository root or through `bazel run`.
    std::cerr << "detector_benchmark: " << cfg.status().message() << "\n";
    std::exit(2);
  }
  auto model = BuildDetector(*cfg);
  if (!model.ok()) {
    std::cerr << "detector_benchmark: " << config << ": " << model.status().message() << "\n";
    std::exit(2);
  }
  Setup s;
  s.model = *model;
  s.model->to(device);
  torch::manual_seed(0);
  s.img = torch::randn({batch, 3, h, w}, torch::TensorOptions().device(device));
  for (int64_t i = 0; i < batch; ++i) {
    ImageMeta meta;
    meta.ori_shape = {h, w, 3};
    meta.img_shape = {h, w, 3};
    meta.pad_shape = {h, w, 3};
    meta.batch_input_shape = {h, w};
    s.metas.push_back(meta);
    s.gt.bboxes.push_back(torch::tensor({{50.f, 60.f, 250.f, 300.f}, {400.f, 200.f, 700.f, 500.f},
                                         {10.f, 10.f, 40.f, 50.f}},
                                        torch::TensorOptions().device(device)) *
                          (w / 1216.0));
    s.gt.labels.push_back(torch::tensor({1, 2, 0}, torch::TensorOptions().dtype(torch::kInt64).device(device)));
    if (s.model->with_mask()) {
      s.gt.masks.push_back(torch::zeros({3, h, w}, torch::TensorOptions().dtype(torch::kUInt8).device(device)));
    }
  }
  return s;
}

torch::Device BenchDevice() { return torch::cuda::is_available() ? torch::kCUDA : torch::kCPU; }

void Sync() {
  if (torch::cuda::is_available()) torch::cuda::synchronize();
}

int op_profile_rows = 0;  // --op_profile

// One more run of `step` under an OpProfile, its costliest ops printed, when --op_profile is on.
template <typename Step>
void ProfileOnce(const std::string& label, Step step) {
  if (op_profile_rows <= 0) return;
  std::vector<OpTime> rows;
  {
    OpProfile profile;
    step();
    Sync();
    rows = profile.Collect();
  }
  std::cerr << "\n" << label << ", one iteration:\n";
  PrintOpTimes(rows, op_profile_rows, std::cerr);
}

void BM_Inference(benchmark::State& state, const std::string& config, bool fuse_conv_bn,
                  bool channels_last = false, at::ScalarType features = at::kFloat,
                  bool inference_mode = false, bool mkldnn = true, bool onednn_conv = true,
                  bool winograd = false) {
  Setup s = Make(config, 1, 800, 1216, BenchDevice());
  ops::SetOneDnnWinograd(winograd);
  // _aten: the same model on ATen's convolutions, without mmdet/ops/onednn_conv's fused ones.
  ops::SetOneDnnConvEnabled(onednn_conv);
  // _no_mkldnn: ATen's convolutions without oneDNN (im2col + OpenBLAS GEMM), for comparison.
  const bool mkldnn_before = at::globalContext().userEnabledMkldnn();
  at::globalContext().setUserEnabledMkldnn(mkldnn);
  s.model->eval();
  if (fuse_conv_bn) state.counters["folded"] = static_cast<double>(FuseConvBn(*s.model));
  if (channels_last) ToChannelsLast(*s.model);
  s.model->set_feature_dtype(features);
  // _inference_mode: c10::InferenceMode over SimpleTest's no-grad (after the set-up, so that
  // the parameters stay normal tensors).
  std::optional<c10::InferenceMode> inference;
  if (inference_mode) inference.emplace();
  // One untimed warm-up (primitives created, weights packed), as compare_torchvision.py
  // times torchvision.
  (void)s.model->SimpleTest(s.img, s.metas, true);
  Sync();
  for (auto _ : state) {
    auto results = s.model->SimpleTest(s.img, s.metas, true);
    if (!results.ok()) state.SkipWithError(std::string(results.status().message()).c_str());
    Sync();
  }
  ProfileOnce("inference " + config + (fuse_conv_bn ? " fused" : "") +
                  (channels_last ? " channels-last" : "") +
                  (features == at::kBFloat16 ? " bf16" : "") + (mkldnn ? "" : " no-mkldnn") +
                  (onednn_conv ? "" : " aten convolutions") + (winograd ? " winograd" : ""),
              [&] { (void)s.model->SimpleTest(s.img, s.metas, true); });
  at::globalContext().setUserEnabledMkldnn(mkldnn_before);
  ops::SetOneDnnConvEnabled(true);
  ops::SetOneDnnWinograd(false);
}

void BM_TrainStep(benchmark::State& state, const std::string& config, int64_t h, int64_t w,
                  bool channels_last = false, at::ScalarType features = at::kFloat,
                  bool onednn = true) {
  Setup s = Make(config, 2, h, w, BenchDevice());
  // _aten: without mmdet/ops/autocast_conv's 1x1 convolutions (bfloat16 training).
  ops::SetOneDnnConvEnabled(onednn);
  s.model->train();
  if (channels_last) ToChannelsLast(*s.model);
  s.model->set_feature_dtype(features);
  {  // one untimed warm-up step
    auto losses = s.model->ForwardTrain(s.img, s.metas, s.gt);
    if (losses.ok()) TotalLoss(*losses).backward();
    Sync();
  }
  for (auto _ : state) {
    auto losses = s.model->ForwardTrain(s.img, s.metas, s.gt);
    if (!losses.ok()) {
      state.SkipWithError(std::string(losses.status().message()).c_str());
      return;
    }
    TotalLoss(*losses).backward();
    Sync();
  }
  ProfileOnce("train step " + config + (channels_last ? " channels-last" : "") +
                  (features == at::kBFloat16 ? " bf16" : ""),
              [&] {
    auto losses = s.model->ForwardTrain(s.img, s.metas, s.gt);
    if (losses.ok()) TotalLoss(*losses).backward();
  });
  ops::SetOneDnnConvEnabled(true);
}

BENCHMARK_CAPTURE(BM_Inference, faster_rcnn_r50_fpn,
                  std::string("configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt"), false)
    ->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_Inference, mask_rcnn_r50_fpn,
                  std::string("configs/mask_rcnn/mask_rcnn_r50_fpn_1x_coco.pbtxt"), false)
    ->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_Inference, retinanet_r50_fpn,
                  std::string("configs/retinanet/retinanet_r50_fpn_1x_coco.pbtxt"), false)
    ->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_Inference, faster_rcnn_r50_fpn_inference_mode,
                  std::string("configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt"), false,
                  false, at::kFloat, true)
    ->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_Inference, faster_rcnn_r50_fpn_no_mkldnn,
                  std::string("configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt"), false,
                  false, at::kFloat, false, false)
    ->Unit(benchmark::kMillisecond)->Iterations(3);
// test --fuse-conv-bn: every BatchNorm folded into its conv.
BENCHMARK_CAPTURE(BM_Inference, faster_rcnn_r50_fpn_fused,
                  std::string("configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt"), true)
    ->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_Inference, faster_rcnn_r50_fpn_channels_last,
                  std::string("configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt"), false, true)
    ->Unit(benchmark::kMillisecond)->Iterations(3);
// Float32 with test --channels-last --fuse-conv-bn: NHWC convolutions, BatchNorm folded.
BENCHMARK_CAPTURE(BM_Inference, faster_rcnn_r50_fpn_fused_channels_last,
                  std::string("configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt"), true, true)
    ->Unit(benchmark::kMillisecond)->Iterations(3);
// The same on ATen's convolutions (mmdet/ops/onednn_conv's fused oneDNN primitives off).
BENCHMARK_CAPTURE(BM_Inference, faster_rcnn_r50_fpn_fused_channels_last_aten,
                  std::string("configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt"), true, true,
                  at::kFloat, false, true, false)
    ->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_Inference, mask_rcnn_r50_fpn_fused_channels_last,
                  std::string("configs/mask_rcnn/mask_rcnn_r50_fpn_1x_coco.pbtxt"), true, true)
    ->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_Inference, retinanet_r50_fpn_fused_channels_last,
                  std::string("configs/retinanet/retinanet_r50_fpn_1x_coco.pbtxt"), true, true)
    ->Unit(benchmark::kMillisecond)->Iterations(3);
// test --channels-last --fuse-conv-bn --winograd: 3x3 stride-1 convolutions by Winograd.
BENCHMARK_CAPTURE(BM_Inference, faster_rcnn_r50_fpn_fused_channels_last_winograd,
                  std::string("configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt"), true, true,
                  at::kFloat, false, true, true, true)
    ->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_Inference, mask_rcnn_r50_fpn_fused_channels_last_winograd,
                  std::string("configs/mask_rcnn/mask_rcnn_r50_fpn_1x_coco.pbtxt"), true, true,
                  at::kFloat, false, true, true, true)
    ->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_Inference, retinanet_r50_fpn_fused_channels_last_winograd,
                  std::string("configs/retinanet/retinanet_r50_fpn_1x_coco.pbtxt"), true, true,
                  at::kFloat, false, true, true, true)
    ->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_Inference, faster_rcnn_r50_fpn_bf16,
                  std::string("configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt"), false, false,
                  at::kBFloat16)
    ->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_Inference, faster_rcnn_r50_fpn_channels_last_bf16,
                  std::string("configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt"), false, true,
                  at::kBFloat16)
    ->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_Inference, faster_rcnn_r50_fpn_fused_channels_last_bf16,
                  std::string("configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt"), true, true,
                  at::kBFloat16)
    ->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_Inference, faster_rcnn_r50_fpn_fused_channels_last_bf16_aten,
                  std::string("configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt"), true, true,
                  at::kBFloat16, false, true, false)
    ->Unit(benchmark::kMillisecond)->Iterations(3);
// test --channels-last --bf16 (and with --fuse-conv-bn) on the other two detectors.
BENCHMARK_CAPTURE(BM_Inference, mask_rcnn_r50_fpn_channels_last_bf16,
                  std::string("configs/mask_rcnn/mask_rcnn_r50_fpn_1x_coco.pbtxt"), false, true,
                  at::kBFloat16)
    ->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_Inference, mask_rcnn_r50_fpn_fused_channels_last_bf16,
                  std::string("configs/mask_rcnn/mask_rcnn_r50_fpn_1x_coco.pbtxt"), true, true,
                  at::kBFloat16)
    ->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_Inference, retinanet_r50_fpn_channels_last_bf16,
                  std::string("configs/retinanet/retinanet_r50_fpn_1x_coco.pbtxt"), false, true,
                  at::kBFloat16)
    ->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_Inference, retinanet_r50_fpn_fused_channels_last_bf16,
                  std::string("configs/retinanet/retinanet_r50_fpn_1x_coco.pbtxt"), true, true,
                  at::kBFloat16)
    ->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_TrainStep, faster_rcnn_r50_fpn,
                  std::string("configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt"), 800, 1216)
    ->Unit(benchmark::kMillisecond)->Iterations(2);
// train --channels-last --bf16: backbone and neck under bfloat16 autocast, NHWC.
BENCHMARK_CAPTURE(BM_TrainStep, faster_rcnn_r50_fpn_channels_last_bf16,
                  std::string("configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt"), 800, 1216,
                  true, at::kBFloat16)
    ->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK_CAPTURE(BM_TrainStep, faster_rcnn_r50_fpn_channels_last_bf16_aten,
                  std::string("configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt"), 800, 1216,
                  true, at::kBFloat16, false)
    ->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK_CAPTURE(BM_TrainStep, faster_rcnn_r50_fpn_channels_last,
                  std::string("configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt"), 800, 1216,
                  true)
    ->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK_CAPTURE(BM_TrainStep, shapes_faster_rcnn_r18,
                  std::string("configs/shapes/faster_rcnn_r18_fpn_shapes.pbtxt"), 256, 320)
    ->Unit(benchmark::kMillisecond)->Iterations(5);
// The quickstart's model (GroupNorm, 1000 proposals, 512 sampled RoIs per image).
BENCHMARK_CAPTURE(BM_TrainStep, shapes_mask_rcnn_r18_gn,
                  std::string("configs/shapes/mask_rcnn_r18_fpn_gn_shapes.pbtxt"), 256, 320)
    ->Unit(benchmark::kMillisecond)->Iterations(10);

}  // namespace
}  // namespace mmdet::models

int main(int argc, char** argv) {
  // --op_profile[=N] is ours; the rest goes to Google Benchmark.
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--op_profile") == 0) {
      mmdet::models::op_profile_rows = 25;
    } else if (std::strncmp(argv[i], "--op_profile=", 13) == 0) {
      char* end = nullptr;
      const long rows = std::strtol(argv[i] + 13, &end, 10);
      if (end == argv[i] + 13 || *end != '\0' || rows <= 0 || rows > 100000) {
        std::cerr << "detector_benchmark: --op_profile wants a row count, got '" << argv[i] + 13
                  << "'\n";
        return 2;
      }
      mmdet::models::op_profile_rows = static_cast<int>(rows);
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
