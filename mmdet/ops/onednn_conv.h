// Inference convolutions through oneDNN's own API, with the epilogue fused: one primitive
// computes conv(x, weight) + bias [+ residual] [then ReLU] and writes the result once.
//
// ATen runs CPU float32 convolutions on the same oneDNN (Debian's libdnnl.so.2), but it
// reorders the weights into oneDNN's blocked layout on every call, and the residual addition
// and the ReLU that follow are two more passes over the output. Here the weights are reordered
// once (again only when they change) and the addition and the ReLU are oneDNN post-ops ("sum"
// and "eltwise_relu"), applied to each output tile while it is in cache. The arithmetic is
// ATen's: the same kernels accumulate in the same order, the bias is added before the sum,
// and the sum is the same single float addition, so the outputs are bit-identical to
// at::conv2d followed by add_ and relu_ (onednn_conv_test; golden_test for whole detectors).
//
// Under bfloat16 CPU autocast (test --bf16) it computes autocast's convolution: input,
// weight and bias rounded to bfloat16 as autocast rounds them, float accumulation, a bfloat16
// output, the ReLU fused; again the same bits as ATen. A residual sum is a second oneDNN
// primitive there (a binary add with the ReLU as its post-op, in place on the rounded
// output), ATen's add_ + relu_ in one pass: fused into the convolution, the sum would be
// rounded once instead of ATen's twice, and on the shapes BN model that moved bbox mAP by
// 0.2 points (0.084 -> 0.082).
//
// Applies only where that holds and nothing else is lost: no autograd (grad mode off), no
// autocast other than CPU bfloat16, a float32 (or, under autocast, bfloat16) CPU input in
// channels-last layout (the layout oneDNN's fast kernels read directly), float32 weights,
// groups 1, zero padding, ATen's oneDNN switch on, and a convolution ATen itself gives to
// oneDNN. Forward returns nullopt otherwise, and in builds without oneDNN's headers
// (MMDET_HAVE_ONEDNN unset: GPU machines), and the caller runs ATen.
//
// Winograd (off by default; SetOneDnnWinograd, test --winograd, MMDET_WINOGRAD=1): float32
// 3x3 convolutions of stride 1, undilated, without a residual sum, by oneDNN's Winograd
// algorithm (F(4x4, 3x3) / F(2x2, 3x3) tiles, "jit_wino_4x3" / "jit_fp32_wino_2x3", AVX-512
// CPUs only): ~1.7x faster on 256 channels, the input and output reordered to oneDNN's
// blocked layout around it. Not ATen's arithmetic: the results differ by rounding (~1e-6
// relative; onednn_conv_test WinogradCloseToAten). Where oneDNN has no Winograd kernel (AVX2
// CPUs, bfloat16, other shapes) the direct primitive runs, bit-identical as above.
#ifndef MMDET_OPS_ONEDNN_CONV_H_
#define MMDET_OPS_ONEDNN_CONV_H_

#include <cstdint>
#include <memory>
#include <optional>

#include "ATen/ATen.h"

namespace mmdet::ops {

// True when this build calls oneDNN directly.
bool OneDnnConvBuilt();

// On by default (off when the environment has MMDET_ONEDNN_CONV=0); off, every Forward
// declines (benchmarks, and tools run that way: the same run on ATen's convolutions).
void SetOneDnnConvEnabled(bool enabled);
bool OneDnnConvEnabled();

// Off by default (on when the environment has MMDET_WINOGRAD=1); see above.
void SetOneDnnWinograd(bool enabled);
bool OneDnnWinogradEnabled();
// How many Forward calls of all OneDnnConvs ran a Winograd primitive so far (tests, tools).
int64_t OneDnnWinogradRuns();

// One convolution's prepared state: its reordered weights and its primitives, one per input
// shape seen (the most recent few are kept). Cheap to construct; not copyable state (copies
// share it). Thread-safe.
class OneDnnConv {
 public:
  OneDnnConv();
  ~OneDnnConv();

  // conv2d(x, weight, bias, stride, padding, dilation) [+ residual] [then ReLU], as a new
  // channels-last tensor, or nullopt where this path does not apply (see above). `bias` and
  // `residual` may be undefined; a residual must have the output's shape and type. With
  // `overwrite_residual` (a residual only the caller holds) a channels-last residual's own
  // memory receives the result, which is then the residual itself: no copy.
  std::optional<at::Tensor> Forward(const at::Tensor& x, const at::Tensor& weight,
                                    const at::Tensor& bias, at::IntArrayRef stride,
                                    at::IntArrayRef padding, at::IntArrayRef dilation,
                                    int64_t groups, const at::Tensor& residual, bool relu,
                                    bool overwrite_residual = false);

  // How many times the weights were reordered (tests: once per weight change).
  int64_t weight_reorders() const;

  // How many Forward calls ran a Winograd primitive (tests).
  int64_t winograd_runs() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace mmdet::ops

#endif  // MMDET_OPS_ONEDNN_CONV_H_
