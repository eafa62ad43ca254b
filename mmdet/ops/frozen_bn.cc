#include "mmdet/ops/frozen_bn.h"

#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "ATen/record_function.h"
#include "torch/autograd.h"

namespace mmdet::ops {
namespace {

// Loops cloned per vector unit, as mmdet/ops/cpu/vector_clones.h, but with FMA in the wide
// clones (__builtin_fmaf is one instruction there, as in ATen's kernels; the baseline clone
// calls libm's fmaf, which rounds the same).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define MMDET_FMA_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MMDET_FMA_CLONES
#endif
#define MMDET_INLINE __attribute__((always_inline)) inline
#define MMDET_INLINE_LAMBDA __attribute__((always_inline))

// bfloat16 as ATen's c10::BFloat16: the high half of a float, rounded to nearest even, NaN
// quiet. Branch-free so that the loops vectorise.
MMDET_INLINE float Load(const float* p, int64_t i) { return p[i]; }
MMDET_INLINE float Load(const uint16_t* p, int64_t i) {
  const uint32_t u = static_cast<uint32_t>(p[i]) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
MMDET_INLINE uint16_t ToBf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
  return f != f ? uint16_t{0x7fc0} : static_cast<uint16_t>(rounded);
}
MMDET_INLINE void Store(float* p, int64_t i, float v) { p[i] = v; }
MMDET_INLINE void Store(uint16_t* p, int64_t i, float v) { p[i] = ToBf16(v); }
// v rounded to T's precision, as a float.
MMDET_INLINE float Round(float v, const float*) { return v; }
MMDET_INLINE float Round(float v, const uint16_t*) {
  const uint32_t u = static_cast<uint32_t>(ToBf16(v)) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// y[i] = relu(round(x[i] * a + b) [+ r[i]]) for i < n, with a, b per element (`kPerElement`:
// channels-last rows, a[i], b[i]) or one pair for the span (an NCHW plane, a[0], b[0]).
template <typename T, bool kPerElement>
MMDET_INLINE void ForwardSpan(const T* __restrict x, const T* __restrict r, T* __restrict y, int64_t n, const float* __restrict a,
                              const float* __restrict b) {
  if (r != nullptr) {
    for (int64_t i = 0; i < n; ++i) {
      const int64_t c = kPerElement ? i : 0;
      const float t = Round(__builtin_fmaf(Load(x, i), a[c], b[c]), x) + Load(r, i);
      Store(y, i, t < 0.f ? 0.f : t);  // rounding and ReLU commute (NaN stays NaN)
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const int64_t c = kPerElement ? i : 0;
      const float t = __builtin_fmaf(Load(x, i), a[c], b[c]);
      Store(y, i, t < 0.f ? 0.f : t);
    }
  }
}

// The backward of one span: g' = g where y is not <= 0 (ATen's threshold_backward), then
// gr[i] = g', gx[i] = (g' * inv) * w and sum_g += g', sum_gx += g' * (x - mean), with inv,
// w, mean per element or per span as in ForwardSpan; which outputs are written is fixed at
// compile time, so that the loops vectorise. The sums are float over the span (NCHW spans in
// 16 partial sums; callers keep spans short and add them up in double).
template <typename T, bool kPerElement, bool kGx, bool kGr, bool kSums>
MMDET_INLINE void BackwardSpanOf(const T* __restrict g, const T* __restrict y, const T* __restrict x, T* __restrict gx, T* __restrict gr, int64_t n,
                                 const float* __restrict inv, const float* __restrict w, const float* __restrict mean,
                                 float* __restrict sum_g, float* __restrict sum_gx) {
  constexpr int kLanes = 16;
  float lane_g[kLanes] = {}, lane_gx[kLanes] = {};
  const auto element = [&](int64_t i, int lane) MMDET_INLINE_LAMBDA {
    const int64_t c = kPerElement ? i : 0;
    const float gm = Load(y, i) <= 0.f ? 0.f : Load(g, i);
    if (kGr) Store(gr, i, gm);
    if (kGx) Store(gx, i, (gm * inv[c]) * w[c]);
    if (kSums) {
      const float d = gm * (Load(x, i) - mean[c]);
      if (kPerElement) {
        sum_g[i] += gm;
        sum_gx[i] += d;
      } else {
        lane_g[lane] += gm;
        lane_gx[lane] += d;
      }
    }
  };
  int64_t i = 0;
  if (!kPerElement) {
    for (; i + kLanes <= n; i += kLanes) {
      for (int l = 0; l < kLanes; ++l) element(i + l, l);
    }
  }
  for (; i < n; ++i) element(i, 0);
  if (!kPerElement && kSums) {
    for (int l = 0; l < kLanes; ++l) {
      sum_g[0] += lane_g[l];
      sum_gx[0] += lane_gx[l];
    }
  }
}

template <typename T, bool kPerElement>
MMDET_INLINE void BackwardSpan(const T* __restrict g, const T* __restrict y, const T* __restrict x, T* __restrict gx, T* __restrict gr, int64_t n,
                               const float* __restrict inv, const float* __restrict w, const float* __restrict mean,
                               float* __restrict sum_g, float* __restrict sum_gx) {
  const int which = (gx != nullptr ? 4 : 0) | (gr != nullptr ? 2 : 0) | (sum_g != nullptr ? 1 : 0);
  switch (which) {
#define MMDET_CASE(k)                                                                      \
  case k:                                                                                  \
    return BackwardSpanOf<T, kPerElement, ((k)&4) != 0, ((k)&2) != 0, ((k)&1) != 0>(       \
        g, y, x, gx, gr, n, inv, w, mean, sum_g, sum_gx);
    MMDET_CASE(0) MMDET_CASE(1) MMDET_CASE(2) MMDET_CASE(3)
    MMDET_CASE(4) MMDET_CASE(5) MMDET_CASE(6) MMDET_CASE(7)
#undef MMDET_CASE
  }
}

// The cloned entry points, one per type and layout.
#define MMDET_FROZEN_BN_SPANS(T, Name)                                                          \
  MMDET_FMA_CLONES void Forward##Name##Cl(const T* __restrict x, const T* __restrict r, T* __restrict y, int64_t n,              \
                                           const float* __restrict a, const float* __restrict b) {                    \
    ForwardSpan<T, true>(x, r, y, n, a, b);                                                     \
  }                                                                                             \
  MMDET_FMA_CLONES void Forward##Name##Plane(const T* __restrict x, const T* __restrict r, T* __restrict y, int64_t n,           \
                                              const float* __restrict a, const float* __restrict b) {                 \
    ForwardSpan<T, false>(x, r, y, n, a, b);                                                    \
  }                                                                                             \
  MMDET_FMA_CLONES void Backward##Name##Cl(const T* __restrict g, const T* __restrict y, const T* __restrict x, T* __restrict gx, T* __restrict gr,    \
                                            int64_t n, const float* __restrict inv, const float* __restrict w,        \
                                            const float* __restrict mean, float* __restrict sg, float* __restrict sgx) {         \
    BackwardSpan<T, true>(g, y, x, gx, gr, n, inv, w, mean, sg, sgx);                           \
  }                                                                                             \
  MMDET_FMA_CLONES void Backward##Name##Plane(const T* __restrict g, const T* __restrict y, const T* __restrict x, T* __restrict gx, T* __restrict gr, \
                                               int64_t n, const float* __restrict inv, const float* __restrict w,     \
                                               const float* __restrict mean, float* __restrict sg, float* __restrict sgx) {      \
    BackwardSpan<T, false>(g, y, x, gx, gr, n, inv, w, mean, sg, sgx);                          \
  }
MMDET_FROZEN_BN_SPANS(float, F32)
MMDET_FROZEN_BN_SPANS(uint16_t, Bf16)
#undef MMDET_FROZEN_BN_SPANS

template <typename T>
struct Spans;
template <>
struct Spans<float> {
  static constexpr auto kForwardCl = ForwardF32Cl, kForwardPlane = ForwardF32Plane;
  static constexpr auto kBackwardCl = BackwardF32Cl, kBackwardPlane = BackwardF32Plane;
};
template <>
struct Spans<uint16_t> {
  static constexpr auto kForwardCl = ForwardBf16Cl, kForwardPlane = ForwardBf16Plane;
  static constexpr auto kBackwardCl = BackwardBf16Cl, kBackwardPlane = BackwardBf16Plane;
};

template <typename T>
T* Data(const at::Tensor& t) {
  return t.defined() ? static_cast<T*>(t.data_ptr()) : nullptr;
}

std::vector<float> Floats(const at::Tensor& t) {
  const at::Tensor c = t.contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// The map as [N, C, HW]: channels-last rows of C, or NCHW planes of HW.
struct Shape {
  int64_t n, c, hw;
  bool cl;
  static Shape Of(const at::Tensor& x, bool cl) {
    return {x.size(0), x.size(1), x.size(2) * x.size(3), cl};
  }
  at::MemoryFormat format() const {
    return cl ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  }
};

template <typename T>
void Forward(const Shape& s, const T* x, const T* r, T* y, const std::vector<float>& a,
             const std::vector<float>& b) {
  if (s.cl) {
    at::parallel_for(0, s.n * s.hw, 64, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const int64_t o = row * s.c;
        Spans<T>::kForwardCl(x + o, r ? r + o : nullptr, y + o, s.c, a.data(), b.data());
      }
    });
  } else {
    at::parallel_for(0, s.n * s.c, 1, [&](int64_t begin, int64_t end) {
      for (int64_t plane = begin; plane < end; ++plane) {
        const int64_t o = plane * s.hw, ch = plane % s.c;
        Spans<T>::kForwardPlane(x + o, r ? r + o : nullptr, y + o, s.hw, &a[ch], &b[ch]);
      }
    });
  }
}

// Fills gx / gr where non-null and, with `sums`, the per-channel sums of g' and g' * (x - mean)
// (in double).
template <typename T>
void Backward(const Shape& s, const T* g, const T* y, const T* x, T* gx, T* gr,
              const std::vector<float>& inv, const std::vector<float>& w,
              const std::vector<float>& mean, bool sums, std::vector<double>* sum_g,
              std::vector<double>* sum_gx) {
  sum_g->assign(s.c, 0.0);
  sum_gx->assign(s.c, 0.0);
  if (s.cl) {
    // Blocks of rows, each with its own partial sums (float within a block, double across).
    constexpr int64_t kBlock = 64;
    const int64_t rows = s.n * s.hw, blocks = (rows + kBlock - 1) / kBlock;
    std::vector<double> part_g(sums ? blocks * s.c : 0), part_gx(sums ? blocks * s.c : 0);
    at::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
      std::vector<float> bg(sums ? s.c : 0), bgx(sums ? s.c : 0);
      for (int64_t block = begin; block < end; ++block) {
        std::fill(bg.begin(), bg.end(), 0.f);
        std::fill(bgx.begin(), bgx.end(), 0.f);
        for (int64_t row = block * kBlock; row < std::min(rows, (block + 1) * kBlock); ++row) {
          const int64_t o = row * s.c;
          Spans<T>::kBackwardCl(g + o, y + o, x + o, gx ? gx + o : nullptr, gr ? gr + o : nullptr,
                                s.c, inv.data(), w.data(), mean.data(),
                                sums ? bg.data() : nullptr, sums ? bgx.data() : nullptr);
        }
        for (int64_t ch = 0; sums && ch < s.c; ++ch) {
          part_g[block * s.c + ch] = bg[ch];
          part_gx[block * s.c + ch] = bgx[ch];
        }
      }
    });
    for (int64_t block = 0; sums && block < blocks; ++block) {
      for (int64_t ch = 0; ch < s.c; ++ch) {
        (*sum_g)[ch] += part_g[block * s.c + ch];
        (*sum_gx)[ch] += part_gx[block * s.c + ch];
      }
    }
  } else {
    // By channel (its planes in every image), so each channel's sums have one writer.
    constexpr int64_t kChunk = 1024;
    at::parallel_for(0, s.c, 1, [&](int64_t begin, int64_t end) {
      for (int64_t ch = begin; ch < end; ++ch) {
        for (int64_t img = 0; img < s.n; ++img) {
          const int64_t plane = (img * s.c + ch) * s.hw;
          for (int64_t i = 0; i < s.hw; i += kChunk) {
            const int64_t o = plane + i, len = std::min(kChunk, s.hw - i);
            float cg = 0.f, cgx = 0.f;
            Spans<T>::kBackwardPlane(g + o, y + o, x + o, gx ? gx + o : nullptr,
                                     gr ? gr + o : nullptr, len, &inv[ch], &w[ch], &mean[ch],
                                     sums ? &cg : nullptr, sums ? &cgx : nullptr);
            (*sum_g)[ch] += cg;
            (*sum_gx)[ch] += cgx;
          }
        }
      }
    });
  }
}

// alpha, beta of ATen's forward: invstd = 1 / sqrt(var + eps) in float.
void ForwardTerms(const at::Tensor& weight, const at::Tensor& bias, const at::Tensor& mean,
                  const at::Tensor& var, double eps, std::vector<float>* a,
                  std::vector<float>* b) {
  const std::vector<float> w = Floats(weight), bi = Floats(bias), m = Floats(mean),
                           v = Floats(var);
  a->resize(w.size());
  b->resize(w.size());
  for (size_t c = 0; c < w.size(); ++c) {
    const float invstd = 1.f / std::sqrt(v[c] + static_cast<float>(eps));
    (*a)[c] = invstd * w[c];
    (*b)[c] = std::fma(-m[c], (*a)[c], bi[c]);
  }
}

at::Tensor RunForward(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                      const at::Tensor& mean, const at::Tensor& var, double eps,
                      const at::Tensor& residual, bool cl) {
  const Shape s = Shape::Of(x, cl);
  std::vector<float> a, b;
  ForwardTerms(weight, bias, mean, var, eps, &a, &b);
  at::Tensor y = at::empty(x.sizes(), x.options().memory_format(s.format()));
  if (x.scalar_type() == at::kFloat) {
    Forward<float>(s, Data<float>(x), Data<float>(residual), Data<float>(y), a, b);
  } else {
    Forward<uint16_t>(s, Data<uint16_t>(x), Data<uint16_t>(residual), Data<uint16_t>(y), a, b);
  }
  return y;
}

class FrozenBnReluFunction : public torch::autograd::Function<FrozenBnReluFunction> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x,
                            const at::Tensor& weight, const at::Tensor& bias,
                            const at::Tensor& mean, const at::Tensor& var,
                            const at::Tensor& residual, bool has_residual, double eps, bool cl) {
    at::Tensor y = RunForward(x, weight, bias, mean, var, eps,
                              has_residual ? residual : at::Tensor(), cl);
    ctx->save_for_backward({x, y, weight, mean, var});
    ctx->saved_data["eps"] = eps;
    ctx->saved_data["cl"] = cl;
    ctx->saved_data["has_residual"] = has_residual;
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    RECORD_FUNCTION("mmdet::frozen_bn_relu_backward", std::vector<c10::IValue>());
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &y = saved[1];
    const double eps = ctx->saved_data["eps"].toDouble();
    const bool cl = ctx->saved_data["cl"].toBool();
    const bool has_residual = ctx->saved_data["has_residual"].toBool();
    torch::autograd::variable_list out(9);
    if (!grads[0].defined()) return out;
    const Shape s = Shape::Of(x, cl);
    const at::Tensor g = grads[0].to(x.scalar_type()).contiguous(s.format());
    const bool want_x = ctx->needs_input_grad(0);
    const bool want_w = ctx->needs_input_grad(1), want_b = ctx->needs_input_grad(2);
    const bool want_r = has_residual && ctx->needs_input_grad(5);
    // ATen's backward invstd: 1 / sqrt(var + eps) in double, rounded to float.
    const std::vector<float> w = Floats(saved[2]), mean = Floats(saved[3]), var = Floats(saved[4]);
    std::vector<float> inv(var.size());
    for (size_t c = 0; c < var.size(); ++c) {
      inv[c] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(var[c]) + eps));
    }
    const auto opts = x.options().memory_format(s.format());
    at::Tensor gx = want_x ? at::empty(x.sizes(), opts) : at::Tensor();
    at::Tensor gr = want_r ? at::empty(x.sizes(), opts) : at::Tensor();
    std::vector<double> sum_g, sum_gx;
    const bool sums = want_w || want_b;
    if (x.scalar_type() == at::kFloat) {
      Backward<float>(s, Data<float>(g), Data<float>(y), Data<float>(x), Data<float>(gx),
                      Data<float>(gr), inv, w, mean, sums, &sum_g, &sum_gx);
    } else {
      Backward<uint16_t>(s, Data<uint16_t>(g), Data<uint16_t>(y), Data<uint16_t>(x),
                         Data<uint16_t>(gx), Data<uint16_t>(gr), inv, w, mean, sums, &sum_g,
                         &sum_gx);
    }
    const auto param = saved[2].options();
    if (want_w) {
      at::Tensor gw = at::empty({s.c}, param);
      for (int64_t c = 0; c < s.c; ++c) {
        gw.data_ptr<float>()[c] = static_cast<float>(sum_gx[c] * static_cast<double>(inv[c]));
      }
      out[1] = gw;
    }
    if (want_b) {
      at::Tensor gb = at::empty({s.c}, param);
      for (int64_t c = 0; c < s.c; ++c) gb.data_ptr<float>()[c] = static_cast<float>(sum_g[c]);
      out[2] = gb;
    }
    out[0] = gx;
    out[5] = gr;
    return out;
  }
};

bool IsParam(const at::Tensor& t, int64_t c) {
  return t.defined() && t.device().is_cpu() && t.layout() == at::kStrided &&
         t.scalar_type() == at::kFloat && t.dim() == 1 && t.size(0) == c;
}

std::atomic<bool> enabled{[] {
  const char* env = std::getenv("MMDET_FROZEN_BN");
  return env == nullptr || std::string(env) != "0";
}()};

}  // namespace

void SetFrozenBnEnabled(bool on) { enabled = on; }
bool FrozenBnEnabled() { return enabled; }

std::optional<at::Tensor> FrozenBnRelu(const at::Tensor& x, const at::Tensor& weight,
                                       const at::Tensor& bias, const at::Tensor& running_mean,
                                       const at::Tensor& running_var, double eps,
                                       const at::Tensor& residual) {
  if (!enabled || !x.defined() || !x.device().is_cpu() || x.layout() != at::kStrided || x.dim() != 4 ||
      x.numel() == 0 || !(x.scalar_type() == at::kFloat || x.scalar_type() == at::kBFloat16)) {
    return std::nullopt;
  }
  const int64_t c = x.size(1);
  if (!IsParam(weight, c) || !IsParam(bias, c) || !IsParam(running_mean, c) ||
      !IsParam(running_var, c) || running_mean.requires_grad() || running_var.requires_grad()) {
    return std::nullopt;
  }
  const bool cl = !x.is_contiguous() && x.is_contiguous(at::MemoryFormat::ChannelsLast);
  if (!cl && !x.is_contiguous()) return std::nullopt;
  const auto format = cl ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  at::Tensor r;
  if (residual.defined()) {
    if (!residual.device().is_cpu() || residual.layout() != at::kStrided ||
        residual.scalar_type() != x.scalar_type() || residual.sizes() != x.sizes()) {
      return std::nullopt;
    }
    r = residual.contiguous(format);
  }
  RECORD_FUNCTION("mmdet::frozen_bn_relu", std::vector<c10::IValue>());
  const bool grad = at::GradMode::is_enabled() &&
                    (x.requires_grad() || weight.requires_grad() || bias.requires_grad() ||
                     (r.defined() && r.requires_grad()));
  if (!grad) return RunForward(x, weight, bias, running_mean, running_var, eps, r, cl);
  // (An undefined tensor cannot be a custom function's input: no residual is a placeholder.)
  return FrozenBnReluFunction::apply(x, weight, bias, running_mean, running_var,
                                     r.defined() ? r : at::empty({0}, x.options()), r.defined(),
                                     eps, cl);
}

}  // namespace mmdet::ops
