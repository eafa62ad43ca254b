#include "mmdet/ops/frozen_bn.h"

#include <gtest/gtest.h>

#include <tuple>

#include "torch/torch.h"

namespace mmdet::ops {
namespace {

// Equal element for element, NaN matching NaN.
bool Same(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes()) return false;
  const auto fa = a.to(torch::kFloat), fb = b.to(torch::kFloat);
  return ((fa == fb) | (fa.isnan() & fb.isnan())).all().item<bool>();
}

struct Out {
  torch::Tensor y, gx, gw, gb, gr;
};

// relu(bn(x) [+ r]) and the backward of sum(y * probe), ours or ATen's ops as ResNet runs them
// (batch_norm in eval mode, add_, relu_).
Out RunBn(bool ours, const torch::Tensor& x0, const torch::Tensor& r0, const torch::Tensor& probe,
          at::MemoryFormat format) {
  torch::manual_seed(11);
  const int64_t c = x0.size(1);
  torch::Tensor x = x0.detach().clone(format).requires_grad_();
  torch::Tensor r = r0.defined() ? r0.detach().clone(format).requires_grad_() : torch::Tensor();
  torch::Tensor w = (torch::rand({c}) + 0.5).requires_grad_();
  torch::Tensor b = (torch::randn({c}) * 0.5).requires_grad_();
  const torch::Tensor mean = torch::randn({c}) * 0.3, var = torch::rand({c}) + 0.2;
  Out o;
  if (ours) {
    auto y = FrozenBnRelu(x, w, b, mean, var, 1e-5, r);
    EXPECT_TRUE(y.has_value());
    if (!y) return o;
    o.y = *y;
  } else {
    torch::Tensor t = torch::batch_norm(x, w, b, mean, var, false, 0.1, 1e-5, true);
    if (r.defined()) t.add_(r);
    o.y = t.relu_();
  }
  (o.y.to(torch::kFloat) * probe).sum().backward();
  o.gx = x.grad();
  o.gw = w.grad();
  o.gb = b.grad();
  if (r.defined()) o.gr = r.grad();
  return o;
}

class FrozenBnTest
    : public ::testing::TestWithParam<std::tuple<bool, bool, bool>> {};  // cl, bf16, residual

TEST_P(FrozenBnTest, AtensBitsForwardAndInputGradients) {
  const auto [cl, bf16, residual] = GetParam();
  const auto format = cl ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  const auto type = bf16 ? torch::kBFloat16 : torch::kFloat;
  for (const auto& shape : {std::vector<int64_t>{2, 37, 9, 13}, std::vector<int64_t>{1, 256, 20, 30}}) {
    torch::manual_seed(shape[1]);
    torch::Tensor x = (torch::randn(shape) * 2).to(type);
    x.view(-1)[5] = std::numeric_limits<float>::quiet_NaN();  // NaN propagates as in ATen
    const torch::Tensor r = residual ? torch::randn(shape).to(type) : torch::Tensor();
    const torch::Tensor probe = torch::randn(shape);
    const Out ours = RunBn(true, x, r, probe, format);
    const Out aten = RunBn(false, x, r, probe, format);
    ASSERT_TRUE(ours.y.defined());
    EXPECT_TRUE(ours.y.is_contiguous(format));
    EXPECT_EQ(ours.y.scalar_type(), type);
    EXPECT_TRUE(Same(ours.y, aten.y));
    EXPECT_TRUE(Same(ours.gx, aten.gx));
    if (residual) EXPECT_TRUE(Same(ours.gr, aten.gr));
    // The parameter gradients: double sums against ATen's float ones (NaN-free channels).
    const auto finite = aten.gw.isfinite();
    EXPECT_TRUE(torch::allclose(ours.gw.masked_select(finite), aten.gw.masked_select(finite),
                                1e-4, 1e-4));
    EXPECT_TRUE(torch::allclose(ours.gb.masked_select(aten.gb.isfinite()),
                                aten.gb.masked_select(aten.gb.isfinite()), 1e-4, 1e-4));
  }
}

INSTANTIATE_TEST_SUITE_P(LayoutTypeResidual, FrozenBnTest,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool(),
                                            ::testing::Bool()));

TEST(FrozenBn, ParameterGradientsAreTheExactSums) {
  torch::manual_seed(2);
  const auto x = torch::randn({2, 8, 33, 35}).contiguous(at::MemoryFormat::ChannelsLast);
  torch::Tensor w = torch::rand({8}).add_(0.5).requires_grad_();
  torch::Tensor b = torch::randn({8}).requires_grad_();
  const auto mean = torch::randn({8}), var = torch::rand({8}) + 0.5;
  auto y = FrozenBnRelu(x, w, b, mean, var, 1e-3, {});
  ASSERT_TRUE(y.has_value());
  const auto probe = torch::randn_like(x);
  (*y * probe).sum().backward();
  const auto xd = x.to(torch::kDouble);
  const auto view = [](const torch::Tensor& t) { return t.to(torch::kDouble).view({1, 8, 1, 1}); };
  const auto invstd = 1.0 / (view(var) + 1e-3).sqrt();
  const auto pre = (xd - view(mean)) * invstd * view(w.detach()) + view(b.detach());
  const auto gm = probe.to(torch::kDouble) * (pre > 0);
  const auto gw = (gm * (xd - view(mean)) * invstd).sum({0, 2, 3});
  const auto gb = gm.sum({0, 2, 3});
  EXPECT_LT((w.grad().to(torch::kDouble) - gw).abs().max().item<double>(), 1e-4);
  EXPECT_LT((b.grad().to(torch::kDouble) - gb).abs().max().item<double>(), 1e-4);
}

TEST(FrozenBn, FrozenParametersAndNoGradient) {
  const auto x = torch::randn({1, 4, 5, 6});
  const auto w = torch::ones({4}), b = torch::zeros({4}), m = torch::zeros({4}), v = torch::ones({4});
  auto y = FrozenBnRelu(x, w, b, m, v, 0.0, {});
  ASSERT_TRUE(y.has_value());
  EXPECT_FALSE(y->requires_grad());
  EXPECT_TRUE(torch::equal(*y, x.relu()));
  // Only the input needs a gradient (a frozen stage's parameters).
  torch::Tensor xg = x.clone().requires_grad_();
  auto yg = FrozenBnRelu(xg, w, b, m, v, 0.0, {});
  ASSERT_TRUE(yg.has_value());
  yg->sum().backward();
  EXPECT_TRUE(torch::equal(xg.grad(), (x > 0).to(torch::kFloat)));
}

TEST(FrozenBn, DeclinesWhatItCannotRun) {
  const auto x = torch::randn({1, 4, 5, 6});
  const auto w = torch::ones({4}), b = torch::zeros({4}), m = torch::zeros({4}), v = torch::ones({4});
  EXPECT_FALSE(FrozenBnRelu(x.transpose(2, 3), w, b, m, v, 1e-5, {}).has_value());
  EXPECT_FALSE(FrozenBnRelu(x.to(torch::kDouble), w, b, m, v, 1e-5, {}).has_value());
  EXPECT_FALSE(FrozenBnRelu(x, torch::ones({3}), b, m, v, 1e-5, {}).has_value());
  EXPECT_FALSE(FrozenBnRelu(x, torch::Tensor(), b, m, v, 1e-5, {}).has_value());
  EXPECT_FALSE(FrozenBnRelu(x, w, b, m, v, 1e-5, torch::randn({1, 4, 5, 5})).has_value());
  EXPECT_FALSE(FrozenBnRelu(x, w, b, m, v, 1e-5, x.to(torch::kBFloat16)).has_value());
  EXPECT_FALSE(FrozenBnRelu(x.view({4, 5, 6}), w, b, m, v, 1e-5, {}).has_value());
  SetFrozenBnEnabled(false);
  EXPECT_FALSE(FrozenBnRelu(x, w, b, m, v, 1e-5, {}).has_value());
  SetFrozenBnEnabled(true);
  EXPECT_TRUE(FrozenBnRelu(x, w, b, m, v, 1e-5, {}).has_value());
}

}  // namespace
}  // namespace mmdet::ops
