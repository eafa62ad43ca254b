#include "mmdet/ops/focal_loss.h"

#include <cfloat>
#include <cmath>
#include <vector>

#include <ATen/core/dispatch/Dispatcher.h>

#include "gtest/gtest.h"

namespace mmdet::ops {
namespace {

// The focal loss written with ATen ops (differentiable by autograd), labels == C meaning
// background, to check the kernels' values and gradients.
at::Tensor Reference(const at::Tensor& logits, const at::Tensor& labels, double gamma,
                     double alpha) {
  const int64_t classes = logits.size(1);
  at::Tensor onehot = at::one_hot(labels, classes + 1).narrow(1, 0, classes).to(logits.dtype());
  at::Tensor p = logits.sigmoid();
  return -alpha * (1 - p).pow(gamma) * p.log() * onehot -
         (1 - alpha) * p.pow(gamma) * (1 - p).log() * (1 - onehot);
}

TEST(SigmoidFocalLossTest, ValuesAndGradientsMatchTheFormula) {
  at::manual_seed(4);
  at::Tensor logits = (at::randn({37, 5}, at::kDouble) * 3);
  at::Tensor labels = at::randint(0, 6, {37}, at::kLong);  // 5 = background
  for (double gamma : {0.0, 2.0}) {
    for (double alpha : {0.25, 0.5}) {
      at::Tensor x1 = logits.clone().requires_grad_(true);
      at::Tensor x2 = logits.clone().requires_grad_(true);
      at::Tensor ours = SigmoidFocalLoss(x1, labels, gamma, alpha);
      at::Tensor ref = Reference(x2, labels, gamma, alpha);
      EXPECT_TRUE(at::allclose(ours, ref, 1e-10, 1e-12)) << gamma << " " << alpha;
      at::Tensor weights = at::rand_like(ours);
      (ours * weights).sum().backward();
      (ref * weights).sum().backward();
      EXPECT_TRUE(at::allclose(x1.grad(), x2.grad(), 1e-9, 1e-12)) << gamma << " " << alpha;
    }
  }
}

// In float, 1 - sigmoid(x) cancels for |x| > ~8; the kernel must not (CPU and CUDA kernels
// rounding exp differently would then disagree by 1e-3 relative).
TEST(SigmoidFocalLossTest, FloatIsAccurateForSaturatedLogits) {
  at::Tensor logits = at::linspace(-16, 16, 321).reshape({107, 3});
  at::Tensor labels = at::randint(0, 4, {107}, at::kLong);
  at::Tensor x = logits.clone().requires_grad_(true);
  at::Tensor xd = logits.to(at::kDouble).requires_grad_(true);
  at::Tensor ours = SigmoidFocalLoss(x, labels, 2.0, 0.25);
  at::Tensor ref = Reference(xd, labels, 2.0, 0.25);
  EXPECT_TRUE(at::allclose(ours.to(at::kDouble), ref, 2e-6, 1e-12));
  ours.sum().backward();
  ref.sum().backward();
  EXPECT_TRUE(at::allclose(x.grad().to(at::kDouble), xd.grad(), 2e-6, 1e-12));
}

// Float with gamma 2 runs the vectorised loop and its inline exp / log1p: across the whole
// logit range (both signs, saturated, exact zeros), with a class count that leaves a vector
// tail, the forward-only op, the fused training op and the backward op all stay within a few
// float ulps of the double-precision formula, and NaN logits give NaN as the scalar loop does.
TEST(SigmoidFocalLossTest, VectorisedFloatPathMatchesTheFormula) {
  for (int64_t classes : {80, 7}) {
    at::Tensor logits = at::linspace(-40, 40, 200 * classes).reshape({200, classes});
    logits.index_put_({0}, 0.0);
    at::Tensor labels = at::randint(0, classes + 1, {200}, at::kLong);
    at::Tensor xd = logits.to(at::kDouble).requires_grad_(true);
    // In double with log p = log_sigmoid(x), log(1 - p) = log_sigmoid(-x), so that the
    // reference itself does not cancel at |x| > 37, and the logs floored at log(FLT_MIN).
    const int64_t n = logits.size(0);
    at::Tensor onehot =
        at::one_hot(labels, classes + 1).narrow(1, 0, classes).to(at::kDouble);
    at::Tensor log_p = at::log_sigmoid(xd).clamp_min(std::log(FLT_MIN));
    at::Tensor log_q = at::log_sigmoid(-xd).clamp_min(std::log(FLT_MIN));
    at::Tensor ref = -0.25 * log_q.exp().pow(2) * log_p * onehot -
                     0.75 * log_p.exp().pow(2) * log_q * (1 - onehot);
    at::Tensor weights = at::rand({n, classes}, at::kDouble);
    (ref * weights).sum().backward();
    const at::Tensor want_grad = xd.grad();
    // Forward only (no grad needed): sigmoid_focal_loss.
    at::Tensor plain = SigmoidFocalLoss(logits, labels, 2.0, 0.25);
    EXPECT_TRUE(at::allclose(plain.to(at::kDouble), ref.detach(), 1e-6, 1e-30)) << classes;
    // Training: the fused loss + derivative, then grad * derivative.
    at::Tensor x = logits.clone().requires_grad_(true);
    at::Tensor fused = SigmoidFocalLoss(x, labels, 2.0, 0.25);
    EXPECT_TRUE(at::equal(fused.detach(), plain)) << classes;
    (fused * weights.to(at::kFloat)).sum().backward();
    EXPECT_TRUE(at::allclose(x.grad().to(at::kDouble), want_grad, 1e-6, 1e-30)) << classes;
    // The backward op itself (what a second-order or CUDA-free caller reaches).
    at::Tensor backward = c10::Dispatcher::singleton()
                              .findSchemaOrThrow("mmdet::_sigmoid_focal_loss_backward", "")
                              .typed<at::Tensor(const at::Tensor&, const at::Tensor&,
                                                const at::Tensor&, double, double)>()
                              .call(weights.to(at::kFloat), logits, labels, 2.0, 0.25);
    EXPECT_TRUE(at::allclose(backward.to(at::kDouble), want_grad, 1e-6, 1e-30)) << classes;
  }
  at::Tensor nan = at::full({1, 9}, NAN);
  EXPECT_TRUE(SigmoidFocalLoss(nan, at::tensor({2}, at::kLong), 2.0, 0.25).isnan().all()
                  .item<bool>());
}

TEST(SigmoidFocalLossTest, BackgroundRowsAreAllNegatives) {
  at::Tensor logits = at::zeros({1, 3});
  at::Tensor loss = SigmoidFocalLoss(logits, at::tensor({3}, at::kLong), 2.0, 0.25);
  // p = 0.5: -(1 - 0.25) * 0.25 * log(0.5) per class.
  EXPECT_TRUE(at::allclose(loss, at::full({1, 3}, 0.75f * 0.25f * std::log(2.f))));
}

TEST(SigmoidFocalLossTest, SaturatedLogitsStayFinite) {
  at::Tensor logits = at::tensor({-200.f, 200.f}).reshape({1, 2}).requires_grad_(true);
  at::Tensor loss = SigmoidFocalLoss(logits, at::tensor({0}, at::kLong), 2.0, 0.25);
  EXPECT_TRUE(loss.isfinite().all().item<bool>());
  loss.sum().backward();
  EXPECT_TRUE(logits.grad().isfinite().all().item<bool>());
}

TEST(SigmoidFocalLossTest, EmptyAndErrors) {
  EXPECT_EQ(SigmoidFocalLoss(at::zeros({0, 4}), at::zeros({0}, at::kLong), 2, 0.25).numel(), 0);
  EXPECT_THROW(SigmoidFocalLoss(at::zeros({2, 4}), at::zeros({2}), 2, 0.25), c10::Error);
  EXPECT_THROW(SigmoidFocalLoss(at::zeros({2, 4}), at::zeros({3}, at::kLong), 2, 0.25),
               c10::Error);
}

}  // namespace
}  // namespace mmdet::ops
