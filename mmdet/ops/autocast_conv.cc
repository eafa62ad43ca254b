#include "mmdet/ops/autocast_conv.h"

#include <string>

#include "mmdet/ops/onednn_conv.h"

#if MMDET_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>

#include "ATen/autocast_mode.h"
#include "ATen/record_function.h"
#include "c10/core/impl/LocalDispatchKeySet.h"
#include "mmdet/ops/onednn_engine.h"
#include "torch/autograd.h"
#endif

namespace mmdet::ops {

#if MMDET_HAVE_ONEDNN

namespace {

using Dims = dnnl::memory::dims;
using dnnl::memory;

memory::desc Matrix(int64_t rows, int64_t cols, memory::data_type type, bool transposed) {
  return memory::desc({rows, cols}, type, transposed ? Dims{1, rows} : Dims{cols, 1});
}

// dst[m][n] = sum_k a[k][m] * b[k][n]: a and b row-major bfloat16 [k x m] and [k x n], dst a
// row-major float32 [m x n].
dnnl::matmul::primitive_desc TransposedMatmul(int64_t m, int64_t n, int64_t k) {
  return dnnl::matmul::primitive_desc(
      dnnl::matmul::desc(Matrix(m, k, memory::data_type::bf16, /*transposed=*/true),
                         Matrix(k, n, memory::data_type::bf16, false),
                         Matrix(m, n, memory::data_type::f32, false)),
      OneDnnEngine());
}

// Whether this CPU has an optimised bfloat16 matmul (oneDNN's reference one would be far
// slower than ATen's convolution kernel).
bool HaveBf16Matmul() {
  static const bool have = [] {
    try {
      const std::string impl = TransposedMatmul(64, 64, 1024).impl_info_str();
      return impl.find("ref") == std::string::npos;
    } catch (const dnnl::error&) {
      return false;
    }
  }();
  return have;
}

const auto kCl = at::MemoryFormat::ChannelsLast;

// The autocast 1x1 convolution with its weight gradient from Conv1x1WeightGrad.
class AutocastConv1x1Function : public torch::autograd::Function<AutocastConv1x1Function> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x,
                            const at::Tensor& weight, const at::Tensor& bias, bool has_bias,
                            int64_t stride_h, int64_t stride_w) {
    // Autocast's casts (CPU autocast rounds input, weight and bias to bfloat16; a channels-last
    // input stays channels-last) and ATen's convolution on them, autocast itself out of the way.
    c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::DispatchKey::AutocastCPU);
    const at::Tensor xb = x.scalar_type() == at::kBFloat16 ? x : x.to(at::kBFloat16, false, false, kCl);
    const at::Tensor wb = weight.to(at::kBFloat16);
    const at::Tensor bb = has_bias ? bias.to(at::kBFloat16) : at::Tensor();
    at::Tensor y = at::convolution(xb, wb, bb, {stride_h, stride_w}, {0, 0}, {1, 1}, false, {0, 0}, 1);
    ctx->save_for_backward({xb, wb});
    ctx->saved_data["input_type"] = static_cast<int64_t>(x.scalar_type());
    ctx->saved_data["stride_h"] = stride_h;
    ctx->saved_data["stride_w"] = stride_w;
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor& xb = saved[0];
    const at::Tensor& wb = saved[1];
    const int64_t sh = ctx->saved_data["stride_h"].toInt();
    const int64_t sw = ctx->saved_data["stride_w"].toInt();
    const auto input_type = static_cast<at::ScalarType>(ctx->saved_data["input_type"].toInt());
    torch::autograd::variable_list out(6);
    if (!grads[0].defined()) return out;
    const at::Tensor g = grads[0].to(at::kBFloat16).contiguous(kCl);
    if (ctx->needs_input_grad(0)) {
      // ATen's input gradient on the saved bfloat16 tensors, as autocast's convolution has it,
      // then autocast's cast back to the input's type.
      at::Tensor gx = std::get<0>(at::convolution_backward(g, xb, wb, c10::nullopt, {sh, sw},
                                                           {0, 0}, {1, 1}, false, {0, 0}, 1,
                                                           {true, false, false}));
      out[0] = gx.scalar_type() == input_type ? gx : gx.to(input_type);
    }
    if (ctx->needs_input_grad(1)) {
      const at::Tensor xs =
          sh == 1 && sw == 1
              ? xb
              : xb.slice(2, 0, xb.size(2), sh).slice(3, 0, xb.size(3), sw).contiguous(kCl);
      std::optional<at::Tensor> gw = Conv1x1WeightGrad(g, xs);
      if (!gw) {
        gw = std::get<1>(at::convolution_backward(g, xb, wb, c10::nullopt, {sh, sw}, {0, 0},
                                                  {1, 1}, false, {0, 0}, 1, {false, true, false}))
                 .to(at::kFloat);
      }
      out[1] = *std::move(gw);
    }
    if (ctx->needs_input_grad(2)) out[2] = at::sum(g, {0, 2, 3}, false, at::kFloat);
    return out;
  }
};

}  // namespace

std::optional<at::Tensor> Conv1x1WeightGrad(const at::Tensor& grad_out, const at::Tensor& x) {
  if (grad_out.dim() != 4 || x.dim() != 4 || !grad_out.device().is_cpu() ||
      !x.device().is_cpu() || grad_out.scalar_type() != at::kBFloat16 ||
      x.scalar_type() != at::kBFloat16 || !grad_out.is_contiguous(kCl) || !x.is_contiguous(kCl) ||
      grad_out.size(0) != x.size(0) || grad_out.size(2) != x.size(2) ||
      grad_out.size(3) != x.size(3) || x.numel() == 0 || grad_out.numel() == 0 ||
      !HaveBf16Matmul()) {
    return std::nullopt;
  }
  const int64_t oc = grad_out.size(1), ic = x.size(1);
  const int64_t pixels = x.size(0) * x.size(2) * x.size(3);
  RECORD_FUNCTION("mmdet::conv1x1_weight_grad", std::vector<c10::IValue>());
  at::Tensor dw = at::empty({oc, ic, 1, 1}, x.options().dtype(at::kFloat));
  try {
    const auto pd = TransposedMatmul(oc, ic, pixels);
    dnnl::stream stream(OneDnnEngine());
    memory a(pd.src_desc(), OneDnnEngine(), grad_out.data_ptr());
    memory b(pd.weights_desc(), OneDnnEngine(), x.data_ptr());
    memory c(pd.dst_desc(), OneDnnEngine(), dw.data_ptr());
    dnnl::matmul(pd).execute(stream, {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}});
    stream.wait();
  } catch (const dnnl::error&) {
    return std::nullopt;
  }
  return dw;
}

std::optional<at::Tensor> AutocastTrainConv1x1(const at::Tensor& x, const at::Tensor& weight,
                                               const at::Tensor& bias, at::IntArrayRef stride,
                                               at::IntArrayRef padding, at::IntArrayRef dilation,
                                               int64_t groups) {
  const auto is_cpu = [](const at::Tensor& t) {
    return t.device().is_cpu() && t.layout() == at::kStrided;
  };
  if (!OneDnnConvEnabled() || !at::GradMode::is_enabled() || !at::autocast::is_cpu_enabled() ||
      at::autocast::get_autocast_cpu_dtype() != at::kBFloat16 || groups != 1 || x.dim() != 4 ||
      weight.dim() != 4 || weight.size(2) != 1 || weight.size(3) != 1 || stride.size() != 2 ||
      padding.size() != 2 || dilation.size() != 2 || padding[0] != 0 || padding[1] != 0 ||
      dilation[0] != 1 || dilation[1] != 1 || stride[0] < 1 || stride[1] < 1 || !is_cpu(x) ||
      !(x.scalar_type() == at::kFloat || x.scalar_type() == at::kBFloat16) || !is_cpu(weight) ||
      weight.scalar_type() != at::kFloat || !weight.requires_grad() ||
      (bias.defined() && (!is_cpu(bias) || bias.scalar_type() != at::kFloat || bias.dim() != 1)) ||
      !x.is_contiguous(kCl) || x.numel() == 0 || x.size(1) != weight.size(1) ||
      !at::globalContext().userEnabledMkldnn() || !HaveBf16Matmul()) {
    return std::nullopt;
  }
  // (An undefined tensor cannot be a custom function's input: no bias is an empty placeholder.)
  return AutocastConv1x1Function::apply(x, weight,
                                        bias.defined() ? bias : at::empty({0}, weight.options()),
                                        bias.defined(), stride[0], stride[1]);
}

#else  // !MMDET_HAVE_ONEDNN

std::optional<at::Tensor> AutocastTrainConv1x1(const at::Tensor&, const at::Tensor&,
                                               const at::Tensor&, at::IntArrayRef, at::IntArrayRef,
                                               at::IntArrayRef, int64_t) {
  return std::nullopt;
}

std::optional<at::Tensor> Conv1x1WeightGrad(const at::Tensor&, const at::Tensor&) {
  return std::nullopt;
}

#endif  // MMDET_HAVE_ONEDNN

}  // namespace mmdet::ops
