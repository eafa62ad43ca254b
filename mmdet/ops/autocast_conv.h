// Training 1x1 convolutions under CPU bfloat16 autocast (train --bf16) whose weight gradient
// is one oneDNN matmul instead of oneDNN's convolution backward-weights kernel.
//
// A 1x1 convolution's weight gradient is a plain GEMM over the channels-last maps:
// dW[oc][ic] = sum over (n, y, x) of dY[n][y][x][oc] * X[n][y*s][x*s][ic]. oneDNN 2.6's
// convolution backward-weights kernel for bfloat16 NHWC runs it at float32 speed (about
// 240 GFLOP/s on AMX, a sixth of the forward convolution's rate); its bfloat16 matmul runs
// the same sums at 700-1100 GFLOP/s. (The 3x3 convolutions' kernel is 2.5x faster than the
// 1x1 one and nine shifted GEMMs would barely beat it, so they stay ATen's; so does float32,
// where oneDNN's matmul is no faster than its convolution kernels.)
//
// What is computed is autocast's convolution: forward and input gradient are ATen's own
// calls on the bfloat16-rounded input, weight and bias (the same bits), a bfloat16 output.
// The weight and bias gradients are float sums of the same bfloat16 products, returned in
// float32 (ATen rounds them to bfloat16 before its cast back to the float32 parameter;
// here they keep float precision).
//
// Applies only where that holds: grad mode on and a float32 weight that requires grad,
// CPU bfloat16 autocast, a float32 or bfloat16 CPU input in channels-last layout, a 1x1
// kernel with zero padding, dilation 1, groups 1, ATen's oneDNN switch and
// mmdet/ops/onednn_conv's switch on (MMDET_ONEDNN_CONV=0 turns both paths off), and a CPU
// with a bfloat16 matmul. Returns nullopt otherwise, and in builds without oneDNN's headers;
// the caller then runs ATen.
#ifndef MMDET_OPS_AUTOCAST_CONV_H_
#define MMDET_OPS_AUTOCAST_CONV_H_

#include <optional>

#include "ATen/ATen.h"

namespace mmdet::ops {

std::optional<at::Tensor> AutocastTrainConv1x1(const at::Tensor& x, const at::Tensor& weight,
                                               const at::Tensor& bias, at::IntArrayRef stride,
                                               at::IntArrayRef padding, at::IntArrayRef dilation,
                                               int64_t groups);

// dW = sum over the pixels of grad_out^T * x for a 1x1 convolution: `grad_out` [N, OC, H, W]
// and `x` [N, IC, H, W], both bfloat16 channels-last with the same spatial size; a float32
// [OC, IC, 1, 1] result. Exposed for tests and benchmarks; nullopt where oneDNN cannot.
std::optional<at::Tensor> Conv1x1WeightGrad(const at::Tensor& grad_out, const at::Tensor& x);

}  // namespace mmdet::ops

#endif  // MMDET_OPS_AUTOCAST_CONV_H_
