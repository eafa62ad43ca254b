#include "mmdet/ops/autocast_conv.h"

#include <gtest/gtest.h>

#include "ATen/autocast_mode.h"
#include "mmdet/ops/onednn_conv.h"
#include "torch/torch.h"

namespace mmdet::ops {
namespace {

// CPU bfloat16 autocast on for the scope (as train --bf16 runs the backbone and neck).
struct Bf16Autocast {
  Bf16Autocast() {
    at::autocast::set_cpu_enabled(true);
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
  }
  ~Bf16Autocast() {
    at::autocast::set_cpu_enabled(false);
    at::autocast::clear_cache();
  }
};

struct Grads {
  torch::Tensor y, gx, gw, gb;
};

// conv2d under autocast, ours or ATen's, then backward of sum(y * probe).
Grads RunConv(bool ours, const torch::Tensor& x0, const torch::Tensor& w0, const torch::Tensor& b0,
          int64_t stride, const torch::Tensor& probe) {
  torch::Tensor x = x0.detach().clone(at::MemoryFormat::ChannelsLast).requires_grad_();
  torch::Tensor w = w0.detach().clone().requires_grad_();
  torch::Tensor b = b0.defined() ? b0.detach().clone().requires_grad_() : torch::Tensor();
  Grads r;
  {
    Bf16Autocast autocast;
    if (ours) {
      auto y = AutocastTrainConv1x1(x, w, b, {stride, stride}, {0, 0}, {1, 1}, 1);
      EXPECT_TRUE(y.has_value());
      if (!y) return r;
      r.y = *y;
    } else {
      r.y = at::conv2d(x, w, b, {stride, stride});
    }
  }
  (r.y.to(torch::kFloat) * probe).sum().backward();
  r.gx = x.grad();
  r.gw = w.grad();
  if (b.defined()) r.gb = b.grad();
  return r;
}

bool Bitwise(const torch::Tensor& a, const torch::Tensor& b) {
  return a.scalar_type() == b.scalar_type() && a.sizes() == b.sizes() && torch::equal(a, b);
}

class AutocastConvTest : public ::testing::TestWithParam<std::tuple<int64_t, bool>> {};

TEST_P(AutocastConvTest, AutocastForwardAndInputGradientExactlyWeightGradientInFloat) {
  if (!OneDnnConvBuilt()) GTEST_SKIP() << "built without oneDNN's headers";
  const auto [stride, with_bias] = GetParam();
  torch::manual_seed(3);
  const auto x = torch::randn({2, 48, 13, 21});
  const auto w = torch::randn({40, 48, 1, 1}) * 0.2;
  const auto b = with_bias ? torch::randn({40}) : torch::Tensor();
  const int64_t oh = (13 - 1) / stride + 1, ow = (21 - 1) / stride + 1;
  const auto probe = torch::randn({2, 40, oh, ow});
  const Grads ours = RunConv(true, x, w, b, stride, probe);
  if (!ours.y.defined()) return;  // no bfloat16 matmul on this CPU: declined, reported above
  const Grads aten = RunConv(false, x, w, b, stride, probe);
  // Autocast's convolution and input gradient: the same calls, the same bits.
  EXPECT_EQ(ours.y.scalar_type(), torch::kBFloat16);
  EXPECT_TRUE(ours.y.is_contiguous(at::MemoryFormat::ChannelsLast));
  EXPECT_TRUE(Bitwise(ours.y, aten.y));
  EXPECT_TRUE(Bitwise(ours.gx, aten.gx));
  // The weight gradient: the float sum of the bfloat16 products (in double here), where ATen
  // rounds it to bfloat16; so ours is within float rounding of the exact sum and within
  // bfloat16 rounding of ATen's.
  const auto xb = x.to(torch::kBFloat16).to(torch::kDouble);
  const auto gb = probe.to(torch::kBFloat16).to(torch::kDouble);
  const auto xs = xb.index({torch::indexing::Slice(), torch::indexing::Slice(),
                            torch::indexing::Slice(0, torch::indexing::None, stride),
                            torch::indexing::Slice(0, torch::indexing::None, stride)});
  const auto exact = torch::einsum("nohw,nihw->oi", {gb, xs}).reshape({40, 48, 1, 1});
  ASSERT_EQ(ours.gw.scalar_type(), torch::kFloat);
  ASSERT_EQ(ours.gw.sizes(), w.sizes());
  EXPECT_LT((ours.gw.to(torch::kDouble) - exact).abs().max().item<double>(),
            1e-5 * exact.abs().max().item<double>());
  EXPECT_TRUE(torch::allclose(ours.gw, aten.gw, 1.0 / 128, 1e-3));
  if (with_bias) {
    const auto exact_b = gb.sum({0, 2, 3});
    ASSERT_EQ(ours.gb.scalar_type(), torch::kFloat);
    EXPECT_LT((ours.gb.to(torch::kDouble) - exact_b).abs().max().item<double>(),
              1e-5 * exact_b.abs().max().item<double>());
    EXPECT_TRUE(torch::allclose(ours.gb, aten.gb, 1.0 / 128, 1e-3));
  }
}

INSTANTIATE_TEST_SUITE_P(StrideBias, AutocastConvTest,
                         ::testing::Combine(::testing::Values<int64_t>(1, 2),
                                            ::testing::Bool()));

TEST(AutocastConv, Bfloat16InputGetsABfloat16Gradient) {
  if (!OneDnnConvBuilt()) GTEST_SKIP() << "built without oneDNN's headers";
  torch::manual_seed(4);
  torch::Tensor x = torch::randn({1, 16, 9, 7})
                        .to(torch::kBFloat16)
                        .contiguous(at::MemoryFormat::ChannelsLast)
                        .requires_grad_();
  torch::Tensor w = torch::randn({8, 16, 1, 1}).requires_grad_();
  std::optional<torch::Tensor> y;
  {
    Bf16Autocast autocast;
    y = AutocastTrainConv1x1(x, w, {}, {1, 1}, {0, 0}, {1, 1}, 1);
  }
  if (!y) GTEST_SKIP() << "no bfloat16 matmul on this CPU";
  y->to(torch::kFloat).sum().backward();
  EXPECT_EQ(x.grad().scalar_type(), torch::kBFloat16);
  EXPECT_EQ(w.grad().scalar_type(), torch::kFloat);
  // d(sum y)/dx[ic] = sum over oc of the bfloat16 weight.
  const auto expected = w.to(torch::kBFloat16).to(torch::kFloat).sum(0).reshape({1, 16, 1, 1});
  EXPECT_TRUE(torch::allclose(x.grad().to(torch::kFloat), expected.expand_as(x), 1e-2, 1e-2));
}

TEST(AutocastConv, DeclinesWhereAtenMustRun) {
  const auto cl = at::MemoryFormat::ChannelsLast;
  torch::Tensor x = torch::randn({1, 8, 6, 6}).contiguous(cl);
  torch::Tensor w = torch::randn({4, 8, 1, 1}).requires_grad_();
  // No autocast.
  EXPECT_FALSE(AutocastTrainConv1x1(x, w, {}, {1, 1}, {0, 0}, {1, 1}, 1).has_value());
  Bf16Autocast autocast;
  // A 3x3 kernel, padding, dilation, groups, an NCHW input, a frozen weight.
  torch::Tensor w3 = torch::randn({4, 8, 3, 3}).requires_grad_();
  EXPECT_FALSE(AutocastTrainConv1x1(x, w3, {}, {1, 1}, {1, 1}, {1, 1}, 1).has_value());
  EXPECT_FALSE(AutocastTrainConv1x1(x, w, {}, {1, 1}, {1, 1}, {1, 1}, 1).has_value());
  EXPECT_FALSE(AutocastTrainConv1x1(x, w, {}, {1, 1}, {0, 0}, {2, 2}, 1).has_value());
  torch::Tensor wg = torch::randn({4, 4, 1, 1}).requires_grad_();
  EXPECT_FALSE(AutocastTrainConv1x1(x, wg, {}, {1, 1}, {0, 0}, {1, 1}, 2).has_value());
  EXPECT_FALSE(AutocastTrainConv1x1(x.contiguous(), w, {}, {1, 1}, {0, 0}, {1, 1}, 1).has_value());
  EXPECT_FALSE(
      AutocastTrainConv1x1(x, w.detach(), {}, {1, 1}, {0, 0}, {1, 1}, 1).has_value());
  {
    torch::NoGradGuard no_grad;
    EXPECT_FALSE(AutocastTrainConv1x1(x, w, {}, {1, 1}, {0, 0}, {1, 1}, 1).has_value());
  }
  SetOneDnnConvEnabled(false);
  EXPECT_FALSE(AutocastTrainConv1x1(x, w, {}, {1, 1}, {0, 0}, {1, 1}, 1).has_value());
  SetOneDnnConvEnabled(true);
  if (OneDnnConvBuilt()) {
    // And the case it is for (when this CPU has a bfloat16 matmul).
    const auto y = AutocastTrainConv1x1(x, w, {}, {1, 1}, {0, 0}, {1, 1}, 1);
    if (y) {
      EXPECT_EQ(y->sizes(), torch::IntArrayRef({1, 4, 6, 6}));
    }
  } else {
    EXPECT_FALSE(AutocastTrainConv1x1(x, w, {}, {1, 1}, {0, 0}, {1, 1}, 1).has_value());
  }
}

TEST(AutocastConv, WeightGradIsTheGemmOverPixels) {
  if (!OneDnnConvBuilt()) GTEST_SKIP() << "built without oneDNN's headers";
  const auto cl = at::MemoryFormat::ChannelsLast;
  torch::manual_seed(5);
  const auto g = torch::randn({3, 24, 5, 11}).to(torch::kBFloat16).contiguous(cl);
  const auto x = torch::randn({3, 40, 5, 11}).to(torch::kBFloat16).contiguous(cl);
  const auto dw = Conv1x1WeightGrad(g, x);
  if (!dw) GTEST_SKIP() << "no bfloat16 matmul on this CPU";
  const auto exact = torch::einsum("nohw,nihw->oi", {g.to(torch::kDouble), x.to(torch::kDouble)});
  EXPECT_LT((dw->reshape({24, 40}).to(torch::kDouble) - exact).abs().max().item<double>(),
            1e-5 * exact.abs().max().item<double>());
  // Mismatched or non-channels-last inputs: nullopt.
  EXPECT_FALSE(Conv1x1WeightGrad(g.contiguous(), x).has_value());
  EXPECT_FALSE(Conv1x1WeightGrad(g, x.to(torch::kFloat)).has_value());
  EXPECT_FALSE(Conv1x1WeightGrad(g.narrow(3, 0, 10).contiguous(cl), x).has_value());
}

}  // namespace
}  // namespace mmdet::ops
