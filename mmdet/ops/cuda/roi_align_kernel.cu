// CUDA kernels of mmdet::roi_align and its backward: one thread per output element; the
// backward scatters with atomic adds. Same geometry code as the CPU kernel.
#include <ATen/ATen.h>
#include <ATen/cuda/Atomic.cuh>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <torch/library.h>

#include "mmdet/ops/cuda/launch.h"
#include "mmdet/ops/kernel_common.h"
#include "mmdet/ops/roi_checks.h"

namespace mmdet::ops {
namespace {

using detail::kThreads;
using detail::NumBlocks;

template <typename T>
__global__ void RoiAlignForwardKernel(int64_t total, const T* input, const T* rois,
                                      int channels, int height, int width, T spatial_scale,
                                      int pooled_height, int pooled_width, int sampling_ratio,
                                      bool aligned, T* output) {
  for (int64_t index = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
       index < total; index += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int pw = index % pooled_width;
    const int ph = (index / pooled_width) % pooled_height;
    const int c = (index / pooled_width / pooled_height) % channels;
    const int64_t n = index / pooled_width / pooled_height / channels;
    const T* roi = rois + n * 5;
    const int64_t batch = static_cast<int64_t>(roi[0]);
    const auto g = detail::ComputeRoiGeometry(roi, spatial_scale, pooled_height, pooled_width,
                                              sampling_ratio, aligned);
    const T* plane = input + (batch * channels + c) * height * width;
    T sum = 0;
    for (int iy = 0; iy < g.grid_h; ++iy) {
      const T y = g.SampleY(ph, iy);
      for (int ix = 0; ix < g.grid_w; ++ix) {
        const T x = g.SampleX(pw, ix);
        const auto t = detail::ComputeBilinearTaps(height, width, y, x);
        if (!t.valid) continue;
        sum += t.w1 * plane[t.y_low * width + t.x_low] + t.w2 * plane[t.y_low * width + t.x_high] +
               t.w3 * plane[t.y_high * width + t.x_low] +
               t.w4 * plane[t.y_high * width + t.x_high];
      }
    }
    output[index] = sum / g.count;
  }
}

template <typename T>
__global__ void RoiAlignBackwardKernel(int64_t total, const T* grad, const T* rois,
                                       int channels, int height, int width, T spatial_scale,
                                       int pooled_height, int pooled_width, int sampling_ratio,
                                       bool aligned, T* grad_input, int64_t stride_n,
                                       int64_t stride_c, int64_t stride_h, int64_t stride_w) {
  for (int64_t index = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
       index < total; index += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int pw = index % pooled_width;
    const int ph = (index / pooled_width) % pooled_height;
    const int c = (index / pooled_width / pooled_height) % channels;
    const int64_t n = index / pooled_width / pooled_height / channels;
    const T* roi = rois + n * 5;
    const int64_t batch = static_cast<int64_t>(roi[0]);
    const auto g = detail::ComputeRoiGeometry(roi, spatial_scale, pooled_height, pooled_width,
                                              sampling_ratio, aligned);
    T* plane = grad_input + (batch * channels + c) * height * width;
    const T g_out = grad[n * stride_n + c * stride_c + ph * stride_h + pw * stride_w] / g.count;
    for (int iy = 0; iy < g.grid_h; ++iy) {
      const T y = g.SampleY(ph, iy);
      for (int ix = 0; ix < g.grid_w; ++ix) {
        const T x = g.SampleX(pw, ix);
        const auto t = detail::ComputeBilinearTaps(height, width, y, x);
        if (!t.valid) continue;
        gpuAtomicAdd(plane + t.y_low * width + t.x_low, static_cast<T>(g_out * t.w1));
        gpuAtomicAdd(plane + t.y_low * width + t.x_high, static_cast<T>(g_out * t.w2));
        gpuAtomicAdd(plane + t.y_high * width + t.x_low, static_cast<T>(g_out * t.w3));
        gpuAtomicAdd(plane + t.y_high * width + t.x_high, static_cast<T>(g_out * t.w4));
      }
    }
  }
}

at::Tensor RoiAlignCuda(const at::Tensor& input, const at::Tensor& rois, double spatial_scale,
                        int64_t pooled_height, int64_t pooled_width, int64_t sampling_ratio,
                        bool aligned) {
  TORCH_CHECK(input.is_cuda(), "roi_align: input must be a CUDA tensor");
  detail::CheckRoiArgs("roi_align", input, rois, pooled_height, pooled_width);
  at::cuda::CUDAGuard guard(input.device());
  const int64_t channels = input.size(1);
  at::Tensor output =
      at::zeros({rois.size(0), channels, pooled_height, pooled_width}, input.options());
  const int64_t total = output.numel();
  if (total == 0) return output;
  at::Tensor input_c = input.contiguous();
  at::Tensor rois_c = rois.contiguous();
  cudaStream_t stream = at::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "roi_align_forward_cuda", [&] {
    RoiAlignForwardKernel<scalar_t><<<NumBlocks(total), kThreads, 0, stream>>>(
        total, input_c.data_ptr<scalar_t>(), rois_c.data_ptr<scalar_t>(), channels,
        input.size(2), input.size(3), static_cast<scalar_t>(spatial_scale), pooled_height,
        pooled_width, sampling_ratio, aligned, output.data_ptr<scalar_t>());
  });
  AT_CUDA_CHECK(cudaGetLastError());
  return output;
}

at::Tensor RoiAlignBackwardCuda(const at::Tensor& grad, const at::Tensor& rois,
                                double spatial_scale, int64_t pooled_height,
                                int64_t pooled_width, int64_t batch_size, int64_t channels,
                                int64_t height, int64_t width, int64_t sampling_ratio,
                                bool aligned, bool channels_last) {
  TORCH_CHECK(grad.is_cuda() && rois.is_cuda(), "roi_align backward: CUDA tensors expected");
  // channels_last: the gradient in the feature map's NHWC layout (the kernel writes NCHW).
  const auto layout = channels_last ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  TORCH_CHECK(grad.dim() == 4 && grad.size(0) == rois.size(0),
              "roi_align backward: grad must be [K, C, PH, PW], got ", grad.sizes());
  at::cuda::CUDAGuard guard(grad.device());
  at::Tensor grad_input = at::zeros({batch_size, channels, height, width}, grad.options());
  const int64_t total = grad.numel();
  if (total == 0) return grad_input.contiguous(layout);
  at::Tensor rois_c = rois.contiguous();
  cudaStream_t stream = at::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES(grad.scalar_type(), "roi_align_backward_cuda", [&] {
    RoiAlignBackwardKernel<scalar_t><<<NumBlocks(total), kThreads, 0, stream>>>(
        total, grad.data_ptr<scalar_t>(), rois_c.data_ptr<scalar_t>(), channels, height, width,
        static_cast<scalar_t>(spatial_scale), pooled_height, pooled_width, sampling_ratio,
        aligned, grad_input.data_ptr<scalar_t>(), grad.stride(0), grad.stride(1),
        grad.stride(2), grad.stride(3));
  });
  AT_CUDA_CHECK(cudaGetLastError());
  return grad_input.contiguous(layout);
}

}  // namespace

TORCH_LIBRARY_IMPL(mmdet, CUDA, m) {
  m.impl("roi_align", TORCH_FN(RoiAlignCuda));
  m.impl("_roi_align_backward", TORCH_FN(RoiAlignBackwardCuda));
}

}  // namespace mmdet::ops
