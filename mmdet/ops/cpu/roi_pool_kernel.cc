// CPU kernels of mmdet::roi_pool and its backward.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <limits>
#include <tuple>

#include "mmdet/ops/kernel_common.h"
#include "mmdet/ops/roi_checks.h"

namespace mmdet::ops {
namespace {

template <typename T>
void RoiPoolForwardImpl(const T* input, const T* rois, int64_t num_rois, int channels,
                        int height, int width, T spatial_scale, int pooled_height,
                        int pooled_width, T* output, int64_t* argmax) {
  at::parallel_for(0, num_rois, 1, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      const T* roi = rois + n * 5;
      const int64_t batch = static_cast<int64_t>(roi[0]);
      for (int ph = 0; ph < pooled_height; ++ph) {
        for (int pw = 0; pw < pooled_width; ++pw) {
          const auto win = detail::ComputePoolWindow(roi, spatial_scale, height, width,
                                                     pooled_height, pooled_width, ph, pw);
          for (int c = 0; c < channels; ++c) {
            const T* plane = input + (batch * channels + c) * height * width;
            T best = win.empty() ? T(0) : std::numeric_limits<T>::lowest();
            int64_t best_index = -1;
            for (int h = win.h_start; h < win.h_end; ++h) {
              for (int w = win.w_start; w < win.w_end; ++w) {
                if (plane[h * width + w] > best) {
                  best = plane[h * width + w];
                  best_index = h * width + w;
                }
              }
            }
            const int64_t out = ((n * channels + c) * pooled_height + ph) * pooled_width + pw;
            output[out] = best;
            argmax[out] = best_index;
          }
        }
      }
    }
  });
}

std::tuple<at::Tensor, at::Tensor> RoiPoolCpu(const at::Tensor& input, const at::Tensor& rois,
                                              double spatial_scale, int64_t pooled_height,
                                              int64_t pooled_width) {
  detail::CheckRoiArgs("roi_pool", input, rois, pooled_height, pooled_width);
  const int64_t channels = input.size(1);
  at::Tensor output =
      at::zeros({rois.size(0), channels, pooled_height, pooled_width}, input.options());
  at::Tensor argmax = at::full_like(output, -1, output.options().dtype(at::kLong));
  if (output.numel() == 0) return {output, argmax};
  at::Tensor input_c = input.contiguous();
  at::Tensor rois_c = rois.contiguous();
  AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "roi_pool_forward_cpu", [&] {
    RoiPoolForwardImpl<scalar_t>(input_c.data_ptr<scalar_t>(), rois_c.data_ptr<scalar_t>(),
                                 rois.size(0), channels, input.size(2), input.size(3),
                                 static_cast<scalar_t>(spatial_scale), pooled_height,
                                 pooled_width, output.data_ptr<scalar_t>(),
                                 argmax.data_ptr<int64_t>());
  });
  return {output, argmax};
}

at::Tensor RoiPoolBackwardCpu(const at::Tensor& grad, const at::Tensor& rois,
                              const at::Tensor& argmax, double spatial_scale,
                              int64_t pooled_height, int64_t pooled_width, int64_t batch_size,
                              int64_t channels, int64_t height, int64_t width) {
  TORCH_CHECK(grad.sizes() == argmax.sizes(), "roi_pool backward: grad ", grad.sizes(),
              " and argmax ", argmax.sizes(), " must have the same shape");
  at::Tensor grad_input = at::zeros({batch_size, channels, height, width}, grad.options());
  if (grad.numel() == 0) return grad_input;
  at::Tensor rois_c = rois.contiguous();
  at::Tensor argmax_c = argmax.contiguous();
  at::Tensor grad_c = grad.contiguous();
  AT_DISPATCH_FLOATING_TYPES(grad.scalar_type(), "roi_pool_backward_cpu", [&] {
    const scalar_t* g = grad_c.data_ptr<scalar_t>();
    const scalar_t* r = rois_c.data_ptr<scalar_t>();
    const int64_t* am = argmax_c.data_ptr<int64_t>();
    scalar_t* gi = grad_input.data_ptr<scalar_t>();
    const int64_t bins = pooled_height * pooled_width;
    for (int64_t n = 0; n < rois.size(0); ++n) {
      const int64_t batch = static_cast<int64_t>(r[n * 5]);
      for (int64_t c = 0; c < channels; ++c) {
        scalar_t* plane = gi + (batch * channels + c) * height * width;
        const int64_t base = (n * channels + c) * bins;
        for (int64_t b = 0; b < bins; ++b) {
          if (am[base + b] >= 0) plane[am[base + b]] += g[base + b];
        }
      }
    }
  });
  return grad_input;
}

}  // namespace

TORCH_LIBRARY_IMPL(mmdet, CPU, m) {
  m.impl("roi_pool", TORCH_FN(RoiPoolCpu));
  m.impl("_roi_pool_backward", TORCH_FN(RoiPoolBackwardCpu));
}

}  // namespace mmdet::ops
