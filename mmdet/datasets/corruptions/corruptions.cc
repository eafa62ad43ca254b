#include "mmdet/datasets/corruptions/corruptions.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mmdet/core/image_encode.h"
#include "mmdet/core/status.h"
#include "mmdet/datasets/pipelines/image_util.h"
#include "mmdet/datasets/pipelines/jpeg_decode.h"
#include "opencv2/imgproc.hpp"

namespace mmdet::datasets {

namespace {

// ---------------------------------------------------------------- numpy / scipy helpers

// numpy's pairwise summation (the add.reduce of a contiguous run), so sums round as numpy's.
double PairwiseSum(const double* a, size_t n, size_t stride = 1) {
  if (n < 8) {
    double res = 0.;
    for (size_t i = 0; i < n; ++i) res += a[i * stride];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j * stride];
    size_t i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (int j = 0; j < 8; ++j) r[j] += a[(i + j) * stride];
    }
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i * stride];
    return res;
  }
  size_t n2 = n / 2;
  n2 -= n2 % 8;
  return PairwiseSum(a, n2, stride) + PairwiseSum(a + n2 * stride, n - n2, stride);
}

enum class Border { kNearest, kReflect };

// scipy.ndimage's index for an out-of-range sample (nearest: the edge; reflect: d c b a | a b c d).
int64_t MapIndex(int64_t i, int64_t n, Border border) {
  if (i >= 0 && i < n) return i;
  if (border == Border::kNearest) return i < 0 ? 0 : n - 1;
  const int64_t period = 2 * n;
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - 1 - i;
}

// scipy's _gaussian_kernel1d(sigma, 0, radius) with radius int(truncate * sigma + 0.5).
std::vector<double> GaussianKernel(double sigma, double truncate) {
  const int radius = static_cast<int>(truncate * sigma + 0.5);
  std::vector<double> k(2 * radius + 1);
  const double factor = -0.5 / (sigma * sigma);
  for (int x = -radius; x <= radius; ++x) k[x + radius] = std::exp(factor * (x * x));
  const double sum = PairwiseSum(k.data(), k.size());
  for (double& v : k) v /= sum;
  return k;
}

// scipy.ndimage.correlate1d with a symmetric kernel along one axis of a [rows, cols, channels]
// double array (as NI_Correlate1D's symmetric branch: centre weight first, then the pairs from
// the farthest in).
void Correlate1d(std::vector<double>& data, int64_t rows, int64_t cols, int64_t channels,
                 int axis, const std::vector<double>& k, Border border, bool round_to_float) {
  const int64_t n = axis == 0 ? rows : cols;
  const int64_t lines = axis == 0 ? cols * channels : rows * channels;
  const int64_t r = static_cast<int64_t>(k.size() / 2);
  const double* w = k.data() + r;
  std::vector<double> line(n + 2 * r), out(n);
  for (int64_t l = 0; l < lines; ++l) {
    int64_t base, step;
    if (axis == 0) {
      base = l;  // (col, channel) pair: index col * channels + c
      step = cols * channels;
    } else {
      base = (l / channels) * cols * channels + (l % channels);
      step = channels;
    }
    for (int64_t i = -r; i < n + r; ++i) line[i + r] = data[base + MapIndex(i, n, border) * step];
    for (int64_t i = 0; i < n; ++i) {
      const double* p = line.data() + i + r;
      double acc = p[0] * w[0];
      for (int64_t j = -r; j < 0; ++j) acc += (p[j] + p[-j]) * w[j];
      out[i] = round_to_float ? static_cast<double>(static_cast<float>(acc)) : acc;
    }
    for (int64_t i = 0; i < n; ++i) data[base + i * step] = out[i];
  }
}

// scipy.ndimage.gaussian_filter over the two spatial axes (skimage's gaussian with
// multichannel: the channels are not mixed). `float32` stores each pass in float32, as scipy
// does for a float32 array.
void GaussianFilter(std::vector<double>& data, int64_t rows, int64_t cols, int64_t channels,
                    double sigma_rows, double sigma_cols, Border border, double truncate = 4.0,
                    bool float32 = false) {
  if (sigma_rows > 1e-15) {
    Correlate1d(data, rows, cols, channels, 0, GaussianKernel(sigma_rows, truncate), border,
                float32);
  }
  if (sigma_cols > 1e-15) {
    Correlate1d(data, rows, cols, channels, 1, GaussianKernel(sigma_cols, truncate), border,
                float32);
  }
}

// The image as doubles x / 255 (np.array(x) / 255.), row-major HxWx3.
std::vector<double> ToUnit(const cv::Mat& img) {
  std::vector<double> x(img.total() * 3);
  size_t i = 0;
  for (int y = 0; y < img.rows; ++y) {
    const uchar* p = img.ptr<uchar>(y);
    for (int k = 0; k < img.cols * 3; ++k) x[i++] = p[k] / 255.;
  }
  return x;
}

// np.uint8(np.clip(x, 0, 1) * 255): clipped, scaled, truncated.
cv::Mat FromUnit(const std::vector<double>& x, int rows, int cols) {
  cv::Mat out(rows, cols, CV_8UC3);
  size_t i = 0;
  for (int y = 0; y < rows; ++y) {
    uchar* p = out.ptr<uchar>(y);
    for (int k = 0; k < cols * 3; ++k) {
      p[k] = static_cast<uchar>(std::min(std::max(x[i++], 0.0), 1.0) * 255);
    }
  }
  return out;
}
// The float32 variant: the clip and the * 255 in float32 arithmetic.
cv::Mat FromUnit32(const std::vector<float>& x, int rows, int cols) {
  cv::Mat out(rows, cols, CV_8UC3);
  size_t i = 0;
  for (int y = 0; y < rows; ++y) {
    uchar* p = out.ptr<uchar>(y);
    for (int k = 0; k < cols * 3; ++k) {
      p[k] = static_cast<uchar>(std::min(std::max(x[i++], 0.0f), 1.0f) * 255.0f);
    }
  }
  return out;
}
// np.uint8(np.clip(x, 0, 255)) for values already on 0..255.
cv::Mat From255(const std::vector<double>& x, int rows, int cols) {
  cv::Mat out(rows, cols, CV_8UC3);
  size_t i = 0;
  for (int y = 0; y < rows; ++y) {
    uchar* p = out.ptr<uchar>(y);
    for (int k = 0; k < cols * 3; ++k) p[k] = static_cast<uchar>(std::min(std::max(x[i++], 0.0), 255.0));
  }
  return out;
}

// scipy.ndimage.zoom(img, (z, z, 1), order=1) of the centre crop ceil(H/z) x ceil(W/z)
// (imagecorruptions' clipped_zoom), then the top-left rows x cols kept. `T` is float or
// double: the input's dtype, which the output keeps.
template <typename T>
std::vector<T> ClippedZoom(const std::vector<T>& img, int64_t rows, int64_t cols, int64_t ch,
                           double z, int64_t* out_rows, int64_t* out_cols) {
  const int64_t ch0 = static_cast<int64_t>(std::ceil(rows / z));
  const int64_t top0 = (rows - ch0) / 2;
  const int64_t ch1 = static_cast<int64_t>(std::ceil(cols / z));
  const int64_t top1 = (cols - ch1) / 2;
  const int64_t zr = static_cast<int64_t>(std::nearbyint(ch0 * z));  // round half even
  const int64_t zc = static_cast<int64_t>(std::nearbyint(ch1 * z));
  const double fr = zr > 1 ? static_cast<double>(ch0 - 1) / (zr - 1) : 0.0;
  const double fc = zc > 1 ? static_cast<double>(ch1 - 1) / (zc - 1) : 0.0;
  *out_rows = zr;
  *out_cols = zc;
  std::vector<T> out(zr * zc * ch);
  auto at = [&](int64_t y, int64_t x, int64_t c) {
    y = std::min(std::max<int64_t>(y, 0), ch0 - 1);
    x = std::min(std::max<int64_t>(x, 0), ch1 - 1);
    return static_cast<double>(img[((top0 + y) * cols + (top1 + x)) * ch + c]);
  };
  for (int64_t y = 0; y < zr; ++y) {
    const double cy = y * fr;
    const int64_t y0 = static_cast<int64_t>(std::floor(cy));
    const double ty = cy - y0;
    for (int64_t x = 0; x < zc; ++x) {
      const double cx = x * fc;
      const int64_t x0 = static_cast<int64_t>(std::floor(cx));
      const double tx = cx - x0;
      for (int64_t c = 0; c < ch; ++c) {
        const double v = (1 - ty) * (1 - tx) * at(y0, x0, c) + (1 - ty) * tx * at(y0, x0 + 1, c) +
                         ty * (1 - tx) * at(y0 + 1, x0, c) + ty * tx * at(y0 + 1, x0 + 1, c);
        out[(y * zc + x) * ch + c] = static_cast<T>(v);
      }
    }
  }
  return out;
}

// skimage's rgb2hsv / hsv2rgb on one pixel (channels as given: BGR data read as RGB).
void RgbToHsv(const double* rgb, double* hsv) {
  const double v = std::max({rgb[0], rgb[1], rgb[2]});
  const double delta = v - std::min({rgb[0], rgb[1], rgb[2]});
  double s = delta / v;
  if (delta == 0.) s = 0.;
  double h = 0;
  if (rgb[0] == v) h = (rgb[1] - rgb[2]) / delta;
  if (rgb[1] == v) h = 2. + (rgb[2] - rgb[0]) / delta;
  if (rgb[2] == v) h = 4. + (rgb[0] - rgb[1]) / delta;
  h = h / 6.;
  double m = std::fmod(h, 1.);
  if (m != 0 && m < 0) m += 1.;  // numpy's % takes the divisor's sign
  h = m;
  if (delta == 0.) h = 0.;
  hsv[0] = h;
  hsv[1] = s;
  hsv[2] = v;
}

void HsvToRgb(const double* hsv, double* rgb) {
  const double hi = std::floor(hsv[0] * 6);
  const double f = hsv[0] * 6 - hi;
  const double p = hsv[2] * (1 - hsv[1]);
  const double q = hsv[2] * (1 - f * hsv[1]);
  const double t = hsv[2] * (1 - (1 - f) * hsv[1]);
  const double v = hsv[2];
  switch (static_cast<int>(static_cast<uint8_t>(hi)) % 6) {
    case 0: rgb[0] = v, rgb[1] = t, rgb[2] = p; break;
    case 1: rgb[0] = q, rgb[1] = v, rgb[2] = p; break;
    case 2: rgb[0] = p, rgb[1] = v, rgb[2] = t; break;
    case 3: rgb[0] = p, rgb[1] = q, rgb[2] = v; break;
    case 4: rgb[0] = t, rgb[1] = p, rgb[2] = v; break;
    default: rgb[0] = v, rgb[1] = p, rgb[2] = q; break;
  }
}

// PIL's 8-bit resampling with the BOX filter (precompute_coeffs + normalize_coeffs_8bpc,
// fixed point with 22 fractional bits), along one axis. The box is (-0.5, 0.5] as in current
// Pillow (checked against Pillow 9.4 pixel for pixel); older Pillow took [-0.5, 0.5), which
// differs where a sample falls exactly on the box's edge (pixelate at severity 3).
constexpr int kPrecisionBits = 32 - 8 - 2;

struct Coeffs {
  int ksize = 0;
  std::vector<int> bounds;  // xmin, count per output
  std::vector<int> k;       // fixed-point weights, ksize per output
};

Coeffs BoxCoeffs(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = 0.5 * filterscale;
  Coeffs c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.bounds.resize(2 * out_size);
  c.k.assign(static_cast<size_t>(out_size) * c.ksize, 0);
  std::vector<double> pre(c.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0;
    for (int x = 0; x < xmax; ++x) {
      const double arg = (x + xmin - center + 0.5) * ss;
      pre[x] = (arg > -0.5 && arg <= 0.5) ? 1.0 : 0.0;  // Pillow 9's box_filter
      ww += pre[x];
    }
    for (int x = 0; x < xmax; ++x) {
      if (ww != 0.0) pre[x] /= ww;
      const double v = pre[x] * (1 << kPrecisionBits);
      c.k[static_cast<size_t>(xx) * c.ksize + x] = static_cast<int>(v < 0 ? -0.5 + v : 0.5 + v);
    }
    c.bounds[2 * xx] = xmin;
    c.bounds[2 * xx + 1] = xmax;
  }
  return c;
}

uchar Clip8(int v) {
  v >>= kPrecisionBits;
  return static_cast<uchar>(v < 0 ? 0 : v > 255 ? 255 : v);
}

cv::Mat PilBoxResize(const cv::Mat& in, int out_w, int out_h) {
  // Horizontal pass first (into uint8), then vertical, as ImagingResampleInner.
  const Coeffs h = BoxCoeffs(in.cols, out_w);
  cv::Mat tmp(in.rows, out_w, CV_8UC3);
  for (int y = 0; y < in.rows; ++y) {
    const uchar* src = in.ptr<uchar>(y);
    uchar* dst = tmp.ptr<uchar>(y);
    for (int xx = 0; xx < out_w; ++xx) {
      const int xmin = h.bounds[2 * xx], n = h.bounds[2 * xx + 1];
      const int* k = &h.k[static_cast<size_t>(xx) * h.ksize];
      for (int c = 0; c < 3; ++c) {
        int ss = 1 << (kPrecisionBits - 1);
        for (int x = 0; x < n; ++x) ss += src[(x + xmin) * 3 + c] * k[x];
        dst[xx * 3 + c] = Clip8(ss);
      }
    }
  }
  const Coeffs v = BoxCoeffs(in.rows, out_h);
  cv::Mat out(out_h, out_w, CV_8UC3);
  for (int yy = 0; yy < out_h; ++yy) {
    const int ymin = v.bounds[2 * yy], n = v.bounds[2 * yy + 1];
    const int* k = &v.k[static_cast<size_t>(yy) * v.ksize];
    uchar* dst = out.ptr<uchar>(yy);
    for (int x = 0; x < out_w * 3; ++x) {
      int ss = 1 << (kPrecisionBits - 1);
      for (int y = 0; y < n; ++y) ss += tmp.ptr<uchar>(y + ymin)[x] * k[y];
      dst[x] = Clip8(ss);
    }
  }
  return out;
}

// PIL's NEAREST resize (ImagingScaleAffine: source positions accumulated from the centre of
// the first pixel, truncated).
cv::Mat PilNearestResize(const cv::Mat& in, int out_w, int out_h) {
  const double a0 = static_cast<double>(in.cols) / out_w, a4 = static_cast<double>(in.rows) / out_h;
  std::vector<int> xin(out_w);
  double xo = a0 * 0.5;
  for (int x = 0; x < out_w; ++x) {
    xin[x] = xo < 0 ? -1 : static_cast<int>(xo);
    xo += a0;
  }
  cv::Mat out(out_h, out_w, CV_8UC3, cv::Scalar(0, 0, 0));
  double yo = a4 * 0.5;
  for (int y = 0; y < out_h; ++y) {
    const int yi = yo < 0 ? -1 : static_cast<int>(yo);
    yo += a4;
    if (yi < 0 || yi >= in.rows) continue;
    const uchar* src = in.ptr<uchar>(yi);
    uchar* dst = out.ptr<uchar>(y);
    for (int x = 0; x < out_w; ++x) {
      if (xin[x] < 0 || xin[x] >= in.cols) continue;
      for (int c = 0; c < 3; ++c) dst[x * 3 + c] = src[xin[x] * 3 + c];
    }
  }
  return out;
}

// imagecorruptions' shift (np.roll with the vacated side filled by the edge).
template <typename T>
std::vector<T> Shift(const std::vector<T>& img, int64_t rows, int64_t cols, int64_t ch, int dx,
                     int dy) {
  std::vector<T> out(img.size());
  for (int64_t y = 0; y < rows; ++y) {
    int64_t sy = y - dy;
    sy = std::min(std::max<int64_t>(sy, 0), rows - 1);
    for (int64_t x = 0; x < cols; ++x) {
      int64_t sx = x - dx;
      sx = std::min(std::max<int64_t>(sx, 0), cols - 1);
      for (int64_t c = 0; c < ch; ++c) out[(y * cols + x) * ch + c] = img[(sy * cols + sx) * ch + c];
    }
  }
  return out;
}

// imagecorruptions' _motion_blur: a one-sided Gaussian-weighted sum of shifted copies along
// the angle, accumulated in double.
template <typename T>
std::vector<double> MotionBlur(const std::vector<T>& img, int64_t rows, int64_t cols, int64_t ch,
                               int radius, double sigma, double angle) {
  const int width = radius * 2 + 1;
  std::vector<double> k(width);
  for (int i = 0; i < width; ++i) {
    k[i] = std::exp(-(static_cast<double>(i) * i) / (2 * (sigma * sigma))) /
           (std::sqrt(2 * M_PI) * sigma);
  }
  const double z = PairwiseSum(k.data(), k.size());
  for (double& v : k) v /= z;
  const double rad = angle * M_PI / 180.0;
  const double p0 = width * std::sin(rad), p1 = width * std::cos(rad);
  const double hypot = std::hypot(p0, p1);
  std::vector<double> blurred(img.size(), 0.0);
  for (int i = 0; i < width; ++i) {
    const int dy = -static_cast<int>(std::ceil((i * p0) / hypot - 0.5));
    const int dx = -static_cast<int>(std::ceil((i * p1) / hypot - 0.5));
    if (std::abs(dy) >= rows || std::abs(dx) >= cols) break;
    const std::vector<T> shifted = Shift(img, rows, cols, ch, dx, dy);
    for (size_t j = 0; j < blurred.size(); ++j) blurred[j] += k[i] * static_cast<double>(shifted[j]);
  }
  return blurred;
}

// numpy-like draws.
double UniformDraw(CorruptionRng& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}
int64_t RandInt(CorruptionRng& rng, int64_t lo, int64_t hi) {  // [lo, hi)
  return std::uniform_int_distribution<int64_t>(lo, hi - 1)(rng);
}

// ---------------------------------------------------------------- the corruptions

using Fn = std::function<absl::StatusOr<cv::Mat>(const cv::Mat&, int, CorruptionRng&,
                                                 const CorruptOptions&)>;

absl::StatusOr<cv::Mat> GaussianNoise(const cv::Mat& img, int s, CorruptionRng& rng, const CorruptOptions&) {
  const double c = std::array<double, 5>{.08, .12, .18, .26, .38}[s - 1];
  std::vector<double> x = ToUnit(img);
  std::normal_distribution<double> n(0, c);
  for (double& v : x) v += n(rng);
  return FromUnit(x, img.rows, img.cols);
}

absl::StatusOr<cv::Mat> ShotNoise(const cv::Mat& img, int s, CorruptionRng& rng, const CorruptOptions&) {
  const double c = std::array<double, 5>{60, 25, 12, 5, 3}[s - 1];
  std::vector<double> x = ToUnit(img);
  for (double& v : x) {
    const double lambda = v * c;
    v = lambda > 0 ? std::poisson_distribution<int64_t>(lambda)(rng) / c : 0.0;
  }
  return FromUnit(x, img.rows, img.cols);
}

absl::StatusOr<cv::Mat> ImpulseNoise(const cv::Mat& img, int s, CorruptionRng& rng, const CorruptOptions&) {
  const double c = std::array<double, 5>{.03, .06, .09, .17, .27}[s - 1];
  std::vector<double> x = ToUnit(img);
  std::vector<uint8_t> flipped(x.size()), salted(x.size());
  std::bernoulli_distribution flip(c), salt(0.5);
  for (auto& f : flipped) f = flip(rng);
  for (auto& v : salted) v = salt(rng);
  for (size_t i = 0; i < x.size(); ++i) {
    if (flipped[i]) x[i] = salted[i] ? 1.0 : 0.0;
  }
  return FromUnit(x, img.rows, img.cols);
}

absl::StatusOr<cv::Mat> SpeckleNoise(const cv::Mat& img, int s, CorruptionRng& rng, const CorruptOptions&) {
  const double c = std::array<double, 5>{.15, .2, .35, .45, .6}[s - 1];
  std::vector<double> x = ToUnit(img);
  std::normal_distribution<double> n(0, c);
  for (double& v : x) v = v + v * n(rng);
  return FromUnit(x, img.rows, img.cols);
}

absl::StatusOr<cv::Mat> GaussianBlur(const cv::Mat& img, int s, CorruptionRng&, const CorruptOptions&) {
  const double c = std::array<double, 5>{1, 2, 3, 4, 6}[s - 1];
  std::vector<double> x = ToUnit(img);
  GaussianFilter(x, img.rows, img.cols, 3, c, c, Border::kNearest);
  return FromUnit(x, img.rows, img.cols);
}

absl::StatusOr<cv::Mat> GlassBlur(const cv::Mat& img, int s, CorruptionRng& rng, const CorruptOptions&) {
  struct P { double sigma; int delta, iterations; };
  const P c = std::array<P, 5>{P{.7, 1, 2}, P{.9, 2, 1}, P{1, 2, 3}, P{1.1, 3, 2}, P{1.5, 4, 2}}[s - 1];
  const int64_t rows = img.rows, cols = img.cols;
  std::vector<double> x = ToUnit(img);
  GaussianFilter(x, rows, cols, 3, c.sigma, c.sigma, Border::kNearest);
  std::vector<uint8_t> u(x.size());
  for (size_t i = 0; i < x.size(); ++i) u[i] = static_cast<uint8_t>(x[i] * 255);  // np.uint8
  // Locally shuffle pixels. The Python swap `x[h, w], x[h', w'] = x[h', w'], x[h, w]` on numpy
  // rows is a copy (the second assignment writes x[h', w'] back from the updated x[h, w]).
  for (int it = 0; it < c.iterations; ++it) {
    for (int64_t h = rows - c.delta; h > c.delta; --h) {
      for (int64_t w = cols - c.delta; w > c.delta; --w) {
        const int64_t dx = RandInt(rng, -c.delta, c.delta);
        const int64_t dy = RandInt(rng, -c.delta, c.delta);
        const int64_t hp = h + dy, wp = w + dx;
        if (hp < 0 || hp >= rows || wp < 0 || wp >= cols) continue;
        for (int k = 0; k < 3; ++k) u[(h * cols + w) * 3 + k] = u[(hp * cols + wp) * 3 + k];
      }
    }
  }
  for (size_t i = 0; i < x.size(); ++i) x[i] = u[i] / 255.;
  GaussianFilter(x, rows, cols, 3, c.sigma, c.sigma, Border::kNearest);
  return FromUnit(x, img.rows, img.cols);
}

absl::StatusOr<cv::Mat> DefocusBlur(const cv::Mat& img, int s, CorruptionRng&, const CorruptOptions&) {
  const std::array<std::pair<double, double>, 5> cs = {
      std::pair<double, double>{3, .1}, {4, .5}, {6, .5}, {8, .5}, {10, .5}};
  const auto [radius, alias] = cs[s - 1];
  // disk(): an aliased float32 disk on arange(-8, 9) (r <= 8) or arange(-r, r + 1),
  // normalised, then cv2.GaussianBlur with ksize 3 (r <= 8) or 5.
  const int half = radius <= 8 ? 8 : static_cast<int>(radius);
  const int ksize = radius <= 8 ? 3 : 5;
  cv::Mat disk(2 * half + 1, 2 * half + 1, CV_32F);
  float sum = 0;
  for (int y = -half; y <= half; ++y) {
    for (int x = -half; x <= half; ++x) {
      const float v = (x * x + y * y) <= radius * radius ? 1.0f : 0.0f;
      disk.at<float>(y + half, x + half) = v;
    }
  }
  {
    std::vector<double> flat;
    for (int i = 0; i < static_cast<int>(disk.total()); ++i) flat.push_back(disk.ptr<float>()[i]);
    sum = static_cast<float>(PairwiseSum(flat.data(), flat.size()));
  }
  disk /= sum;
  cv::Mat kernel;
  cv::GaussianBlur(disk, kernel, cv::Size(ksize, ksize), alias);
  cv::Mat x;
  img.convertTo(x, CV_64FC3, 1.0 / 255.0);
  std::vector<cv::Mat> channels;
  cv::split(x, channels);
  for (cv::Mat& ch : channels) cv::filter2D(ch, ch, -1, kernel);
  cv::Mat merged;
  cv::merge(channels, merged);
  std::vector<double> out(merged.total() * 3);
  std::copy(merged.ptr<double>(), merged.ptr<double>() + out.size(), out.begin());
  return FromUnit(out, img.rows, img.cols);
}

absl::StatusOr<cv::Mat> MotionBlurCorruption(const cv::Mat& img, int s, CorruptionRng& rng, const CorruptOptions&) {
  const std::array<std::pair<int, double>, 5> cs = {
      std::pair<int, double>{10, 3}, {15, 5}, {15, 8}, {15, 12}, {20, 15}};
  const double angle = UniformDraw(rng, -45, 45);
  std::vector<uint8_t> u(img.total() * 3);
  std::copy(img.ptr<uchar>(), img.ptr<uchar>() + u.size(), u.begin());
  const std::vector<double> b =
      MotionBlur(u, img.rows, img.cols, 3, cs[s - 1].first, cs[s - 1].second, angle);
  return From255(b, img.rows, img.cols);
}

std::vector<double> ArangeFactors(double start, double stop, double step) {
  const int64_t n = static_cast<int64_t>(std::ceil((stop - start) / step));
  std::vector<double> f(n);
  for (int64_t i = 0; i < n; ++i) f[i] = start + i * step;
  return f;
}

absl::StatusOr<cv::Mat> ZoomBlur(const cv::Mat& img, int s, CorruptionRng&, const CorruptOptions&) {
  const std::array<std::array<double, 3>, 5> cs = {std::array<double, 3>{1, 1.11, .01},
                                                   {1, 1.16, .01}, {1, 1.21, .02},
                                                   {1, 1.26, .02}, {1, 1.31, .03}};
  const std::vector<double> factors = ArangeFactors(cs[s - 1][0], cs[s - 1][1], cs[s - 1][2]);
  const int64_t rows = img.rows, cols = img.cols;
  std::vector<float> x(img.total() * 3);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(img.ptr<uchar>()[i] / 255.);
  std::vector<float> out(x.size(), 0.0f);
  for (double z : factors) {
    int64_t zr = 0, zc = 0;
    const std::vector<float> layer = ClippedZoom(x, rows, cols, 3, z, &zr, &zc);
    for (int64_t y = 0; y < rows && y < zr; ++y) {
      for (int64_t c = 0; c < cols * 3 && c < zc * 3; ++c) out[y * cols * 3 + c] += layer[y * zc * 3 + c];
    }
  }
  const float n = static_cast<float>(factors.size() + 1);
  for (size_t i = 0; i < x.size(); ++i) x[i] = (x[i] + out[i]) / n;
  return FromUnit32(x, img.rows, img.cols);
}

absl::StatusOr<cv::Mat> Snow(const cv::Mat& img, int s, CorruptionRng& rng, const CorruptOptions&) {
  struct P { double loc, scale, zoom, thr; int mb_r; double mb_sigma, blend; };
  const P c = std::array<P, 5>{P{.1, .3, 3, .5, 10, 4, .8}, P{.2, .3, 2, .5, 12, 4, .7},
                               P{.55, .3, 4, .9, 12, 8, .7}, P{.55, .3, 4.5, .85, 12, 8, .65},
                               P{.55, .3, 2.5, .85, 12, 12, .55}}[s - 1];
  const int64_t rows = img.rows, cols = img.cols;
  std::vector<double> layer(rows * cols);
  std::normal_distribution<double> n(c.loc, c.scale);
  for (double& v : layer) v = n(rng);
  int64_t zr = 0, zc = 0;
  std::vector<double> zoomed = ClippedZoom(layer, rows, cols, 1, c.zoom, &zr, &zc);
  for (double& v : zoomed) v = std::min(std::max(v < c.thr ? 0.0 : v, 0.0), 1.0);
  const std::vector<double> blurred =
      MotionBlur(zoomed, zr, zc, 1, c.mb_r, c.mb_sigma, UniformDraw(rng, -135, -45));
  std::vector<double> snow(rows * cols);  // np.round(layer * 255).astype(uint8) / 255.
  for (int64_t y = 0; y < rows; ++y) {
    for (int64_t x = 0; x < cols; ++x) {
      const double v = blurred[y * zc + x];
      snow[y * cols + x] = static_cast<uint8_t>(static_cast<int64_t>(std::nearbyint(v * 255))) / 255.;
    }
  }
  cv::Mat x32;
  img.convertTo(x32, CV_32FC3, 1.0 / 255.0);
  cv::Mat gray;
  cv::cvtColor(x32, gray, cv::COLOR_RGB2GRAY);  // BGR data read as RGB, as imagecorruptions
  const float blend = static_cast<float>(c.blend), rest = static_cast<float>(1 - c.blend);
  std::vector<double> out(img.total() * 3);
  for (int64_t y = 0; y < rows; ++y) {
    const float* px = x32.ptr<float>(y);
    for (int64_t x = 0; x < cols; ++x) {
      const float gv = gray.at<float>(y, x) * 1.5f + 0.5f;
      const double sv = snow[y * cols + x] + snow[(rows - 1 - y) * cols + (cols - 1 - x)];
      for (int k = 0; k < 3; ++k) {
        const float v = px[x * 3 + k];
        const float mixed = blend * v + rest * std::max(v, gv);  // float32, as numpy
        out[(y * cols + x) * 3 + k] = static_cast<double>(mixed) + sv;  // + a float64 layer
      }
    }
  }
  return FromUnit(out, img.rows, img.cols);
}

absl::StatusOr<cv::Mat> Frost(const cv::Mat& img, int s, CorruptionRng& rng, const CorruptOptions& o) {
  const std::array<std::pair<double, double>, 5> cs = {
      std::pair<double, double>{1, .4}, {.8, .6}, {.7, .7}, {.65, .7}, {.6, .75}};
  const std::string dir = FindFrostDir(o.frost_dir);
  if (dir.empty() && !o.frost_dir.empty()) {
    return absl::InvalidArgumentError("--frost-dir " + o.frost_dir +
                                      ": no frost1.png there (imagecorruptions' frost images)");
  }
  if (dir.empty()) {
    return absl::InvalidArgumentError(
        "frost needs imagecorruptions' frost images (frost1.png ... frost5.jpg): give their "
        "folder with --frost-dir DIR (or $IMAGECORRUPTIONS_FROST)");
  }
  static const char* kFiles[] = {"frost1.png", "frost2.png", "frost3.png", "frost4.jpg",
                                 "frost5.jpg"};
  const std::string path = dir + "/" + kFiles[RandInt(rng, 0, 5)];  // frost6 is never drawn
  auto read = datasets::ReadImage(path, datasets::kImreadColor);
  if (!read.ok()) return Annotate(read.status(), "the frost image");
  const cv::Mat frost = *std::move(read);
  double scale = 1;
  const double r0 = static_cast<double>(img.rows) / frost.rows, r1 = static_cast<double>(img.cols) / frost.cols;
  if (frost.rows >= img.rows && frost.cols >= img.cols) scale = 1;
  else if (frost.rows < img.rows && frost.cols >= img.cols) scale = r0;
  else if (frost.rows >= img.rows && frost.cols < img.cols) scale = r1;
  else scale = std::max(r0, r1);
  scale *= 1.1;
  cv::Mat rescaled;
  cv::resize(frost, rescaled,
             cv::Size(static_cast<int>(std::ceil(frost.cols * scale)),
                      static_cast<int>(std::ceil(frost.rows * scale))),
             0, 0, cv::INTER_CUBIC);
  const int y0 = static_cast<int>(RandInt(rng, 0, rescaled.rows - img.rows));
  const int x0 = static_cast<int>(RandInt(rng, 0, rescaled.cols - img.cols));
  std::vector<double> out(img.total() * 3);
  for (int y = 0; y < img.rows; ++y) {
    const uchar* p = img.ptr<uchar>(y);
    const uchar* f = rescaled.ptr<uchar>(y + y0) + x0 * 3;
    for (int x = 0; x < img.cols; ++x) {
      for (int k = 0; k < 3; ++k) {
        out[(static_cast<size_t>(y) * img.cols + x) * 3 + k] =
            cs[s - 1].first * p[x * 3 + k] + cs[s - 1].second * f[x * 3 + (2 - k)];  // [..., [2, 1, 0]]
      }
    }
  }
  return From255(out, img.rows, img.cols);
}

// imagecorruptions' plasma_fractal (diamond-square, float64, with its wibble quirk).
std::vector<double> Plasma(int64_t size, double decay, CorruptionRng& rng) {
  std::vector<double> m(size * size, 0.0);
  auto at = [&](int64_t y, int64_t x) -> double& { return m[((y % size + size) % size) * size + ((x % size + size) % size)]; };
  int64_t step = size;
  double wibble = 100;
  auto wibbled = [&](double v) { return v / 4 + wibble * UniformDraw(rng, -wibble, wibble); };
  while (step >= 2) {
    const int64_t half = step / 2;
    // Squares: the corners' sum (each corner + the one below, then + the one to the right).
    const int64_t n = size / step;
    std::vector<double> acc(n * n);
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        const double a = at(i * step, j * step) + at((i + 1) * step, j * step);
        const double b = at(i * step, (j + 1) * step) + at((i + 1) * step, (j + 1) * step);
        acc[i * n + j] = a + b;
      }
    }
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) at(i * step + half, j * step + half) = wibbled(acc[i * n + j]);
    }
    // Diamonds: first the points between corners horizontally, then vertically.
    std::vector<double> lt(n * n), tt(n * n);
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        const double ldr = at(i * step + half, j * step + half) + at((i - 1) * step + half, j * step + half);
        const double lul = at(i * step, j * step) + at(i * step, (j + 1) * step);
        lt[i * n + j] = ldr + lul;
      }
    }
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) at(i * step, j * step + half) = wibbled(lt[i * n + j]);
    }
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        const double tdr = at(i * step + half, j * step + half) + at(i * step + half, (j - 1) * step + half);
        const double tul = at(i * step, j * step) + at((i + 1) * step, j * step);
        tt[i * n + j] = tdr + tul;
      }
    }
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) at(i * step + half, j * step) = wibbled(tt[i * n + j]);
    }
    step /= 2;
    wibble /= decay;
  }
  const double lo = *std::min_element(m.begin(), m.end());
  for (double& v : m) v -= lo;
  const double hi = *std::max_element(m.begin(), m.end());
  for (double& v : m) v /= hi;
  return m;
}

absl::StatusOr<cv::Mat> Fog(const cv::Mat& img, int s, CorruptionRng& rng, const CorruptOptions&) {
  const std::array<std::pair<double, double>, 5> cs = {
      std::pair<double, double>{1.5, 2}, {2, 2}, {2.5, 1.7}, {2.5, 1.5}, {3, 1.4}};
  const auto [amp, decay] = cs[s - 1];
  const int64_t side = std::max<int64_t>({img.rows, img.cols, 3});
  int64_t size = 1;
  while (size < side) size *= 2;
  const std::vector<double> plasma = Plasma(size, decay, rng);
  std::vector<double> x = ToUnit(img);
  const double max_val = *std::max_element(x.begin(), x.end());
  for (int64_t y = 0; y < img.rows; ++y) {
    for (int64_t xx = 0; xx < img.cols; ++xx) {
      for (int k = 0; k < 3; ++k) x[(y * img.cols + xx) * 3 + k] += amp * plasma[y * size + xx];
    }
  }
  for (double& v : x) v = v * max_val / (max_val + amp);
  return FromUnit(x, img.rows, img.cols);
}

absl::StatusOr<cv::Mat> Hsv(const cv::Mat& img, const std::function<void(double*)>& edit) {
  std::vector<double> x = ToUnit(img);
  double hsv[3];
  for (size_t i = 0; i < x.size(); i += 3) {
    RgbToHsv(&x[i], hsv);
    edit(hsv);
    HsvToRgb(hsv, &x[i]);
  }
  return FromUnit(x, img.rows, img.cols);
}

absl::StatusOr<cv::Mat> Brightness(const cv::Mat& img, int s, CorruptionRng&, const CorruptOptions&) {
  const double c = std::array<double, 5>{.1, .2, .3, .4, .5}[s - 1];
  return Hsv(img, [c](double* hsv) { hsv[2] = std::min(std::max(hsv[2] + c, 0.0), 1.0); });
}

absl::StatusOr<cv::Mat> Saturate(const cv::Mat& img, int s, CorruptionRng&, const CorruptOptions&) {
  const std::pair<double, double> c =
      std::array<std::pair<double, double>, 5>{std::pair<double, double>{.3, 0}, {.1, 0}, {2, 0},
                                               {5, .1}, {20, .2}}[s - 1];
  return Hsv(img, [c](double* hsv) { hsv[1] = std::min(std::max(hsv[1] * c.first + c.second, 0.0), 1.0); });
}

absl::StatusOr<cv::Mat> Contrast(const cv::Mat& img, int s, CorruptionRng&, const CorruptOptions&) {
  const double c = std::array<double, 5>{.4, .3, .2, .1, .05}[s - 1];
  std::vector<double> x = ToUnit(img);
  const size_t n = img.total();
  for (int k = 0; k < 3; ++k) {
    const double mean = PairwiseSum(x.data() + k, n, 3) / static_cast<double>(n);
    for (size_t i = k; i < x.size(); i += 3) x[i] = (x[i] - mean) * c + mean;
  }
  return FromUnit(x, img.rows, img.cols);
}

absl::StatusOr<cv::Mat> ElasticTransform(const cv::Mat& img, int s, CorruptionRng& rng, const CorruptOptions&) {
  const double alpha = std::array<double, 5>{12.5, 16.25, 21.25, 25, 30}[s - 1];
  const int64_t rows = img.rows, cols = img.cols;
  const double max_d = rows * 0.005;
  auto field = [&]() {
    std::vector<double> d(rows * cols);
    for (double& v : d) v = UniformDraw(rng, -max_d, max_d);
    GaussianFilter(d, rows, cols, 1, rows * 0.01, cols * 0.01, Border::kReflect, 3.0);
    std::vector<float> f(d.size());
    for (size_t i = 0; i < d.size(); ++i) f[i] = static_cast<float>(d[i] * alpha);
    return f;
  };
  const std::vector<float> dx = field();
  const std::vector<float> dy = field();
  std::vector<float> x(img.total() * 3);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(img.ptr<uchar>()[i] / 255.0f);
  // map_coordinates(order=1, mode='reflect'): the coordinate reflected, then linear weights.
  auto reflect_coord = [](double c, int64_t n) {
    if (n == 1) return 0.0;
    const double period = 2.0 * n;
    if (c < 0) {
      if (c < -period) c = period * static_cast<int64_t>(-c / period) + c;
      c = c < -n ? c + period : -c - 1;
    }
    if (c > n - 1) {
      if (c >= period) c -= period * static_cast<int64_t>(c / period);
      if (c > n - 1) c = period - c - 1;
    }
    return c;
  };
  std::vector<float> out(x.size());
  for (int64_t y = 0; y < rows; ++y) {
    for (int64_t xx = 0; xx < cols; ++xx) {
      const double cy = reflect_coord(y + static_cast<double>(dy[y * cols + xx]), rows);
      const double cx = reflect_coord(xx + static_cast<double>(dx[y * cols + xx]), cols);
      const int64_t y0 = static_cast<int64_t>(std::floor(cy)), x0 = static_cast<int64_t>(std::floor(cx));
      const double ty = cy - y0, tx = cx - x0;
      const int64_t ys[2] = {MapIndex(y0, rows, Border::kReflect), MapIndex(y0 + 1, rows, Border::kReflect)};
      const int64_t xs[2] = {MapIndex(x0, cols, Border::kReflect), MapIndex(x0 + 1, cols, Border::kReflect)};
      for (int k = 0; k < 3; ++k) {
        const double v = (1 - ty) * ((1 - tx) * x[(ys[0] * cols + xs[0]) * 3 + k] + tx * x[(ys[0] * cols + xs[1]) * 3 + k]) +
                         ty * ((1 - tx) * x[(ys[1] * cols + xs[0]) * 3 + k] + tx * x[(ys[1] * cols + xs[1]) * 3 + k]);
        out[(y * cols + xx) * 3 + k] = static_cast<float>(v);
      }
    }
  }
  return FromUnit32(out, img.rows, img.cols);
}

absl::StatusOr<cv::Mat> Pixelate(const cv::Mat& img, int s, CorruptionRng&, const CorruptOptions&) {
  const double c = std::array<double, 5>{.6, .5, .4, .3, .25}[s - 1];
  const int w = static_cast<int>(img.cols * c), h = static_cast<int>(img.rows * c);
  return PilNearestResize(PilBoxResize(img, std::max(w, 1), std::max(h, 1)), img.cols, img.rows);
}

absl::StatusOr<cv::Mat> JpegCompression(const cv::Mat& img, int s, CorruptionRng&, const CorruptOptions&) {
  const int c = std::array<int, 5>{25, 18, 15, 10, 7}[s - 1];
  // PIL saves the array as RGB; OpenCV's encoder takes BGR, so hand it the channels swapped
  // and the bytes reach libjpeg in the array's own order, as PIL's do.
  cv::Mat swapped;
  cv::cvtColor(img, swapped, cv::COLOR_BGR2RGB);
  // OpenCV's bytes and pixels, without its codecs (image_encode.h, jpeg_decode.h).
  auto bytes = EncodeJpeg(swapped, c);
  if (!bytes.ok()) return Annotate(bytes.status(), "jpeg_compression");
  std::optional<cv::Mat> decoded =
      datasets::DecodeJpeg(bytes->data(), bytes->size(), datasets::kImreadColor);
  if (!decoded) return absl::InternalError("jpeg_compression: the JPEG decoder failed");
  cv::Mat out;
  cv::cvtColor(*decoded, out, cv::COLOR_RGB2BGR);
  return out;
}

absl::StatusOr<cv::Mat> Spatter(const cv::Mat& img, int s, CorruptionRng& rng, const CorruptOptions&) {
  struct P { double loc, scale, sigma, thr, k; int mud; };
  const P c = std::array<P, 5>{P{.65, .3, 4, .69, .6, 0}, P{.65, .3, 3, .68, .6, 0},
                               P{.65, .3, 2, .68, .5, 0}, P{.65, .3, 1, .65, 1.5, 1},
                               P{.67, .4, 1, .65, 1.5, 1}}[s - 1];
  const int rows = img.rows, cols = img.cols;
  std::vector<double> liquid(static_cast<size_t>(rows) * cols);
  std::normal_distribution<double> n(c.loc, c.scale);
  for (double& v : liquid) v = n(rng);
  GaussianFilter(liquid, rows, cols, 1, c.sigma, c.sigma, Border::kNearest);
  for (double& v : liquid) v = v < c.thr ? 0 : v;
  cv::Mat x32;
  img.convertTo(x32, CV_32FC3, 1.0 / 255.0);
  std::vector<float> out(img.total() * 3);
  if (c.mud == 0) {
    cv::Mat layer(rows, cols, CV_8U);
    for (int i = 0; i < rows * cols; ++i) {
      layer.ptr<uchar>()[i] = static_cast<uchar>(static_cast<int64_t>(liquid[i] * 255));  // astype wraps
    }
    cv::Mat edges, dist;
    cv::Canny(layer, edges, 50, 150);
    edges = 255 - edges;
    cv::distanceTransform(edges, dist, cv::DIST_L2, 5);
    cv::threshold(dist, dist, 20, 20, cv::THRESH_TRUNC);
    cv::blur(dist, dist, cv::Size(3, 3));
    cv::Mat dist8(rows, cols, CV_8U);
    for (int i = 0; i < rows * cols; ++i) {
      dist8.ptr<uchar>()[i] = static_cast<uchar>(static_cast<int>(dist.ptr<float>()[i]));
    }
    cv::equalizeHist(dist8, dist8);
    const cv::Mat ker = (cv::Mat_<double>(3, 3) << -2, -1, 0, -1, 1, 1, 0, 1, 2);
    cv::filter2D(dist8, dist8, CV_8U, ker);
    cv::blur(dist8, dist8, cv::Size(3, 3));
    cv::Mat distf;
    dist8.convertTo(distf, CV_32F);
    std::vector<float> m(static_cast<size_t>(rows) * cols);
    float mmax = 0;
    for (int i = 0; i < rows * cols; ++i) {
      m[i] = layer.ptr<uchar>()[i] * distf.ptr<float>()[i];
      mmax = std::max(mmax, m[i]);
    }
    // Pale turquoise, the mask normalised by its maximum and scaled by k, all in float32.
    const float colour[3] = {175 / 255.f, 238 / 255.f, 238 / 255.f};
    for (int i = 0; i < rows * cols; ++i) {
      const float mv = (mmax > 0 ? m[i] / mmax : 0.f) * static_cast<float>(c.k);
      for (int k = 0; k < 3; ++k) out[i * 3 + k] = x32.ptr<float>()[i * 3 + k] + mv * colour[k];
    }
  } else {
    std::vector<double> m(liquid.size());
    for (size_t i = 0; i < m.size(); ++i) m[i] = liquid[i] > c.thr ? 1.0 : 0.0;
    GaussianFilter(m, rows, cols, 1, c.k, c.k, Border::kNearest, 4.0, /*float32=*/true);
    for (double& v : m) v = v < 0.8 ? 0 : v;
    // Mud brown, in float32.
    const float colour[3] = {63 / 255.f, 42 / 255.f, 20 / 255.f};
    for (int i = 0; i < rows * cols; ++i) {
      const float mf = static_cast<float>(m[i]);
      for (int k = 0; k < 3; ++k) {
        out[i * 3 + k] = x32.ptr<float>()[i * 3 + k] * (1 - mf) + colour[k] * mf;
      }
    }
  }
  return FromUnit32(out, rows, cols);
}

const std::map<std::string, Fn>& Registry() {
  static const auto* r = new std::map<std::string, Fn>{
      {"gaussian_noise", GaussianNoise}, {"shot_noise", ShotNoise},
      {"impulse_noise", ImpulseNoise},   {"defocus_blur", DefocusBlur},
      {"glass_blur", GlassBlur},         {"motion_blur", MotionBlurCorruption},
      {"zoom_blur", ZoomBlur},           {"snow", Snow},
      {"frost", Frost},                  {"fog", Fog},
      {"brightness", Brightness},        {"contrast", Contrast},
      {"elastic_transform", ElasticTransform}, {"pixelate", Pixelate},
      {"jpeg_compression", JpegCompression},   {"speckle_noise", SpeckleNoise},
      {"gaussian_blur", GaussianBlur},   {"spatter", Spatter},
      {"saturate", Saturate}};
  return *r;
}

}  // namespace

const std::vector<std::string>& CorruptionNames() {
  static const std::vector<std::string> names = {
      "gaussian_noise", "shot_noise",   "impulse_noise",     "defocus_blur", "glass_blur",
      "motion_blur",    "zoom_blur",    "snow",              "frost",        "fog",
      "brightness",     "contrast",     "elastic_transform", "pixelate",     "jpeg_compression",
      "speckle_noise",  "gaussian_blur", "spatter",          "saturate"};
  return names;
}

absl::StatusOr<std::vector<std::string>> ResolveCorruptions(const std::vector<std::string>& spec) {
  const std::vector<std::string>& all = CorruptionNames();
  if (spec.size() == 1 && spec[0] == "all") return all;
  if (spec.size() == 1 && spec[0] == "benchmark") {
    return std::vector<std::string>(all.begin(), all.begin() + 15);
  }
  if (spec.size() == 1 && spec[0] == "holdout") {
    return std::vector<std::string>(all.begin() + 15, all.end());
  }
  for (const std::string& name : spec) {
    if (std::find(all.begin(), all.end(), name) == all.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown corruption '", name, "' (expected benchmark, holdout, all or some of: ",
          absl::StrJoin(all, ", "), ")"));
    }
  }
  if (spec.empty()) return absl::InvalidArgumentError("no corruption given");
  return spec;
}

uint64_t CorruptionImageKey(const std::string& filename) {
  const std::string base = filename.substr(filename.find_last_of('/') + 1);
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char ch : base) h = (h ^ ch) * 1099511628211ull;
  return h;
}

CorruptionRng MakeCorruptionRng(uint64_t seed, uint64_t image_index, const std::string& corruption,
                                int severity) {
  // splitmix64 over the parts (the name through FNV-1a).
  auto mix = [](uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  uint64_t name = 1469598103934665603ull;
  for (unsigned char ch : corruption) name = (name ^ ch) * 1099511628211ull;
  uint64_t h = mix(seed);
  h = mix(h ^ image_index);
  h = mix(h ^ name);
  h = mix(h ^ static_cast<uint64_t>(severity));
  return CorruptionRng(h);
}

std::string FindFrostDir(const std::string& flag_value) {
  auto has_frost = [](const std::string& dir) {
    std::error_code ec;
    return !dir.empty() && std::filesystem::exists(dir + "/frost1.png", ec);
  };
  if (!flag_value.empty()) return has_frost(flag_value) ? flag_value : "";
  if (const char* env = std::getenv("IMAGECORRUPTIONS_FROST"); env != nullptr && has_frost(env)) {
    return env;
  }
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::string next_to = (exe.parent_path() / "imagecorruptions" / "frost").string();
    if (has_frost(next_to)) return next_to;
  }
  return "";
}

absl::StatusOr<cv::Mat> Corrupt(const cv::Mat& image, const std::string& name, int severity,
                                CorruptionRng& rng, const CorruptOptions& options) {
  auto it = Registry().find(name);
  if (it == Registry().end()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown corruption '", name, "' (expected one of: ",
                                                   absl::StrJoin(CorruptionNames(), ", "), ")"));
  }
  if (severity < 0 || severity > 5) {
    return absl::InvalidArgumentError(absl::StrCat("severity ", severity, ": expected 0 to 5"));
  }
  if (image.type() != CV_8UC3) {
    return absl::InvalidArgumentError("corrupt: expected an 8-bit 3-channel image");
  }
  if (image.rows < 32 || image.cols < 32) {
    return absl::InvalidArgumentError(absl::StrCat("corrupt: the image is ", image.cols, "x",
                                                   image.rows, "; imagecorruptions needs 32x32 or more"));
  }
  if (severity == 0) return image.clone();
  const cv::Mat input = image.isContinuous() ? image : image.clone();
  return it->second(input, severity, rng, options);
}

}  // namespace mmdet::datasets
