// CPU kernels of mmdet::sigmoid_focal_loss and its backward (elementwise), and the fused
// _sigmoid_focal_loss_with_grad that training uses on the CPU: the loss and its derivative
// share every exp, log1p and pow, so computing both in the forward pass and keeping the
// derivative for the backward (one multiply) does the transcendental work once instead of
// twice, with the same numbers. Float with gamma 2 (every config's) takes a vectorised loop
// with inline exp / log1p (within ~2 ulp of glibc's; focal_loss_test holds both paths to the
// double-precision formula).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <type_traits>

#include "mmdet/ops/focal_loss_checks.h"
#include "mmdet/ops/cpu/vector_clones.h"
#include "mmdet/ops/kernel_common.h"

namespace mmdet::ops {
namespace {

// Float32, gamma 2 (every config's): FocalLossTerm with exp on (-inf, 0] and log1p on [0, 1]
// computed inline to within ~2 ulp of glibc's expf / log1pf (arithmetic and selects only, so
// GCC vectorises the class loop); the scalar loop calls those once per element, which
// dominated its time.
inline float Pow2(int32_t k) {  // 2^k for k in [-126, 127]
  const int32_t bits = (k + 127) << 23;
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

// exp(y) for y <= 0: y = n ln2 + r with |r| <= ln2 / 2, exp(r) by Cephes' expf polynomial,
// 2^n applied in two halves so that results below FLT_MIN come out subnormal, as expf's do.
inline float ExpNonPositive(float y) {
  y = y < -103.0f ? -103.0f : y;  // exp(-103) is below half the smallest subnormal
  const float t = y * 1.44269504088896341f;
  const float n = (t + 12582912.0f) - 12582912.0f;  // round to nearest: 1.5 * 2^23 trick
  float r = y - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const int32_t k = static_cast<int32_t>(n);
  const int32_t half = k / 2;
  return p * Pow2(half) * Pow2(k - half);
}

// log1p(e) for e in [0, 1]: 2 atanh(s) with s = e / (2 + e) <= 1/3, its odd series to s^15
// (the first term left out is below 2e-9 of the sum).
inline float Log1pUnit(float e) {
  const float s = e / (2.0f + e);
  const float w = s * s;
  float p = 1.0f / 15;
  p = p * w + 1.0f / 13;
  p = p * w + 1.0f / 11;
  p = p * w + 1.0f / 9;
  p = p * w + 1.0f / 7;
  p = p * w + 1.0f / 5;
  p = p * w + 1.0f / 3;
  p = p * w + 1.0f;
  return 2.0f * s * p;
}

struct InlineFloatMath {
  static float ExpNonPositive(float y) { return mmdet::ops::ExpNonPositive(y); }
  static float Log1pUnit(float e) { return mmdet::ops::Log1pUnit(e); }
};

// Rows [begin, end) of FocalLossImpl for float and gamma 2. Inlined into each clone below,
// so that each compiles it for its own vector unit (a shared copy would be baseline code).
template <bool kLoss, bool kGrad, bool kGradOut>
MMDET_ALWAYS_INLINE void FocalRowsGamma2Body(const float* logits, const int64_t* labels,
                                             int64_t begin, int64_t end, int32_t classes,
                                             float alpha, const float* grad_out, float* loss,
                                             float* grad_in) {
  for (int64_t row = begin; row < end; ++row) {
    const int64_t label64 = labels[row];
    // A label outside [0, classes) matches no class, as in the scalar loop.
    const int32_t label = label64 >= 0 && label64 < classes ? static_cast<int32_t>(label64) : -1;
    const int64_t offset = row * classes;
    const float* x = logits + offset;
    for (int32_t c = 0; c < classes; ++c) {
      float grad = 0.0f;
      const float value =
          detail::FocalLossTerm<float, InlineFloatMath>(x[c], c == label, 2.0f, alpha, &grad);
      if constexpr (kLoss) loss[offset + c] = value;
      if constexpr (kGrad) grad_in[offset + c] = kGradOut ? grad * grad_out[offset + c] : grad;
    }
  }
}

MMDET_VECTOR_CLONES void FocalRowsGamma2LossAndGrad(
    const float* logits, const int64_t* labels, int64_t begin, int64_t end, int32_t classes,
    float alpha, float* loss, float* grad_in) {
  FocalRowsGamma2Body<true, true, false>(logits, labels, begin, end, classes, alpha, nullptr,
                                         loss, grad_in);
}
MMDET_VECTOR_CLONES void FocalRowsGamma2Loss(
    const float* logits, const int64_t* labels, int64_t begin, int64_t end, int32_t classes,
    float alpha, float* loss) {
  FocalRowsGamma2Body<true, false, false>(logits, labels, begin, end, classes, alpha, nullptr,
                                          loss, nullptr);
}
MMDET_VECTOR_CLONES void FocalRowsGamma2Backward(
    const float* logits, const int64_t* labels, int64_t begin, int64_t end, int32_t classes,
    float alpha, const float* grad_out, float* grad_in) {
  FocalRowsGamma2Body<false, true, true>(logits, labels, begin, end, classes, alpha, grad_out,
                                         nullptr, grad_in);
}

// The vectorised rows for float and gamma 2; false when they do not apply.
template <typename T>
bool FocalRowsGamma2(const T* logits, const int64_t* labels, int64_t begin, int64_t end,
                     int64_t classes, T gamma, T alpha, const T* grad_out, T* loss, T* grad_in) {
  if constexpr (std::is_same_v<T, float>) {
    if (gamma != 2.0f || classes > INT32_MAX) return false;
    const int32_t c = static_cast<int32_t>(classes);
    if (grad_out != nullptr) {
      if (grad_in == nullptr || loss != nullptr) return false;
      FocalRowsGamma2Backward(logits, labels, begin, end, c, alpha, grad_out, grad_in);
    } else if (grad_in != nullptr) {
      if (loss == nullptr) return false;
      FocalRowsGamma2LossAndGrad(logits, labels, begin, end, c, alpha, loss, grad_in);
    } else {
      FocalRowsGamma2Loss(logits, labels, begin, end, c, alpha, loss);
    }
    return true;
  } else {
    return false;
  }
}

// Writes the loss (when `loss` is set) and grad * d loss / d logit (when `grad_in` is set;
// without `grad_out`, d loss / d logit itself). Rows of `classes` logits, split between
// threads by rows.
template <typename T>
void FocalLossImpl(const T* logits, const int64_t* labels, int64_t n, int64_t classes, T gamma,
                   T alpha, const T* grad_out, T* loss, T* grad_in) {
  const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(classes, 1));
  at::parallel_for(0, n, grain, [&](int64_t begin, int64_t end) {
    if (FocalRowsGamma2(logits, labels, begin, end, classes, gamma, alpha, grad_out, loss,
                        grad_in)) {
      return;
    }
    for (int64_t row = begin; row < end; ++row) {
      const int64_t label = labels[row];
      for (int64_t c = 0, i = row * classes; c < classes; ++c, ++i) {
        T grad = 0;
        const T value = detail::FocalLossTerm(logits[i], label == c, gamma, alpha, &grad);
        if (loss != nullptr) loss[i] = value;
        if (grad_in != nullptr) grad_in[i] = grad_out != nullptr ? grad * grad_out[i] : grad;
      }
    }
  });
}

at::Tensor FocalLossCpu(const at::Tensor& logits, const at::Tensor& labels, double gamma,
                        double alpha) {
  detail::CheckFocalLossArgs(logits, labels);
  at::Tensor loss = at::empty_like(logits, at::MemoryFormat::Contiguous);
  if (loss.numel() == 0) return loss;
  at::Tensor x = logits.contiguous();
  at::Tensor y = labels.contiguous();
  AT_DISPATCH_FLOATING_TYPES(logits.scalar_type(), "sigmoid_focal_loss_cpu", [&] {
    FocalLossImpl<scalar_t>(x.data_ptr<scalar_t>(), y.data_ptr<int64_t>(), x.size(0), x.size(1),
                            static_cast<scalar_t>(gamma), static_cast<scalar_t>(alpha), nullptr,
                            loss.data_ptr<scalar_t>(), nullptr);
  });
  return loss;
}

at::Tensor FocalLossBackwardCpu(const at::Tensor& grad, const at::Tensor& logits,
                                const at::Tensor& labels, double gamma, double alpha) {
  detail::CheckFocalLossArgs(logits, labels);
  TORCH_CHECK(grad.sizes() == logits.sizes(), "sigmoid_focal_loss backward: grad ", grad.sizes(),
              " must match logits ", logits.sizes());
  at::Tensor grad_in = at::empty_like(logits, at::MemoryFormat::Contiguous);
  if (grad_in.numel() == 0) return grad_in;
  at::Tensor x = logits.contiguous();
  at::Tensor y = labels.contiguous();
  at::Tensor g = grad.contiguous();
  AT_DISPATCH_FLOATING_TYPES(logits.scalar_type(), "sigmoid_focal_loss_backward_cpu", [&] {
    FocalLossImpl<scalar_t>(x.data_ptr<scalar_t>(), y.data_ptr<int64_t>(), x.size(0), x.size(1),
                            static_cast<scalar_t>(gamma), static_cast<scalar_t>(alpha),
                            g.data_ptr<scalar_t>(), nullptr, grad_in.data_ptr<scalar_t>());
  });
  return grad_in;
}

std::tuple<at::Tensor, at::Tensor> FocalLossWithGradCpu(const at::Tensor& logits,
                                                        const at::Tensor& labels, double gamma,
                                                        double alpha) {
  detail::CheckFocalLossArgs(logits, labels);
  at::Tensor loss = at::empty_like(logits, at::MemoryFormat::Contiguous);
  at::Tensor dlogit = at::empty_like(logits, at::MemoryFormat::Contiguous);
  if (loss.numel() == 0) return {loss, dlogit};
  at::Tensor x = logits.contiguous();
  at::Tensor y = labels.contiguous();
  AT_DISPATCH_FLOATING_TYPES(logits.scalar_type(), "sigmoid_focal_loss_with_grad_cpu", [&] {
    FocalLossImpl<scalar_t>(x.data_ptr<scalar_t>(), y.data_ptr<int64_t>(), x.size(0), x.size(1),
                            static_cast<scalar_t>(gamma), static_cast<scalar_t>(alpha), nullptr,
                            loss.data_ptr<scalar_t>(), dlogit.data_ptr<scalar_t>());
  });
  return {loss, dlogit};
}

}  // namespace

TORCH_LIBRARY_IMPL(mmdet, CPU, m) {
  m.impl("_sigmoid_focal_loss_with_grad", TORCH_FN(FocalLossWithGradCpu));
  m.impl("sigmoid_focal_loss", TORCH_FN(FocalLossCpu));
  m.impl("_sigmoid_focal_loss_backward", TORCH_FN(FocalLossBackwardCpu));
}

}  // namespace mmdet::ops
