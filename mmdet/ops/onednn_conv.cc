#include "mmdet/ops/onednn_conv.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#if MMDET_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>

#include "mmdet/ops/onednn_engine.h"

#include "ATen/Parallel.h"
#include "ATen/autocast_mode.h"
#include "ATen/record_function.h"
#endif

namespace mmdet::ops {

namespace {
// MMDET_ONEDNN_CONV=0 in the environment starts it off (a tool's run on ATen's convolutions).
std::atomic<bool> enabled{[] {
  const char* env = std::getenv("MMDET_ONEDNN_CONV");
  return env == nullptr || std::string(env) != "0";
}()};
// MMDET_WINOGRAD=1 starts it on.
std::atomic<bool> winograd{[] {
  const char* env = std::getenv("MMDET_WINOGRAD");
  return env != nullptr && std::string(env) == "1";
}()};
std::atomic<int64_t> winograd_runs_total{0};
}  // namespace

int64_t OneDnnWinogradRuns() { return winograd_runs_total; }

void SetOneDnnConvEnabled(bool on) { enabled = on; }
bool OneDnnConvEnabled() { return enabled; }
void SetOneDnnWinograd(bool on) { winograd = on; }
bool OneDnnWinogradEnabled() { return winograd; }

#if MMDET_HAVE_ONEDNN

dnnl::engine& OneDnnEngine() {
  static dnnl::engine* engine = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *engine;
}

namespace {

using Dims = dnnl::memory::dims;

// What a primitive depends on besides the convolution's fixed parameters.
struct Key {
  Dims src;
  dnnl::memory::data_type type = dnnl::memory::data_type::f32;  // of src, weights, bias, dst
  bool sum = false, relu = false;
  bool winograd = false;  // asked for (the primitive may still be direct: `Primitive::winograd`)
  bool operator==(const Key& o) const {
    return src == o.src && type == o.type && sum == o.sum && relu == o.relu &&
           winograd == o.winograd;
  }
};

struct Primitive {
  Key key;
  // The caller's NHWC layouts, and the primitive's own where they differ (Winograd's blocked
  // ones: the input and the output are reordered around it).
  dnnl::memory::desc src_md, weights_md, dst_md;
  dnnl::memory::desc conv_src_md, conv_dst_md;
  dnnl::convolution_forward conv;
  bool winograd = false;
};

// The weight tensor's identity and version: the packed weights are stale once either changes.
// (The bias is read from its tensor on every call.)
struct Version {
  const void* impl = nullptr;
  const void* data = nullptr;
  int64_t version = -1;
  static Version Of(const at::Tensor& t) {
    if (!t.defined()) return {};
    return {t.unsafeGetTensorImpl(), t.data_ptr(), static_cast<int64_t>(t._version())};
  }
  bool operator==(const Version& o) const {
    return impl == o.impl && data == o.data && version == o.version;
  }
};

constexpr size_t kMaxPrimitives = 8;

}  // namespace

struct OneDnnConv::State {
  std::mutex mu;
  Version weight_version;
  Dims weight_dims, stride, padding, dilation;
  bool has_bias = false;
  std::vector<std::pair<dnnl::memory::desc, dnnl::memory>> packed;  // by oneDNN's weights layout
  std::vector<Primitive> primitives;  // most recently used first
  int64_t reorders = 0;
  int64_t winograd_runs = 0;

  // Drops what depends on the weights' values or on the convolution's parameters.
  void Reset(const at::Tensor& weight, bool bias, Dims s, Dims p, Dims d) {
    if (!(weight_version == Version::Of(weight))) {
      weight_version = Version::Of(weight);
      packed.clear();
    }
    if (s != stride || p != padding || d != dilation ||
        weight_dims != Dims(weight.sizes().begin(), weight.sizes().end())) {
      stride = std::move(s);
      padding = std::move(p);
      dilation = std::move(d);
      weight_dims = Dims(weight.sizes().begin(), weight.sizes().end());
      primitives.clear();
      packed.clear();
    }
    if (bias != has_bias) {
      has_bias = bias;
      primitives.clear();
    }
  }

  const Primitive& Find(const Key& key, const Dims& dst_dims) {
    for (size_t i = 0; i < primitives.size(); ++i) {
      if (primitives[i].key == key) {
        if (i != 0) std::rotate(primitives.begin(), primitives.begin() + i, primitives.begin() + i + 1);
        return primitives.front();
      }
    }
    using dnnl::memory;
    const memory::desc src_md(key.src, key.type, memory::format_tag::nhwc);
    const memory::desc dst_md(dst_dims, key.type, memory::format_tag::nhwc);
    const memory::desc weights_any(weight_dims, key.type, memory::format_tag::any);
    Dims onednn_dilation = dilation;
    for (auto& d : onednn_dilation) d -= 1;  // oneDNN counts the gaps between taps
    dnnl::post_ops ops;
    // "sum" adds the destination's previous contents (the residual: a copy, or its own memory)
    // to the biased accumulator: one float addition, as ATen's add_ after the convolution.
    if (key.sum) ops.append_sum(1.f);
    if (key.relu) ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    const auto make = [&](dnnl::algorithm algorithm, const memory::desc& src, const memory::desc& dst) {
      const auto desc =
          has_bias
              ? dnnl::convolution_forward::desc(
                    dnnl::prop_kind::forward_inference, algorithm, src, weights_any,
                    memory::desc({weight_dims[0]}, key.type, memory::format_tag::x), dst, stride,
                    onednn_dilation, padding, padding)
              : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, algorithm,
                                                src, weights_any, dst, stride, onednn_dilation,
                                                padding, padding);
      return dnnl::convolution_forward::primitive_desc(desc, attr, OneDnnEngine());
    };
    std::optional<dnnl::convolution_forward::primitive_desc> pd;
    bool is_winograd = false;
    if (key.winograd) {
      // oneDNN's Winograd kernels read and write their own blocked layouts only ("any").
      try {
        const memory::desc any_src(key.src, key.type, memory::format_tag::any);
        const memory::desc any_dst(dst_dims, key.type, memory::format_tag::any);
        pd = make(dnnl::algorithm::convolution_winograd, any_src, any_dst);
        is_winograd = true;
      } catch (const dnnl::error&) {
        pd.reset();  // no Winograd kernel for this shape, type or CPU: the direct one
      }
    }
    if (!pd) pd = make(dnnl::algorithm::convolution_direct, src_md, dst_md);
    if (primitives.size() >= kMaxPrimitives) primitives.pop_back();
    primitives.insert(primitives.begin(),
                      Primitive{key, src_md, pd->weights_desc(), dst_md, pd->src_desc(),
                                pd->dst_desc(), dnnl::convolution_forward(*pd), is_winograd});
    return primitives.front();
  }

  // The weights in oneDNN's layout `md`, reordered from `weight` (the version Reset saw) once.
  const dnnl::memory& Packed(const dnnl::memory::desc& md, const at::Tensor& weight,
                             dnnl::stream& stream) {
    for (auto& [desc, mem] : packed) {
      if (desc == md) return mem;
    }
    using dnnl::memory;
    // Rounded to bfloat16 (when md is) by ATen, as autocast rounds them: the same bits.
    const at::Tensor oihw =
        weight.to(md.data_type() == memory::data_type::bf16 ? at::kBFloat16 : at::kFloat)
            .contiguous();
    memory plain({weight_dims, md.data_type(), memory::format_tag::oihw}, OneDnnEngine(),
                 oihw.data_ptr());
    memory mem(md, OneDnnEngine());
    dnnl::reorder(plain, mem).execute(stream, plain, mem);
    stream.wait();
    ++reorders;
    packed.emplace_back(md, std::move(mem));
    return packed.back().second;
  }
};

bool OneDnnConvBuilt() { return true; }

OneDnnConv::OneDnnConv() : state_(std::make_shared<State>()) {}
OneDnnConv::~OneDnnConv() = default;

int64_t OneDnnConv::weight_reorders() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->reorders;
}

int64_t OneDnnConv::winograd_runs() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->winograd_runs;
}

std::optional<at::Tensor> OneDnnConv::Forward(const at::Tensor& x, const at::Tensor& weight,
                                              const at::Tensor& bias, at::IntArrayRef stride,
                                              at::IntArrayRef padding, at::IntArrayRef dilation,
                                              int64_t groups, const at::Tensor& residual,
                                              bool relu, bool overwrite_residual) {
  // Under bfloat16 autocast (test --bf16) the convolution is autocast's: input, weight and
  // bias rounded to bfloat16, a bfloat16 output.
  const bool autocast = at::autocast::is_cpu_enabled();
  if (autocast && at::autocast::get_autocast_cpu_dtype() != at::kBFloat16) return std::nullopt;
  const at::ScalarType type = autocast ? at::kBFloat16 : at::kFloat;
  const auto is_cpu = [](const at::Tensor& t, std::initializer_list<at::ScalarType> types) {
    return t.device().is_cpu() && t.layout() == at::kStrided &&
           std::find(types.begin(), types.end(), t.scalar_type()) != types.end();
  };
  if (!enabled || groups != 1 || x.dim() != 4 || weight.dim() != 4 || stride.size() != 2 ||
      padding.size() != 2 || dilation.size() != 2 || !is_cpu(x, {at::kFloat, type}) ||
      !is_cpu(weight, {at::kFloat}) ||
      (bias.defined() && (!is_cpu(bias, {at::kFloat}) || bias.dim() != 1)) ||
      // A residual of another type would promote the sum (SumInPlace): ATen's business.
      (residual.defined() && !is_cpu(residual, {type})) ||
      !x.is_contiguous(at::MemoryFormat::ChannelsLast) || x.numel() == 0 ||
      x.size(1) != weight.size(1) || !at::globalContext().userEnabledMkldnn()) {
    return std::nullopt;
  }
  if (at::GradMode::is_enabled() &&
      (x.requires_grad() || weight.requires_grad() || (bias.defined() && bias.requires_grad()) ||
       (residual.defined() && residual.requires_grad()))) {
    return std::nullopt;
  }
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  const int64_t kh = weight.size(2), kw = weight.size(3);
  // ATen's own choice (ConvParams::use_mkldnn, LibTorch 1.13): float32 convolutions it leaves
  // to its native kernels, whose sums round differently, stay there (bfloat16 ones it always
  // gives to oneDNN).
  const bool strided_or_dilated = stride[0] != 1 || stride[1] != 1 || dilation[0] != 1 ||
                                  dilation[1] != 1;
  if (type == at::kFloat &&
      (!(strided_or_dilated || n >= 16 || kh != 1 || kw != 1 || at::get_num_threads() > 1) ||
       !((kh > 3 && kw > 3) || n > 1 || x.numel() > 20480))) {
    return std::nullopt;
  }
  const int64_t oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) / stride[0] + 1;
  const int64_t ow = (w + 2 * padding[1] - dilation[1] * (kw - 1) - 1) / stride[1] + 1;
  if (oh <= 0 || ow <= 0 || stride[0] < 1 || stride[1] < 1 || dilation[0] < 1 ||
      dilation[1] < 1 || padding[0] < 0 || padding[1] < 0) {
    return std::nullopt;
  }
  const Dims dst_dims{n, weight.size(0), oh, ow};
  if (residual.defined() && residual.sizes() != at::IntArrayRef(dst_dims)) return std::nullopt;
  // Visible to profilers (mmdet::OpProfile, torch.profiler-style observers) as one op.
  RECORD_FUNCTION(residual.defined() ? "mmdet::onednn_conv_sum" : "mmdet::onednn_conv",
                  std::vector<c10::IValue>());

  const auto cl = at::MemoryFormat::ChannelsLast;
  // Autocast's casts, by ATen (as Packed casts the weights).
  const at::Tensor src = x.scalar_type() == type ? x : x.to(type, false, false, cl);
  const at::Tensor b = !bias.defined() ? at::Tensor() : bias.to(type).contiguous();
  // In bfloat16 ATen rounds the convolution's output before the residual sum; so the sum (and
  // the ReLU after it) stay ATen's ops there, on the primitive's rounded output: the same bits.
  const bool fuse_sum = residual.defined() && type == at::kFloat;
  const bool fuse_relu = relu && (!residual.defined() || fuse_sum);
  at::Tensor out;
  if (fuse_sum && overwrite_residual && residual.is_contiguous(cl) && !residual.is_same(x)) {
    out = residual;
  } else if (fuse_sum) {
    out = residual.clone(cl);
  } else {
    out = at::empty(dst_dims, x.options().dtype(type).memory_format(cl));
  }
  const auto onednn_type =
      type == at::kFloat ? dnnl::memory::data_type::f32 : dnnl::memory::data_type::bf16;
  bool residual_added = false;
  std::lock_guard<std::mutex> lock(state_->mu);
  try {
    State& s = *state_;
    s.Reset(weight, bias.defined(), Dims(stride.begin(), stride.end()),
            Dims(padding.begin(), padding.end()),
            Dims(dilation.begin(), dilation.end()));
    const bool try_winograd = winograd && type == at::kFloat && !fuse_sum && kh == 3 &&
                              kw == 3 && !strided_or_dilated;
    const Primitive& p = s.Find(
        Key{Dims{n, x.size(1), h, w}, onednn_type, fuse_sum, fuse_relu, try_winograd}, dst_dims);
    dnnl::stream stream(OneDnnEngine());
    const dnnl::memory& packed = s.Packed(p.weights_md, weight, stream);
    dnnl::memory src_mem(p.src_md, OneDnnEngine(), src.data_ptr());
    dnnl::memory dst_mem(p.dst_md, OneDnnEngine(), out.data_ptr());
    // Winograd's blocked input and output, in ATen-allocated scratch tensors.
    at::Tensor src_blocked, dst_blocked;
    dnnl::memory conv_src = src_mem, conv_dst = dst_mem;
    if (p.conv_src_md != p.src_md) {
      src_blocked = at::empty({static_cast<int64_t>(p.conv_src_md.get_size())}, x.options().dtype(at::kByte));
      conv_src = dnnl::memory(p.conv_src_md, OneDnnEngine(), src_blocked.data_ptr());
      dnnl::reorder(src_mem, conv_src).execute(stream, src_mem, conv_src);
    }
    if (p.conv_dst_md != p.dst_md) {
      dst_blocked = at::empty({static_cast<int64_t>(p.conv_dst_md.get_size())}, x.options().dtype(at::kByte));
      conv_dst = dnnl::memory(p.conv_dst_md, OneDnnEngine(), dst_blocked.data_ptr());
    }
    if (p.winograd) {
      ++s.winograd_runs;
      ++winograd_runs_total;
    }
    std::unordered_map<int, dnnl::memory> args{
        {DNNL_ARG_SRC, conv_src}, {DNNL_ARG_WEIGHTS, packed}, {DNNL_ARG_DST, conv_dst}};
    if (b.defined()) {
      args.emplace(DNNL_ARG_BIAS,
                   dnnl::memory({{weight.size(0)}, onednn_type, dnnl::memory::format_tag::x},
                                OneDnnEngine(), b.data_ptr()));
    }
    p.conv.execute(stream, args);
    if (conv_dst != dst_mem) dnnl::reorder(conv_dst, dst_mem).execute(stream, conv_dst, dst_mem);
    if (residual.defined() && !fuse_sum && residual.is_contiguous(cl)) {
      // bfloat16: ATen's add_ and relu_ on the rounded output, as one oneDNN binary add with
      // a ReLU post-op, in place: float(a) + float(b), ReLU, one rounding, as ATen's kernels.
      const dnnl::memory::desc md(dst_dims, onednn_type, dnnl::memory::format_tag::nhwc);
      dnnl::post_ops ops;
      if (relu) ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
      dnnl::primitive_attr attr;
      attr.set_post_ops(ops);
      const dnnl::binary::primitive_desc add_pd(
          dnnl::binary::desc(dnnl::algorithm::binary_add, md, md, md), attr, OneDnnEngine());
      dnnl::memory res_mem(md, OneDnnEngine(), residual.data_ptr());
      dnnl::binary(add_pd).execute(
          stream, {{DNNL_ARG_SRC_0, dst_mem}, {DNNL_ARG_SRC_1, res_mem}, {DNNL_ARG_DST, dst_mem}});
      residual_added = true;
    }
    stream.wait();
  } catch (const dnnl::error&) {
    // A shape or an ISA oneDNN has no implementation for: ATen's general path runs instead.
    return std::nullopt;
  }
  if (residual.defined() && !fuse_sum && !residual_added) {
    out.add_(residual);
    if (relu) out.relu_();
  }
  return out;
}

#else  // !MMDET_HAVE_ONEDNN

struct OneDnnConv::State {};

bool OneDnnConvBuilt() { return false; }

OneDnnConv::OneDnnConv() = default;
OneDnnConv::~OneDnnConv() = default;

int64_t OneDnnConv::weight_reorders() const { return 0; }
int64_t OneDnnConv::winograd_runs() const { return 0; }

std::optional<at::Tensor> OneDnnConv::Forward(const at::Tensor&, const at::Tensor&,
                                              const at::Tensor&, at::IntArrayRef, at::IntArrayRef,
                                              at::IntArrayRef, int64_t, const at::Tensor&, bool,
                                              bool) {
  return std::nullopt;
}

#endif  // MMDET_HAVE_ONEDNN

}  // namespace mmdet::ops
