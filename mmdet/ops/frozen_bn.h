// relu(batch_norm(x) [+ residual]) for a BatchNorm in eval mode (MMDetection's norm_eval:
// frozen statistics, trained or frozen affine parameters) as one pass over the map, and its
// backward as one more: the ResNet blocks' bn -> ReLU and bn3 -> += identity -> ReLU.
//
// ATen runs these as two or three passes forward (native_batch_norm, add_, relu_) and two or
// three back (threshold_backward, native_batch_norm_backward), each reading and writing the
// whole map. The arithmetic is ATen's (LibTorch 1.13's CPU kernels, checked bit for bit by
// frozen_bn_test):
//   forward:  invstd = 1 / sqrt(var + eps) in float, alpha = invstd * weight,
//             beta = bias - mean * alpha (one rounding), y = x * alpha + beta (one rounding),
//             rounded to x's type; then + residual (rounded) and max(y, 0), NaN kept;
//   backward: g' = g where y is not <= 0, else 0; d residual = g';
//             dx = (g' * invstd') * weight with invstd' = float(1 / sqrt(double(var) + eps)),
//             rounded to x's type; d weight = sum(g' * (x - mean)) * invstd',
//             d bias = sum(g'), both summed in double (ATen sums in float, in another order:
//             the parameter gradients agree to float rounding, not bit for bit).
// So losses and input gradients are ATen's bits.
//
// x: a float32 or bfloat16 CPU tensor [N, C, H, W], contiguous (NCHW) or channels-last;
// weight, bias, running_mean, running_var: float32 [C]; residual (may be undefined): x's
// type, shape and layout. Returns nullopt where that does not hold (the caller runs ATen).
// Gradients flow to x, weight, bias and residual as each requires.
#ifndef MMDET_OPS_FROZEN_BN_H_
#define MMDET_OPS_FROZEN_BN_H_

#include <optional>

#include "ATen/ATen.h"

namespace mmdet::ops {

// On by default (off when the environment has MMDET_FROZEN_BN=0); off, FrozenBnRelu declines
// (tests and benchmarks: the same run on ATen's ops).
void SetFrozenBnEnabled(bool enabled);
bool FrozenBnEnabled();

std::optional<at::Tensor> FrozenBnRelu(const at::Tensor& x, const at::Tensor& weight,
                                       const at::Tensor& bias, const at::Tensor& running_mean,
                                       const at::Tensor& running_var, double eps,
                                       const at::Tensor& residual);

}  // namespace mmdet::ops

#endif  // MMDET_OPS_FROZEN_BN_H_
