// Math shared by the CPU and CUDA kernels of mmdet/ops, compiled by both g++ and nvcc so
// the two backends cannot drift apart.
#ifndef MMDET_OPS_KERNEL_COMMON_H_
#define MMDET_OPS_KERNEL_COMMON_H_

#include <cmath>

#ifdef __CUDACC__
#define MMDET_HOST_DEVICE __host__ __device__
#define MMDET_ALWAYS_INLINE __forceinline__
#else
#define MMDET_HOST_DEVICE
#define MMDET_ALWAYS_INLINE __attribute__((always_inline)) inline
#endif

namespace mmdet::ops::detail {

// Area of box (x1, y1, x2, y2). `offset` is 0 for MMDetection v2 / torchvision geometry
// (width = x2 - x1) and 1 for the legacy v1 "+1" convention.
template <typename T>
MMDET_HOST_DEVICE inline T BoxArea(const T* box, T offset) {
  return (box[2] - box[0] + offset) * (box[3] - box[1] + offset);
}

// IoU of boxes a and b given their areas (callers that compare one box with many
// precompute them).
template <typename T>
MMDET_HOST_DEVICE inline T BoxIoU(const T* a, const T* b, T area_a, T area_b, T offset) {
  const T left = a[0] > b[0] ? a[0] : b[0];
  const T top = a[1] > b[1] ? a[1] : b[1];
  const T right = a[2] < b[2] ? a[2] : b[2];
  const T bottom = a[3] < b[3] ? a[3] : b[3];
  const T w = right - left + offset;
  const T h = bottom - top + offset;
  if (w <= T(0) || h <= T(0)) return T(0);
  const T inter = w * h;
  const T denom = area_a + area_b - inter;
  return denom > T(0) ? inter / denom : T(0);
}

template <typename T>
MMDET_HOST_DEVICE inline T BoxIoU(const T* a, const T* b, T offset) {
  return BoxIoU(a, b, BoxArea(a, offset), BoxArea(b, offset), offset);
}

// The four taps of a bilinear sample at (y, x) on a height x width map, as RoIAlign defines
// it (torchvision / MMDetection v2): a sample more than one pixel outside the map is zero;
// otherwise coordinates are clamped to [0, size - 1].
template <typename T>
struct BilinearTaps {
  int y_low = 0, x_low = 0, y_high = 0, x_high = 0;
  T w1 = 0, w2 = 0, w3 = 0, w4 = 0;  // (low,low) (low,high) (high,low) (high,high)
  bool valid = false;
};

template <typename T>
MMDET_HOST_DEVICE inline BilinearTaps<T> ComputeBilinearTaps(int height, int width, T y, T x) {
  BilinearTaps<T> taps;
  if (y < T(-1.0) || y > T(height) || x < T(-1.0) || x > T(width)) return taps;
  if (y <= T(0)) y = T(0);
  if (x <= T(0)) x = T(0);
  taps.y_low = static_cast<int>(y);
  taps.x_low = static_cast<int>(x);
  if (taps.y_low >= height - 1) {
    taps.y_high = taps.y_low = height - 1;
    y = static_cast<T>(taps.y_low);
  } else {
    taps.y_high = taps.y_low + 1;
  }
  if (taps.x_low >= width - 1) {
    taps.x_high = taps.x_low = width - 1;
    x = static_cast<T>(taps.x_low);
  } else {
    taps.x_high = taps.x_low + 1;
  }
  const T ly = y - static_cast<T>(taps.y_low);
  const T lx = x - static_cast<T>(taps.x_low);
  const T hy = T(1) - ly;
  const T hx = T(1) - lx;
  taps.w1 = hy * hx;
  taps.w2 = hy * lx;
  taps.w3 = ly * hx;
  taps.w4 = ly * lx;
  taps.valid = true;
  return taps;
}

// The geometry of one RoI on the feature map: start, bin size and samples per bin.
template <typename T>
struct RoiGeometry {
  T start_h, start_w, bin_h, bin_w;
  int grid_h, grid_w;
  T count;  // samples averaged per output bin

  // Coordinates of sample (iy, ix) of output bin (ph, pw): the centres of a grid_h x grid_w
  // subdivision of the bin.
  MMDET_HOST_DEVICE T SampleY(int ph, int iy) const {
    return start_h + ph * bin_h + (iy + T(0.5)) * bin_h / grid_h;
  }
  MMDET_HOST_DEVICE T SampleX(int pw, int ix) const {
    return start_w + pw * bin_w + (ix + T(0.5)) * bin_w / grid_w;
  }
};

// `roi` is (batch_index, x1, y1, x2, y2) in image coordinates. With `aligned` the box is
// shifted by -0.5 pixel so that pixel centres line up (Detectron2 / MMDetection v2); without
// it a RoI is at least 1x1 (the legacy behaviour).
template <typename T>
MMDET_HOST_DEVICE inline RoiGeometry<T> ComputeRoiGeometry(const T* roi, T spatial_scale,
                                                           int pooled_height, int pooled_width,
                                                           int sampling_ratio, bool aligned) {
  const T offset = aligned ? T(0.5) : T(0);
  RoiGeometry<T> g;
  g.start_w = roi[1] * spatial_scale - offset;
  g.start_h = roi[2] * spatial_scale - offset;
  T roi_w = roi[3] * spatial_scale - offset - g.start_w;
  T roi_h = roi[4] * spatial_scale - offset - g.start_h;
  if (!aligned) {
    roi_w = roi_w > T(1) ? roi_w : T(1);
    roi_h = roi_h > T(1) ? roi_h : T(1);
  }
  g.bin_h = roi_h / static_cast<T>(pooled_height);
  g.bin_w = roi_w / static_cast<T>(pooled_width);
  // Adaptive sampling (sampling_ratio <= 0): ceil(roi size / output size) per axis.
  g.grid_h = sampling_ratio > 0 ? sampling_ratio : static_cast<int>(ceil(roi_h / pooled_height));
  g.grid_w = sampling_ratio > 0 ? sampling_ratio : static_cast<int>(ceil(roi_w / pooled_width));
  const int count = g.grid_h * g.grid_w;
  g.count = static_cast<T>(count > 1 ? count : 1);
  return g;
}

// The input window of RoIPool output bin (ph, pw), as torchvision / mmcv define it: the RoI
// corners are rounded to the feature grid, its extent counts both ends (+1, at least 1),
// and bins are floor/ceil of equal fractions, clipped to the map. Empty when end <= start.
struct PoolWindow {
  int h_start, h_end, w_start, w_end;
  MMDET_HOST_DEVICE bool empty() const { return h_end <= h_start || w_end <= w_start; }
};

template <typename T>
MMDET_HOST_DEVICE inline PoolWindow ComputePoolWindow(const T* roi, T spatial_scale, int height,
                                                      int width, int pooled_height,
                                                      int pooled_width, int ph, int pw) {
  const int roi_start_w = static_cast<int>(round(roi[1] * spatial_scale));
  const int roi_start_h = static_cast<int>(round(roi[2] * spatial_scale));
  const int roi_end_w = static_cast<int>(round(roi[3] * spatial_scale));
  const int roi_end_h = static_cast<int>(round(roi[4] * spatial_scale));
  const int roi_w = roi_end_w - roi_start_w + 1 > 1 ? roi_end_w - roi_start_w + 1 : 1;
  const int roi_h = roi_end_h - roi_start_h + 1 > 1 ? roi_end_h - roi_start_h + 1 : 1;
  const T bin_h = static_cast<T>(roi_h) / static_cast<T>(pooled_height);
  const T bin_w = static_cast<T>(roi_w) / static_cast<T>(pooled_width);
  auto clip = [](int v, int hi) { return v < 0 ? 0 : (v > hi ? hi : v); };
  PoolWindow window;
  window.h_start = clip(static_cast<int>(floor(ph * bin_h)) + roi_start_h, height);
  window.h_end = clip(static_cast<int>(ceil((ph + 1) * bin_h)) + roi_start_h, height);
  window.w_start = clip(static_cast<int>(floor(pw * bin_w)) + roi_start_w, width);
  window.w_end = clip(static_cast<int>(ceil((pw + 1) * bin_w)) + roi_start_w, width);
  return window;
}

// Sigmoid focal loss of one logit (mmcv's formula): `is_target` says whether this class is
// the sample's label. Returns the loss and, through *grad, d loss / d logit.
// p, 1 - p and their logs all come from exp(-|x|) and log1p, so a saturated logit (|x| > ~8
// in float) loses no precision to 1 - p cancellation; mmcv's clamp of
// p at FLT_MIN becomes a floor of log(FLT_MIN) on the logs. Same function, fewer rounding
// errors: CPU and CUDA agree to a few ulps.
//
// `Math` supplies exp on (-inf, 0] and log1p on [0, 1]: the standard functions by default (the
// CUDA kernel, the CPU's double and general-gamma loop), or the CPU's float / gamma 2 path's
// inline ones, arithmetic only, so that GCC vectorises the class loop
// (cpu/focal_loss_kernel.cc). One formula for every path.
struct FocalStdMath {
  template <typename T>
  MMDET_HOST_DEVICE static T ExpNonPositive(T y) { return exp(y); }
  template <typename T>
  MMDET_HOST_DEVICE static T Log1pUnit(T e) { return log1p(e); }
};

// Always inlined: a call in the CPU's class loop would keep it from vectorising.
template <typename T, typename Math = FocalStdMath>
MMDET_HOST_DEVICE MMDET_ALWAYS_INLINE T FocalLossTerm(T logit, bool is_target, T gamma, T alpha,
                                                      T* grad) {
  const T log_tiny = T(-87.33654475055310898657);  // log(FLT_MIN)
  // With e = exp(-|x|): sigmoid(|x|) = 1 / (1 + e), sigmoid(-|x|) = e / (1 + e), and
  // log sigmoid(|x|) = -log1p(e), log sigmoid(-|x|) = -|x| - log1p(e).
  const bool positive = logit > T(0);
  const T minus_abs = positive ? -logit : logit;
  const T e = Math::ExpNonPositive(minus_abs);
  const T big = T(1) / (T(1) + e), small = e / (T(1) + e);
  const T log_big = -Math::Log1pUnit(e), log_small = minus_abs + log_big;
  const T p = positive ? big : small;
  const T q = positive ? small : big;  // 1 - p
  const T log_p_raw = positive ? log_big : log_small;
  const T log_q_raw = positive ? log_small : log_big;
  const T log_p = log_p_raw > log_tiny ? log_p_raw : log_tiny;
  const T log_q = log_q_raw > log_tiny ? log_q_raw : log_tiny;
  // Selects, no branches (the CPU's class loop vectorises). One pow for the loss and its
  // derivative; gamma 2 (every config's) is one multiply.
  const T base = is_target ? q : p;
  const T weight = (is_target ? -alpha : -(T(1) - alpha)) *
                   (gamma == T(2) ? base * base : pow(base, gamma));
  *grad = weight * (is_target ? q - gamma * p * log_p : gamma * q * log_q - p);
  return weight * (is_target ? log_p : log_q);
}

}  // namespace mmdet::ops::detail

#endif  // MMDET_OPS_KERNEL_COMMON_H_
