#include "tools/inference_flags.h"

#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mmdet/models/layers/fuse_conv_bn.h"
#include "mmdet/models/layers/memory_format.h"
#include "mmdet/ops/onednn_conv.h"

ABSL_FLAG(bool, fuse_conv_bn, false,
          "Fold each BatchNorm into the conv before it (mmcv's fuse_conv_bn): faster testing.");
ABSL_FLAG(bool, channels_last, false,
          "Run the network channels-last (NHWC): faster oneDNN convolutions on the CPU; results "
          "differ by float rounding only.");
ABSL_FLAG(bool, winograd, false,
          "CPU float32: 3x3 stride-1 convolutions by oneDNN's Winograd kernels (AVX-512 CPUs; "
          "implies --channels-last): faster, results differ by float rounding (~1e-6 relative).");
ABSL_FLAG(bool, bf16, false,
          "Backbone, neck and RPN / RetinaNet head in bfloat16 (autocast); RoI heads and "
          "post-processing in float32.");
ABSL_FLAG(bool, fp16, false,
          "Backbone, neck and RPN / RetinaNet head in float16 (autocast, CUDA only); RoI heads "
          "and post-processing in float32.");

namespace mmdet::tools {

absl::StatusOr<std::string> ApplyInferenceFlags(models::DetectorImpl& model,
                                                const torch::Device& device) {
  const bool bf16 = absl::GetFlag(FLAGS_bf16), fp16 = absl::GetFlag(FLAGS_fp16);
  if (bf16 && fp16) return absl::InvalidArgumentError("--bf16 and --fp16 exclude each other");
  if (fp16 && !device.is_cuda()) {
    return absl::InvalidArgumentError(
        "--fp16 needs a CUDA device (CPU autocast is bfloat16: use --bf16)");
  }
  const bool winograd = absl::GetFlag(FLAGS_winograd);
  if (winograd && !device.is_cpu()) {
    return absl::InvalidArgumentError("--winograd is a CPU option (oneDNN's kernels)");
  }
  if (winograd && (bf16 || fp16)) {
    return absl::InvalidArgumentError(
        "--winograd is for float32 (oneDNN has no bfloat16 Winograd kernels): drop --bf16");
  }
  std::vector<std::string> done;
  if (absl::GetFlag(FLAGS_fuse_conv_bn)) {
    done.push_back(absl::StrCat("--fuse-conv-bn: folded ", models::FuseConvBn(model),
                                " BatchNorm layers"));
  }
  if (absl::GetFlag(FLAGS_channels_last) || winograd) {
    done.push_back(absl::StrCat(winograd && !absl::GetFlag(FLAGS_channels_last)
                                    ? "--channels-last (implied by --winograd): "
                                    : "--channels-last: ",
                                models::ToChannelsLast(model), " tensors NHWC"));
  }
  if (winograd) {
    if (!ops::OneDnnConvBuilt()) {
      return absl::InvalidArgumentError("--winograd: this build calls no oneDNN (MMDET_HAVE_ONEDNN)");
    }
    ops::SetOneDnnWinograd(true);
    done.push_back("--winograd: 3x3 convolutions by oneDNN's Winograd kernels where the CPU has "
                   "them (AVX-512)");
  }
  if (bf16 || fp16) {
    model.set_feature_dtype(bf16 ? at::kBFloat16 : at::kHalf);
    done.push_back(bf16 ? "--bf16: backbone, neck and dense head in bfloat16"
                        : "--fp16: backbone, neck and dense head in float16");
  }
  return absl::StrJoin(done, "; ");
}

}  // namespace mmdet::tools
