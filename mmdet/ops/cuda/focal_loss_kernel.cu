// CUDA kernels of mmdet::sigmoid_focal_loss and its backward (elementwise).
#include <ATen/ATen.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <torch/library.h>

#include "mmdet/ops/focal_loss_checks.h"
#include "mmdet/ops/cuda/launch.h"
#include "mmdet/ops/kernel_common.h"

namespace mmdet::ops {
namespace {

using detail::kThreads;
using detail::NumBlocks;

template <typename T>
__global__ void FocalLossKernel(int64_t total, const T* logits, const int64_t* labels,
                                int64_t classes, T gamma, T alpha, const T* grad_out, T* loss,
                                T* grad_in) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    T grad = 0;
    const T value =
        detail::FocalLossTerm(logits[i], labels[i / classes] == i % classes, gamma, alpha, &grad);
    if (loss != nullptr) loss[i] = value;
    if (grad_in != nullptr) grad_in[i] = grad * grad_out[i];
  }
}

template <bool kBackward>
at::Tensor Run(const at::Tensor* grad, const at::Tensor& logits, const at::Tensor& labels,
               double gamma, double alpha) {
  TORCH_CHECK(logits.is_cuda(), "sigmoid_focal_loss: logits must be a CUDA tensor");
  detail::CheckFocalLossArgs(logits, labels);
  at::cuda::CUDAGuard guard(logits.device());
  at::Tensor out = at::empty_like(logits, at::MemoryFormat::Contiguous);
  const int64_t total = out.numel();
  if (total == 0) return out;
  at::Tensor x = logits.contiguous();
  at::Tensor y = labels.contiguous();
  at::Tensor g = kBackward ? grad->contiguous() : at::Tensor();
  cudaStream_t stream = at::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES(logits.scalar_type(), "sigmoid_focal_loss_cuda", [&] {
    FocalLossKernel<scalar_t><<<NumBlocks(total), kThreads, 0, stream>>>(
        total, x.data_ptr<scalar_t>(), y.data_ptr<int64_t>(), x.size(1),
        static_cast<scalar_t>(gamma), static_cast<scalar_t>(alpha),
        kBackward ? g.data_ptr<scalar_t>() : nullptr,
        kBackward ? nullptr : out.data_ptr<scalar_t>(),
        kBackward ? out.data_ptr<scalar_t>() : nullptr);
  });
  AT_CUDA_CHECK(cudaGetLastError());
  return out;
}

at::Tensor FocalLossCuda(const at::Tensor& logits, const at::Tensor& labels, double gamma,
                         double alpha) {
  return Run<false>(nullptr, logits, labels, gamma, alpha);
}

at::Tensor FocalLossBackwardCuda(const at::Tensor& grad, const at::Tensor& logits,
                                 const at::Tensor& labels, double gamma, double alpha) {
  TORCH_CHECK(grad.sizes() == logits.sizes(), "sigmoid_focal_loss backward: grad ", grad.sizes(),
              " must match logits ", logits.sizes());
  return Run<true>(&grad, logits, labels, gamma, alpha);
}

}  // namespace

TORCH_LIBRARY_IMPL(mmdet, CUDA, m) {
  m.impl("sigmoid_focal_loss", TORCH_FN(FocalLossCuda));
  m.impl("_sigmoid_focal_loss_backward", TORCH_FN(FocalLossBackwardCuda));
}

}  // namespace mmdet::ops
