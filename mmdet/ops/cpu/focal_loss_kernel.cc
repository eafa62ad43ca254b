// CPU kernels of mmdet::sigmoid_focal_loss and its backward (elementwise), and the fused
// _sigmoid_focal_loss_with_grad that training uses on the CPU: the loss and its derivative
// share every exp, log1p and pow, so computing both in the forward pass and keeping the
// derivative for the backward (one multiply) does the transcendental work once instead of
// twice, with the same numbers.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <tuple>

#include "mmdet/ops/focal_loss_checks.h"
#include "mmdet/ops/kernel_common.h"

namespace mmdet::ops {
namespace {

// Writes the loss (when `loss` is set) and grad * d loss / d logit (when `grad_in` is set;
// without `grad_out`, d loss / d logit itself). Rows of `classes` logits, split between
// threads by rows.
template <typename T>
void FocalLossImpl(const T* logits, const int64_t* labels, int64_t n, int64_t classes, T gamma,
                   T alpha, const T* grad_out, T* loss, T* grad_in) {
  const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(classes, 1));
  at::parallel_for(0, n, grain, [&](int64_t begin, int64_t end) {
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
