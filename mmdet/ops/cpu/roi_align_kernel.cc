// CPU kernels of mmdet::roi_align and its backward.
//
// Two layouts, the same arithmetic. Both compute the bilinear taps of a RoI once. The
// channel-major path (NCHW, as torchvision's and mmcv's CPU kernels) then walks the taps
// once per channel with four scattered loads per tap. The channels-last path reads the map
// as [B, H, W, C]. Each tap is then four contiguous rows of C values, one vectorised
// multiply-add over the channels. This costs one transpose of the map, so it is taken when
// the RoIs sample the map enough to pay for that, or when the map already is channels-last.
// Every output and gradient element sees the same products added in the same order on both
// paths, so the results are bit-identical (roi_align_test checks it);
// docs/benchmarks.md has the figures.
#include "mmdet/ops/cpu/roi_align_kernel.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "mmdet/ops/cpu/vector_clones.h"
#include "mmdet/ops/kernel_common.h"
#include "mmdet/ops/roi_checks.h"

namespace mmdet::ops {
namespace {

// acc[c] += w1 * p1[c] + w2 * p2[c] + w3 * p3[c] + w4 * p4[c], the channel-major path's
// expression per channel.
MMDET_VECTOR_CLONES void AddTaps(
    float* __restrict acc, const float* p1, const float* p2, const float* p3, const float* p4,
    float w1, float w2, float w3, float w4, int64_t n) {
  for (int64_t c = 0; c < n; ++c) acc[c] += w1 * p1[c] + w2 * p2[c] + w3 * p3[c] + w4 * p4[c];
}
void AddTaps(double* __restrict acc, const double* p1, const double* p2, const double* p3,
             const double* p4, double w1, double w2, double w3, double w4, int64_t n) {
  for (int64_t c = 0; c < n; ++c) acc[c] += w1 * p1[c] + w2 * p2[c] + w3 * p3[c] + w4 * p4[c];
}

// dst[c] += g[c] * w.
MMDET_VECTOR_CLONES void AddScaled(float* __restrict dst, const float* __restrict g, float w,
                                   int64_t n) {
  for (int64_t c = 0; c < n; ++c) dst[c] += g[c] * w;
}
void AddScaled(double* __restrict dst, const double* __restrict g, double w, int64_t n) {
  for (int64_t c = 0; c < n; ++c) dst[c] += g[c] * w;
}

// Whether the channels-last path pays for its transpose(s) of the B x H x W map: each
// sample costs the channel-major path four scattered loads per channel, the transpose one
// move per map element and channel. `samples` is exact for a fixed sampling_ratio and a
// typical 2 x 2 otherwise.
std::atomic<RoiAlignCpuLayout> forced_layout{RoiAlignCpuLayout::kAuto};

bool UseChannelsLast(int64_t batch, int64_t channels, int64_t height, int64_t width,
                     bool already_channels_last, int64_t num_rois, int64_t pooled_height,
                     int64_t pooled_width, int64_t sampling_ratio) {
  const RoiAlignCpuLayout forced = forced_layout.load();
  if (forced != RoiAlignCpuLayout::kAuto) return forced == RoiAlignCpuLayout::kChannelsLast;
  if (channels < 4) return false;
  if (already_channels_last) return true;
  const int64_t samples = sampling_ratio > 0 ? sampling_ratio * sampling_ratio : 4;
  return num_rois * pooled_height * pooled_width * samples * 3 >= batch * height * width;
}

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

// RoI n of `rois`: its image, its geometry on the map and the bilinear taps of its samples
// (into *taps), what every kernel below starts each RoI with.
template <typename T>
struct RoiSamples {
  int64_t batch;
  detail::RoiGeometry<T> g;
  int samples;  // per output bin
};

template <typename T>
RoiSamples<T> SampleRoi(const T* rois, int64_t n, T spatial_scale, int pooled_height,
                        int pooled_width, int sampling_ratio, bool aligned, int height, int width,
                        std::vector<detail::BilinearTaps<T>>* taps) {
  const T* roi = rois + n * 5;
  RoiSamples<T> r;
  r.batch = static_cast<int64_t>(roi[0]);
  r.g = detail::ComputeRoiGeometry(roi, spatial_scale, pooled_height, pooled_width,
                                   sampling_ratio, aligned);
  r.samples = r.g.grid_h * r.g.grid_w;
  ComputeRoiTaps(r.g, height, width, pooled_height, pooled_width, taps);
  return r;
}

template <typename T>
void RoiAlignForwardImpl(const T* input, const T* rois, int64_t num_rois, int channels,
                         int height, int width, T spatial_scale, int pooled_height,
                         int pooled_width, int sampling_ratio, bool aligned, T* output) {
  at::parallel_for(0, num_rois, 1, [&](int64_t begin, int64_t end) {
    std::vector<detail::BilinearTaps<T>> taps;
    for (int64_t n = begin; n < end; ++n) {
      const RoiSamples<T> r = SampleRoi(rois, n, spatial_scale, pooled_height, pooled_width,
                                        sampling_ratio, aligned, height, width, &taps);
      for (int c = 0; c < channels; ++c) {
        const T* plane = input + (r.batch * channels + c) * height * width;
        T* out = output + ((n * channels + c) * pooled_height) * pooled_width;
        const auto* t = taps.data();
        for (int bin = 0; bin < pooled_height * pooled_width; ++bin) {
          T sum = 0;
          for (int s = 0; s < r.samples; ++s, ++t) {
            if (!t->valid) continue;
            sum += t->w1 * plane[t->y_low * width + t->x_low] +
                   t->w2 * plane[t->y_low * width + t->x_high] +
                   t->w3 * plane[t->y_high * width + t->x_low] +
                   t->w4 * plane[t->y_high * width + t->x_high];
          }
          out[bin] = sum / r.g.count;
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
    const RoiSamples<T> r = SampleRoi(rois, n, spatial_scale, pooled_height, pooled_width,
                                      sampling_ratio, aligned, height, width, &taps);
    at::parallel_for(0, channels, 8, [&](int64_t c_begin, int64_t c_end) {
      for (int64_t c = c_begin; c < c_end; ++c) {
        T* plane = grad_input + (r.batch * channels + c) * height * width;
        const T* g_plane = grad + n * grad_stride_n + c * grad_stride_c;
        const auto* t = taps.data();
        for (int ph = 0; ph < pooled_height; ++ph) {
          for (int pw = 0; pw < pooled_width; ++pw) {
            const T g_out = g_plane[ph * grad_stride_h + pw * grad_stride_w] / r.g.count;
            for (int s = 0; s < r.samples; ++s, ++t) {
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

// Forward over a [B, H, W, C] map, parallel over RoIs.
template <typename T>
void RoiAlignForwardChannelsLast(const T* input, const T* rois, int64_t num_rois, int channels,
                                 int height, int width, T spatial_scale, int pooled_height,
                                 int pooled_width, int sampling_ratio, bool aligned,
                                 T* output) {
  const int bins = pooled_height * pooled_width;
  at::parallel_for(0, num_rois, 1, [&](int64_t begin, int64_t end) {
    std::vector<detail::BilinearTaps<T>> taps;
    std::vector<T> acc(channels);
    for (int64_t n = begin; n < end; ++n) {
      const RoiSamples<T> r = SampleRoi(rois, n, spatial_scale, pooled_height, pooled_width,
                                        sampling_ratio, aligned, height, width, &taps);
      const T* map = input + r.batch * height * width * channels;
      const auto* t = taps.data();
      for (int bin = 0; bin < bins; ++bin) {
        std::fill(acc.begin(), acc.end(), T(0));
        for (int s = 0; s < r.samples; ++s, ++t) {
          if (!t->valid) continue;
          AddTaps(acc.data(), map + (t->y_low * width + t->x_low) * channels,
                  map + (t->y_low * width + t->x_high) * channels,
                  map + (t->y_high * width + t->x_low) * channels,
                  map + (t->y_high * width + t->x_high) * channels, t->w1, t->w2, t->w3, t->w4,
                  channels);
        }
        T* out = output + n * channels * bins + bin;
        for (int c = 0; c < channels; ++c) out[c * bins] = acc[c] / r.g.count;
      }
    }
  });
}

// Backward into a [B, H, W, C] gradient from `grad` as [K, PH, PW, C]. The channels are
// split between the threads, each visiting every RoI in order: no two threads write the
// same element, and each element receives its contributions in the channel-major order.
template <typename T>
void RoiAlignBackwardChannelsLast(const T* grad, const T* rois, int64_t num_rois, int channels,
                                  int height, int width, T spatial_scale, int pooled_height,
                                  int pooled_width, int sampling_ratio, bool aligned,
                                  T* grad_input) {
  const int bins = pooled_height * pooled_width;
  const int64_t threads = std::max<int64_t>(1, at::get_num_threads());
  const int64_t block = std::max<int64_t>(16, (channels + threads - 1) / threads);
  at::parallel_for(0, channels, block, [&](int64_t c_begin, int64_t c_end) {
    const int64_t c_count = c_end - c_begin;
    std::vector<detail::BilinearTaps<T>> taps;
    std::vector<T> g_out(c_count);
    for (int64_t n = 0; n < num_rois; ++n) {
      const RoiSamples<T> r = SampleRoi(rois, n, spatial_scale, pooled_height, pooled_width,
                                        sampling_ratio, aligned, height, width, &taps);
      T* map = grad_input + r.batch * height * width * channels + c_begin;
      const auto* t = taps.data();
      for (int bin = 0; bin < bins; ++bin) {
        const T* g_in = grad + (n * bins + bin) * channels + c_begin;
        for (int64_t c = 0; c < c_count; ++c) g_out[c] = g_in[c] / r.g.count;
        for (int s = 0; s < r.samples; ++s, ++t) {
          if (!t->valid) continue;
          AddScaled(map + (t->y_low * width + t->x_low) * channels, g_out.data(), t->w1, c_count);
          AddScaled(map + (t->y_low * width + t->x_high) * channels, g_out.data(), t->w2,
                    c_count);
          AddScaled(map + (t->y_high * width + t->x_low) * channels, g_out.data(), t->w3,
                    c_count);
          AddScaled(map + (t->y_high * width + t->x_high) * channels, g_out.data(), t->w4,
                    c_count);
        }
      }
    }
  });
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
  at::Tensor rois_c = rois.contiguous();
  if (UseChannelsLast(input.size(0), channels, input.size(2), input.size(3),
                      input.is_contiguous(at::MemoryFormat::ChannelsLast), num_rois,
                      pooled_height, pooled_width, sampling_ratio)) {
    const at::Tensor map = input.permute({0, 2, 3, 1}).contiguous();  // [B, H, W, C]
    AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "roi_align_forward_cpu", [&] {
      RoiAlignForwardChannelsLast<scalar_t>(
          map.data_ptr<scalar_t>(), rois_c.data_ptr<scalar_t>(), num_rois, channels,
          input.size(2), input.size(3), static_cast<scalar_t>(spatial_scale), pooled_height,
          pooled_width, sampling_ratio, aligned, output.data_ptr<scalar_t>());
    });
    return output;
  }
  at::Tensor input_c = input.contiguous();
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
                               bool aligned, bool channels_last) {
  TORCH_CHECK(rois.dim() == 2 && rois.size(1) == 5, "roi_align backward: rois must be [K, 5]");
  TORCH_CHECK(grad.dim() == 4 && grad.size(0) == rois.size(0),
              "roi_align backward: grad must be [K, C, PH, PW], got ", grad.sizes());
  at::Tensor rois_c = rois.contiguous();
  if (grad.numel() > 0 && UseChannelsLast(batch_size, channels, height, width, channels_last,
                                          rois.size(0), pooled_height, pooled_width,
                                          sampling_ratio)) {
    at::Tensor grad_map = at::zeros({batch_size, height, width, channels}, grad.options());
    const at::Tensor grad_c = grad.permute({0, 2, 3, 1}).contiguous();  // [K, PH, PW, C]
    AT_DISPATCH_FLOATING_TYPES(grad.scalar_type(), "roi_align_backward_cpu", [&] {
      RoiAlignBackwardChannelsLast<scalar_t>(
          grad_c.data_ptr<scalar_t>(), rois_c.data_ptr<scalar_t>(), rois.size(0), channels,
          height, width, static_cast<scalar_t>(spatial_scale), pooled_height, pooled_width,
          sampling_ratio, aligned, grad_map.data_ptr<scalar_t>());
    });
    // [B, C, H, W] with channels-last strides: as is when asked for, else NCHW.
    const at::Tensor grad_input = grad_map.permute({0, 3, 1, 2});
    return channels_last ? grad_input : grad_input.contiguous();
  }
  // The channel-major kernel (fewer than 4 channels, or forced) writes NCHW.
  const auto layout = channels_last ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  at::Tensor grad_input = at::zeros({batch_size, channels, height, width}, grad.options());
  if (grad.numel() == 0) return grad_input.contiguous(layout);
  AT_DISPATCH_FLOATING_TYPES(grad.scalar_type(), "roi_align_backward_cpu", [&] {
    RoiAlignBackwardImpl<scalar_t>(grad.data_ptr<scalar_t>(), rois_c.data_ptr<scalar_t>(),
                                  rois.size(0), channels, height, width,
                                  static_cast<scalar_t>(spatial_scale), pooled_height,
                                  pooled_width, sampling_ratio, aligned,
                                  grad_input.data_ptr<scalar_t>(), grad.stride(0),
                                  grad.stride(1), grad.stride(2), grad.stride(3));
  });
  return grad_input.contiguous(layout);
}

}  // namespace

void SetRoiAlignCpuLayoutForTesting(RoiAlignCpuLayout layout) { forced_layout.store(layout); }

TORCH_LIBRARY_IMPL(mmdet, CPU, m) {
  m.impl("roi_align", TORCH_FN(RoiAlignCpu));
  m.impl("_roi_align_backward", TORCH_FN(RoiAlignBackwardCpu));
}

}  // namespace mmdet::ops
