#include "mmdet/ops/onednn_conv.h"

#include <gtest/gtest.h>

#include "ATen/Parallel.h"
#include "ATen/autocast_mode.h"
#include "torch/torch.h"

namespace mmdet::ops {
namespace {

struct Case {
  int64_t n, cin, cout, k, h, w, stride, pad, dilation;
  bool bias, residual, relu;
};

// ATen's result: at::conv2d, then add_ and relu_ (what the model layers run without oneDNN).
at::Tensor Reference(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                     const Case& c, const at::Tensor& residual) {
  at::Tensor y = at::conv2d(x, weight, bias, {c.stride, c.stride}, {c.pad, c.pad},
                            {c.dilation, c.dilation});
  if (c.residual) y.add_(residual);
  if (c.relu) y.relu_();
  return y;
}

// A case's input, weights and bias (channels-last, as ToChannelsLast leaves them), and a
// residual of the output's shape in `residual_type` when the case has one.
struct Operands {
  at::Tensor x, weight, bias, residual;
};
Operands MakeOperands(const Case& c, uint64_t seed, at::ScalarType residual_type) {
  torch::manual_seed(seed);
  const auto cl = at::MemoryFormat::ChannelsLast;
  Operands o;
  o.x = torch::randn({c.n, c.cin, c.h, c.w}).contiguous(cl);
  o.weight = (torch::randn({c.cout, c.cin, c.k, c.k}) * 0.1).contiguous(cl);
  if (c.bias) o.bias = torch::randn({c.cout});
  if (c.residual) {
    const at::Tensor y = at::conv2d(o.x, o.weight, o.bias, {c.stride, c.stride}, {c.pad, c.pad},
                                    {c.dilation, c.dilation});
    o.residual = torch::randn(y.sizes()).to(residual_type).contiguous(cl);
  }
  return o;
}

class OneDnnConvTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    if (!OneDnnConvBuilt()) GTEST_SKIP() << "this build has no oneDNN headers (MMDET_HAVE_ONEDNN)";
    at::set_num_threads(2);  // ATen sends unstrided 1x1 convolutions to oneDNN only when threaded
  }
};

TEST_P(OneDnnConvTest, BitIdenticalToAtenConvAddRelu) {
  const Case c = GetParam();
  torch::NoGradGuard no_grad;
  const auto cl = at::MemoryFormat::ChannelsLast;
  const auto [x, weight, bias, residual] = MakeOperands(c, 3, at::kFloat);
  const at::Tensor expected = Reference(x, weight, bias, c, residual);

  OneDnnConv conv;
  const auto y = conv.Forward(x, weight, bias, {c.stride, c.stride}, {c.pad, c.pad},
                              {c.dilation, c.dilation}, 1, residual, c.relu);
  ASSERT_TRUE(y.has_value());
  EXPECT_TRUE(y->is_contiguous(cl));
  ASSERT_EQ(y->sizes(), expected.sizes());
  EXPECT_TRUE(torch::equal(*y, expected)) << "max |diff| " << (*y - expected).abs().max().item<float>();
  if (c.residual) EXPECT_FALSE(torch::equal(residual, *y));  // the residual is left alone
  // The same shape again reuses the primitive and the packed weights.
  const auto again = conv.Forward(x, weight, bias, {c.stride, c.stride}, {c.pad, c.pad},
                                  {c.dilation, c.dilation}, 1, residual, c.relu);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(torch::equal(*again, expected));
  EXPECT_EQ(conv.weight_reorders(), 1);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, OneDnnConvTest,
    ::testing::Values(Case{1, 64, 64, 3, 20, 30, 1, 1, 1, false, false, true},  // inner 3x3
                      Case{1, 64, 256, 1, 20, 30, 1, 0, 1, true, true, true},   // last 1x1 + sum
                      Case{2, 32, 64, 1, 21, 31, 2, 0, 1, true, false, false},  // downsample
                      Case{1, 3, 16, 7, 41, 57, 2, 3, 1, true, false, true},    // the stem
                      Case{3, 16, 24, 3, 14, 14, 1, 2, 2, true, true, false},   // dilated
                      Case{100, 32, 32, 3, 14, 14, 1, 1, 1, true, false, true},  // mask head
                      Case{1, 256, 256, 3, 25, 38, 1, 1, 1, true, false, false}));  // FPN out

// Under CPU bfloat16 autocast (test --bf16), against ATen's autocast convolution (+ add_ +
// relu_): the same bits, the residual sum included (it stays ATen's op after the primitive).
TEST_P(OneDnnConvTest, Bf16AutocastBitIdenticalToAtenAutocast) {
  const Case c = GetParam();
  torch::NoGradGuard no_grad;
  const auto cl = at::MemoryFormat::ChannelsLast;
  const auto [x, weight, bias, residual] = MakeOperands(c, 4, at::kBFloat16);
  at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
  at::autocast::set_cpu_enabled(true);
  at::Tensor expected = at::conv2d(x, weight, bias, {c.stride, c.stride}, {c.pad, c.pad},
                                   {c.dilation, c.dilation});
  if (c.residual) expected.add_(residual);
  if (c.relu) expected.relu_();
  OneDnnConv conv;
  const auto y = conv.Forward(x, weight, bias, {c.stride, c.stride}, {c.pad, c.pad},
                              {c.dilation, c.dilation}, 1, residual, c.relu);
  at::autocast::set_cpu_enabled(false);
  at::autocast::clear_cache();
  ASSERT_TRUE(y.has_value());
  ASSERT_EQ(y->scalar_type(), at::kBFloat16);
  EXPECT_TRUE(y->is_contiguous(cl));
  EXPECT_TRUE(torch::equal(*y, expected))
      << "max |diff| " << (*y - expected).abs().max().item<float>();
}

// SetOneDnnWinograd (test --winograd): float32 3x3 convolutions of stride 1 without a residual
// run oneDNN's Winograd kernels where it has them (AVX-512 CPUs) and are close to ATen's (not
// equal: other arithmetic); every other case is still ATen's bits. Switched off again, the same
// OneDnnConv is back to ATen's bits.
TEST_P(OneDnnConvTest, WinogradCloseToAten) {
  const Case c = GetParam();
  torch::NoGradGuard no_grad;
  const auto [x, weight, bias, residual] = MakeOperands(c, 5, at::kFloat);
  const at::Tensor expected = Reference(x, weight, bias, c, residual);
  OneDnnConv conv;
  SetOneDnnWinograd(true);
  const auto y = conv.Forward(x, weight, bias, {c.stride, c.stride}, {c.pad, c.pad},
                              {c.dilation, c.dilation}, 1, residual, c.relu);
  SetOneDnnWinograd(false);
  ASSERT_TRUE(y.has_value());
  ASSERT_EQ(y->sizes(), expected.sizes());
  EXPECT_TRUE(y->is_contiguous(at::MemoryFormat::ChannelsLast));
  const bool eligible = c.k == 3 && c.stride == 1 && c.dilation == 1 && !c.residual;
#if defined(__x86_64__)
  // oneDNN's Winograd kernels need AVX-512 (avx512_core); there they must run.
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  if (eligible && avx512) {
    EXPECT_EQ(conv.winograd_runs(), 1);
  }
#endif
  if (!eligible) {
    EXPECT_EQ(conv.winograd_runs(), 0);
  }
  if (conv.winograd_runs() > 0) {
    const float scale = expected.abs().max().item<float>();
    const float diff = (*y - expected).abs().max().item<float>();
    EXPECT_LE(diff, 2e-5f * scale) << "max |diff| " << diff << " of max |y| " << scale;
    EXPECT_GT(diff, 0.f);  // really another algorithm
  } else {
    EXPECT_TRUE(torch::equal(*y, expected));
  }
  const auto off = conv.Forward(x, weight, bias, {c.stride, c.stride}, {c.pad, c.pad},
                                {c.dilation, c.dilation}, 1, residual, c.relu);
  ASSERT_TRUE(off.has_value());
  EXPECT_TRUE(torch::equal(*off, expected));
}

class OneDnnConvDeclines : public OneDnnConvTest {};

TEST_F(OneDnnConvDeclines, WhereAtenMustRun) {
  torch::NoGradGuard no_grad;
  const at::Tensor weight = torch::randn({8, 4, 3, 3}).contiguous(at::MemoryFormat::ChannelsLast);
  const at::Tensor x = torch::randn({2, 4, 9, 9}).contiguous(at::MemoryFormat::ChannelsLast);
  OneDnnConv conv;
  const auto run = [&](const at::Tensor& input, int64_t groups = 1) {
    return conv.Forward(input, weight, at::Tensor(), {1, 1}, {1, 1}, {1, 1}, groups, at::Tensor(),
                        true);
  };
  EXPECT_TRUE(run(x).has_value());
  EXPECT_FALSE(run(x.contiguous()).has_value());                  // NCHW: ATen's layout
  EXPECT_FALSE(run(x.to(at::kBFloat16)).has_value());  // bfloat16 without autocast
  EXPECT_FALSE(run(x, 2).has_value());                            // groups
  EXPECT_FALSE(run(x.narrow(0, 0, 0)).has_value());               // empty
  // One small image: ATen runs its native kernel (ConvParams::use_mkldnn), so must we.
  EXPECT_FALSE(run(x.narrow(0, 0, 1).contiguous(at::MemoryFormat::ChannelsLast)).has_value());
  {
    const at::Tensor w1 = torch::randn({8, 4, 1, 1});
    const auto one_by_one = [&] {
      return conv.Forward(x, w1, at::Tensor(), {1, 1}, {0, 0}, {1, 1}, 1, at::Tensor(), false);
    };
    EXPECT_TRUE(one_by_one().has_value());
    at::set_num_threads(1);
    EXPECT_FALSE(one_by_one().has_value());  // single-threaded 1x1: ATen's native kernel
    at::set_num_threads(2);
  }
  {
    torch::AutoGradMode grad(true);
    EXPECT_FALSE(run(x.clone().requires_grad_()).has_value());  // autograd needs ATen's graph
    EXPECT_TRUE(run(x).has_value());                             // nothing requires grad
  }
  at::globalContext().setUserEnabledMkldnn(false);
  EXPECT_FALSE(run(x).has_value());  // oneDNN switched off in ATen
  at::globalContext().setUserEnabledMkldnn(true);
}

TEST_F(OneDnnConvDeclines, NewWeightsArePackedAgain) {
  torch::NoGradGuard no_grad;
  at::Tensor weight = torch::randn({8, 4, 3, 3});  // NCHW: packed from a contiguous copy
  const at::Tensor x = torch::randn({2, 4, 9, 9}).contiguous(at::MemoryFormat::ChannelsLast);
  OneDnnConv conv;
  const auto run = [&] {
    return *conv.Forward(x, weight, at::Tensor(), {1, 1}, {1, 1}, {1, 1}, 1, at::Tensor(), false);
  };
  EXPECT_TRUE(torch::equal(run(), at::conv2d(x, weight, {}, 1, 1)));
  weight.mul_(2);  // in place (as FuseConvBn or load_state_dict): a new version
  EXPECT_TRUE(torch::equal(run(), at::conv2d(x, weight, {}, 1, 1)));
  EXPECT_EQ(conv.weight_reorders(), 2);
  // A different input size: a new primitive, the same packed weights where oneDNN keeps the
  // layout.
  const at::Tensor big = torch::randn({2, 4, 17, 13}).contiguous(at::MemoryFormat::ChannelsLast);
  const auto y = conv.Forward(big, weight, at::Tensor(), {1, 1}, {1, 1}, {1, 1}, 1, at::Tensor(),
                              false);
  ASSERT_TRUE(y.has_value());
  EXPECT_TRUE(torch::equal(*y, at::conv2d(big, weight, {}, 1, 1)));
}

}  // namespace
}  // namespace mmdet::ops
