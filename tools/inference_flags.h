// The test-time speed flags shared by test, test_robustness and benchmark:
//   --fuse-conv-bn   fold each BatchNorm into the conv before it (mmcv's fuse_conv_bn)
//   --channels-last  run the network NHWC (faster oneDNN convolutions on the CPU)
//   --winograd       CPU float32 3x3 convolutions by oneDNN's Winograd kernels (implies NHWC)
//   --bf16 / --fp16  backbone and neck under autocast in bfloat16 / float16, heads float32
// ApplyInferenceFlags applies them to a loaded model in that order and returns one line
// saying what it did ("" when nothing); a bad combination is InvalidArgument.
#ifndef MMDET_TOOLS_INFERENCE_FLAGS_H_
#define MMDET_TOOLS_INFERENCE_FLAGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "mmdet/models/detectors/detector.h"
#include "torch/types.h"

namespace mmdet::tools {

absl::StatusOr<std::string> ApplyInferenceFlags(models::DetectorImpl& model,
                                                const torch::Device& device);

}  // namespace mmdet::tools

#endif  // MMDET_TOOLS_INFERENCE_FLAGS_H_
