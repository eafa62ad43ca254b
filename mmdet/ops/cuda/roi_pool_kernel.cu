// CUDA kernels of mmdet::roi_pool and its backward: one thread per output element.
#include <ATen/ATen.h>
#include <ATen/cuda/Atomic.cuh>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <torch/library.h>

#include <tuple>

#include "mmdet/ops/cuda/launch.h"
#include "mmdet/ops/kernel_common.h"
#include "mmdet/ops/roi_checks.h"

namespace mmdet::ops {
namespace {

using detail::kThreads;
using detail::NumBlocks;

template <typename T>
__global__ void RoiPoolForwardKernel(int64_t total, const T* input, const T* rois, int channels,
                                     int height, int width, T spatial_scale, int pooled_height,
                                     int pooled_width, T* output, int64_t* argmax) {
  for (int64_t index = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
       index < total; index += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int pw = index % pooled_width;
    const int ph = (index / pooled_width) % pooled_height;
    const int c = (index / pooled_width / pooled_height) % channels;
    const int64_t n = index / pooled_width / pooled_height / channels;
    const T* roi = rois + n * 5;
    const int64_t batch = static_cast<int64_t>(roi[0]);
    const auto win = detail::ComputePoolWindow(roi, spatial_scale, height, width, pooled_height,
                                               pooled_width, ph, pw);
    const T* plane = input + (batch * channels + c) * height * width;
    T best = win.empty() ? T(0) : T(-3.402823466e+38);
    int64_t best_index = -1;
    for (int h = win.h_start; h < win.h_end; ++h) {
      for (int w = win.w_start; w < win.w_end; ++w) {
        if (plane[h * width + w] > best) {
          best = plane[h * width + w];
          best_index = h * width + w;
        }
      }
    }
    output[index] = best;
    argmax[index] = best_index;
  }
}

template <typename T>
__global__ void RoiPoolBackwardKernel(int64_t total, const T* grad, const int64_t* argmax,
                                      const T* rois, int channels, int height, int width,
                                      int bins, T* grad_input) {
  for (int64_t index = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
       index < total; index += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t target = argmax[index];
    if (target < 0) continue;
    const int c = (index / bins) % channels;
    const int64_t n = index / bins / channels;
    const int64_t batch = static_cast<int64_t>(rois[n * 5]);
    gpuAtomicAdd(grad_input + (batch * channels + c) * height * width + target, grad[index]);
  }
}

std::tuple<at::Tensor, at::Tensor> RoiPoolCuda(const at::Tensor& input, const at::Tensor& rois,
                                               double spatial_scale, int64_t pooled_height,
                                               int64_t pooled_width) {
  TORCH_CHECK(input.is_cuda(), "roi_pool: input must be a CUDA tensor");
  detail::CheckRoiArgs("roi_pool", input, rois, pooled_height, pooled_width);
  at::cuda::CUDAGuard guard(input.device());
  at::Tensor output =
      at::zeros({rois.size(0), input.size(1), pooled_height, pooled_width}, input.options());
  at::Tensor argmax = at::full_like(output, -1, output.options().dtype(at::kLong));
  const int64_t total = output.numel();
  if (total == 0) return {output, argmax};
  at::Tensor input_c = input.contiguous();
  at::Tensor rois_c = rois.contiguous();
  cudaStream_t stream = at::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "roi_pool_forward_cuda", [&] {
    RoiPoolForwardKernel<scalar_t><<<NumBlocks(total), kThreads, 0, stream>>>(
        total, input_c.data_ptr<scalar_t>(), rois_c.data_ptr<scalar_t>(), input.size(1),
        input.size(2), input.size(3), static_cast<scalar_t>(spatial_scale), pooled_height,
        pooled_width, output.data_ptr<scalar_t>(), argmax.data_ptr<int64_t>());
  });
  AT_CUDA_CHECK(cudaGetLastError());
  return {output, argmax};
}

at::Tensor RoiPoolBackwardCuda(const at::Tensor& grad, const at::Tensor& rois,
                               const at::Tensor& argmax, double spatial_scale,
                               int64_t pooled_height, int64_t pooled_width, int64_t batch_size,
                               int64_t channels, int64_t height, int64_t width) {
  TORCH_CHECK(grad.is_cuda() && rois.is_cuda() && argmax.is_cuda(),
              "roi_pool backward: CUDA tensors expected");
  TORCH_CHECK(grad.sizes() == argmax.sizes(), "roi_pool backward: grad ", grad.sizes(),
              " and argmax ", argmax.sizes(), " must have the same shape");
  at::cuda::CUDAGuard guard(grad.device());
  at::Tensor grad_input = at::zeros({batch_size, channels, height, width}, grad.options());
  const int64_t total = grad.numel();
  if (total == 0) return grad_input;
  at::Tensor grad_c = grad.contiguous();
  at::Tensor argmax_c = argmax.contiguous();
  at::Tensor rois_c = rois.contiguous();
  cudaStream_t stream = at::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES(grad.scalar_type(), "roi_pool_backward_cuda", [&] {
    RoiPoolBackwardKernel<scalar_t><<<NumBlocks(total), kThreads, 0, stream>>>(
        total, grad_c.data_ptr<scalar_t>(), argmax_c.data_ptr<int64_t>(),
        rois_c.data_ptr<scalar_t>(), channels, height, width,
        static_cast<int>(pooled_height * pooled_width), grad_input.data_ptr<scalar_t>());
  });
  AT_CUDA_CHECK(cudaGetLastError());
  return grad_input;
}

}  // namespace

TORCH_LIBRARY_IMPL(mmdet, CUDA, m) {
  m.impl("roi_pool", TORCH_FN(RoiPoolCuda));
  m.impl("_roi_pool_backward", TORCH_FN(RoiPoolBackwardCuda));
}

}  // namespace mmdet::ops
