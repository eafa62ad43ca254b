// Channels-last (NHWC) execution on the CPU: oneDNN's convolutions run faster on NHWC
// tensors (R50-FPN Faster R-CNN inference on the 2-core machine: see docs/benchmarks.md),
// and a convolution whose weight is channels-last returns a channels-last output, which the
// next layers (norms, activations, additions, nearest upsampling, the next convolution)
// keep. ToChannelsLast converts every 4-d parameter and buffer under `module` once, so the
// whole backbone, neck and heads run NHWC from the first convolution on, and RoIAlign reads
// the channels-last maps without a transpose. Values are unchanged; the results differ from
// NCHW execution by float rounding only (oneDNN sums in another order).
#ifndef MMDET_MODELS_LAYERS_MEMORY_FORMAT_H_
#define MMDET_MODELS_LAYERS_MEMORY_FORMAT_H_

#include <cstdint>

#include "torch/nn/module.h"

namespace mmdet::models {

// Returns how many tensors were converted.
int64_t ToChannelsLast(torch::nn::Module& module);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_LAYERS_MEMORY_FORMAT_H_
