#include "mmdet/ops/max_pool.h"

#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "mmdet/ops/cpu/vector_clones.h"

namespace mmdet::ops {
namespace {

// ATen's comparison: a NaN wins and stays.
inline float MaxNan(float a, float b) { return (b > a || b != b) ? b : a; }

// dst[i] = MaxNan(dst[i], src[i]): contiguous, branch-free, vectorised.
MMDET_VECTOR_CLONES void MaxRowInto(float* __restrict dst, const float* __restrict src,
                                    int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = MaxNan(dst[i], src[i]);
}

// `row` has w + 2p floats, its p on either side -inf: a window then never needs bounds (each
// holds at least one real value, as 2p <= k, and max(-inf, v) is v, NaN included).
MMDET_VECTOR_CLONES void PoolPlane(const float* in, int64_t h, int64_t w, float* out, int64_t oh,
                                   int64_t ow, int64_t k, int64_t s, int64_t p, float* row) {
  float* mid = row + p;
  for (int64_t oy = 0; oy < oh; ++oy) {
    const int64_t y0 = std::max<int64_t>(oy * s - p, 0);
    const int64_t y1 = std::min<int64_t>(oy * s - p + k, h);
    std::copy(in + y0 * w, in + (y0 + 1) * w, mid);
    for (int64_t y = y0 + 1; y < y1; ++y) MaxRowInto(mid, in + y * w, w);
    float* o = out + oy * ow;
    if (k == 3 && s == 2) {  // ResNet's stem: a fixed window the compiler vectorises
      for (int64_t ox = 0; ox < ow; ++ox) {
        o[ox] = MaxNan(MaxNan(row[2 * ox], row[2 * ox + 1]), row[2 * ox + 2]);
      }
      continue;
    }
    for (int64_t ox = 0; ox < ow; ++ox) {
      const float* window = row + ox * s;
      float m = window[0];
      for (int64_t x = 1; x < k; ++x) m = MaxNan(m, window[x]);
      o[ox] = m;
    }
  }
}

}  // namespace

at::Tensor MaxPool2d(const at::Tensor& x, int64_t kernel, int64_t stride, int64_t padding) {
  const bool fast = x.device().is_cpu() && x.scalar_type() == at::kFloat && x.dim() == 4 &&
                    x.is_contiguous() && !(x.requires_grad() && c10::GradMode::is_enabled()) &&
                    kernel >= 1 && stride >= 1 && padding >= 0 && 2 * padding <= kernel &&
                    x.size(2) + 2 * padding >= kernel && x.size(3) + 2 * padding >= kernel &&
                    x.numel() > 0;
  if (!fast) return at::max_pool2d(x, {kernel, kernel}, {stride, stride}, {padding, padding});
  const int64_t planes = x.size(0) * x.size(1), h = x.size(2), w = x.size(3);
  const int64_t oh = (h + 2 * padding - kernel) / stride + 1;
  const int64_t ow = (w + 2 * padding - kernel) / stride + 1;
  at::Tensor out = at::empty({x.size(0), x.size(1), oh, ow}, x.options());
  const float* in = x.data_ptr<float>();
  float* o = out.data_ptr<float>();
  at::parallel_for(0, planes, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> row(static_cast<size_t>(w + 2 * padding),
                           -std::numeric_limits<float>::infinity());
    for (int64_t plane = begin; plane < end; ++plane) {
      PoolPlane(in + plane * h * w, h, w, o + plane * oh * ow, oh, ow, kernel, stride, padding,
                row.data());
    }
  });
  return out;
}

}  // namespace mmdet::ops
