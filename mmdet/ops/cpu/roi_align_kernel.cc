// CPU kernels of mmdet::roi_align and its backward, parallel over RoIs.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <vector>

#include "mmdet/ops/kernel_common.h"
#include "mmdet/ops/roi_checks.h"

namespace mmdet::ops {
namespace {

// The bilinear taps of every sample of every bin of one RoI, bin-major; they depend on the
// RoI's geometry only, so forward and backward compute them once per RoI, not per channel.
template <typename T>
void ComputeRoiTaps(const detail::RoiGeometry<T>& g, int height, int width, int pooled_height,
                    int pooled_width, std::vector<detail::BilinearTaps<T>>* taps) {
  taps->resize(static_cast<size_t>(pooled_height) * pooled_width * g.grid_h * g.grid_w);
  auto* tap = taps->data();
  for (int ph = 0; ph < pooled_height; ++ph) {
    for (int pw = 0; pw < pooled_width; ++pw) {
      for (int iy = 0; iy < g.grid_h; ++iy) {
        const T y = g.SampleY(ph, iy);
        for (int ix = 0; ix < g.grid_w; ++ix) {
          *tap++ = detail::ComputeBilinearTaps(height, width, y, g.SampleX(pw, ix));
        }
      }
    }
  }
}

template <typename T>
void RoiAlignForwardImpl(const T* input, const T* rois, int64_t num_rois, int channels,
                         int height, int width, T spatial_scale, int pooled_height,
                         int pooled_width, int sampling_ratio, bool aligned, T* output) {
  at::parallel_for(0, num_rois, 1, [&](int64_t begin, int64_t end) {
    std::vector<detail::BilinearTaps<T>> taps;
    for (int64_t n = begin; n < end; ++n) {
      const T* roi = rois + n * 5;
      const int64_t batch = static_cast<int64_t>(roi[0]);
      const auto g = detail::ComputeRoiGeometry(roi, spatial_scale, pooled_height, pooled_width,
                                                sampling_ratio, aligned);
      const int samples = g.grid_h * g.grid_w;
      ComputeRoiTaps(g, height, width, pooled_height, pooled_width, &taps);
      for (int c = 0; c < channels; ++c) {
        const T* plane = input + (batch * channels + c) * height * width;
        T* out = output + ((n * channels + c) * pooled_height) * pooled_width;
        const auto* t = taps.data();
        for (int bin = 0; bin < pooled_height * pooled_width; ++bin) {
          T sum = 0;
          for (int s = 0; s < samples; ++s, ++t) {
            if (!t->valid) continue;
            sum += t->w1 * plane[t->y_low * width + t->x_low] +
                   t->w2 * plane[t->y_low * width + t->x_high] +
                   t->w3 * plane[t->y_high * width + t->x_low] +
                   t->w4 * plane[t->y_high * width + t->x_high];
          }
          out[bin] = sum / g.count;
        }
      }
    }
  });
}

// RoIs are visited in order (several RoIs add into the same gradient plane); the channels
// of one RoI write disjoint planes, so they run in parallel.
template <typename T>
void RoiAlignBackwardImpl(const T* grad, const T* rois, int64_t num_rois, int channels,
                          int height, int width, T spatial_scale, int pooled_height,
                          int pooled_width, int sampling_ratio, bool aligned, T* grad_input,
                          int64_t grad_stride_n, int64_t grad_stride_c, int64_t grad_stride_h,
                          int64_t grad_stride_w) {
  std::vector<detail::BilinearTaps<T>> taps;
  for (int64_t n = 0; n < num_rois; ++n) {
    const T* roi = rois + n * 5;
    const int64_t batch = static_cast<int64_t>(roi[0]);
    const auto g = detail::ComputeRoiGeometry(roi, spatial_scale, pooled_height, pooled_width,
                                              sampling_ratio, aligned);
    const int samples = g.grid_h * g.grid_w;
    ComputeRoiTaps(g, height, width, pooled_height, pooled_width, &taps);
    at::parallel_for(0, channels, 8, [&](int64_t c_begin, int64_t c_end) {
      for (int64_t c = c_begin; c < c_end; ++c) {
        T* plane = grad_input + (batch * channels + c) * height * width;
        const T* g_plane = grad + n * grad_stride_n + c * grad_stride_c;
        const auto* t = taps.data();
        for (int ph = 0; ph < pooled_height; ++ph) {
          for (int pw = 0; pw < pooled_width; ++pw) {
            const T g_out = g_plane[ph * grad_stride_h + pw * grad_stride_w] / g.count;
            for (int s = 0; s < samples; ++s, ++t) {
              if (!t->valid) continue;
              plane[t->y_low * width + t->x_low] += g_out * t->w1;
              plane[t->y_low * width + t->x_high] += g_out * t->w2;
              plane[t->y_high * width + t->x_low] += g_out * t->w3;
              plane[t->y_high * width + t->x_high] += g_out * t->w4;
            }
          }
        }
      }
    });
  }
}

at::Tensor RoiAlignCpu(const at::Tensor& input, const at::Tensor& rois, double spatial_scale,
                       int64_t pooled_height, int64_t pooled_width, int64_t sampling_ratio,
                       bool aligned) {
  detail::CheckRoiArgs("roi_align", input, rois, pooled_height, pooled_width);
  const int64_t num_rois = rois.size(0);
  const int64_t channels = input.size(1);
  at::Tensor output = at::zeros({num_rois, channels, pooled_height, pooled_width},
                                input.options());
  if (output.numel() == 0) return output;
  at::Tensor input_c = input.contiguous();
  at::Tensor rois_c = rois.contiguous();
  AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "roi_align_forward_cpu", [&] {
    RoiAlignForwardImpl<scalar_t>(input_c.data_ptr<scalar_t>(), rois_c.data_ptr<scalar_t>(),
                                 num_rois, channels, input.size(2), input.size(3),
                                 static_cast<scalar_t>(spatial_scale), pooled_height,
                                 pooled_width, sampling_ratio, aligned,
                                 output.data_ptr<scalar_t>());
  });
  return output;
}

at::Tensor RoiAlignBackwardCpu(const at::Tensor& grad, const at::Tensor& rois,
                               double spatial_scale, int64_t pooled_height,
                               int64_t pooled_width, int64_t batch_size, int64_t channels,
                               int64_t height, int64_t width, int64_t sampling_ratio,
                               bool aligned) {
  TORCH_CHECK(rois.dim() == 2 && rois.size(1) == 5, "roi_align backward: rois must be [K, 5]");
  TORCH_CHECK(grad.dim() == 4 && grad.size(0) == rois.size(0),
              "roi_align backward: grad must be [K, C, PH, PW], got ", grad.sizes());
  at::Tensor grad_input = at::zeros({batch_size, channels, height, width}, grad.options());
  if (grad.numel() == 0) return grad_input;
  at::Tensor rois_c = rois.contiguous();
  AT_DISPATCH_FLOATING_TYPES(grad.scalar_type(), "roi_align_backward_cpu", [&] {
    RoiAlignBackwardImpl<scalar_t>(grad.data_ptr<scalar_t>(), rois_c.data_ptr<scalar_t>(),
                                  rois.size(0), channels, height, width,
                                  static_cast<scalar_t>(spatial_scale), pooled_height,
                                  pooled_width, sampling_ratio, aligned,
                                  grad_input.data_ptr<scalar_t>(), grad.stride(0),
                                  grad.stride(1), grad.stride(2), grad.stride(3));
  });
  return grad_input;
}

}  // namespace

TORCH_LIBRARY_IMPL(mmdet, CPU, m) {
  m.impl("roi_align", TORCH_FN(RoiAlignCpu));
  m.impl("_roi_align_backward", TORCH_FN(RoiAlignBackwardCpu));
}

}  // namespace mmdet::ops
