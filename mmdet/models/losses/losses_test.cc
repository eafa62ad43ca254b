#include "mmdet/models/losses/loss.h"

#include <cmath>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace mmdet::models {
namespace {

std::shared_ptr<Loss> Build(const std::string& text) {
  config::Loss cfg;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &cfg)) << text;
  auto loss = BuildLoss(cfg, "loss");
  EXPECT_TRUE(loss.ok()) << loss.status();
  return loss.ok() ? *loss : nullptr;
}

double Bce(double x, double y) { return std::log1p(std::exp(-std::abs(x))) + std::max(x, 0.0) - x * y; }

TEST(LossesTest, SoftmaxCrossEntropyWithWeightsAndAvgFactor) {
  auto loss = Build("cross_entropy_loss { loss_weight: 2.0 }");
  ASSERT_NE(loss, nullptr);
  const torch::Tensor logits = torch::tensor({{1.f, 2.f, 3.f}, {0.f, 0.f, 0.f}});
  const torch::Tensor labels = torch::tensor({2, 0}, torch::kInt64);
  const double l0 = -std::log(std::exp(3.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(3.0)));
  const double l1 = std::log(3.0);
  EXPECT_NEAR(loss->Compute(logits, labels).item<double>(), 2 * (l0 + l1) / 2, 1e-5);
  const torch::Tensor weights = torch::tensor({1.f, 0.f});
  EXPECT_NEAR(loss->Compute(logits, labels, weights, 4.0).item<double>(), 2 * l0 / 4, 1e-5);
  EXPECT_NEAR(loss->Compute(logits, labels, weights, std::nullopt, config::sum).item<double>(),
              2 * l0, 1e-5);
  EXPECT_EQ(loss->Compute(logits, labels, torch::Tensor(), std::nullopt, config::none).sizes(),
            (std::vector<int64_t>{2}));
}

TEST(LossesTest, SigmoidCrossEntropyExpandsLabelsBelowNumClasses) {
  auto loss = Build("cross_entropy_loss { use_sigmoid: true }");
  ASSERT_NE(loss, nullptr);
  EXPECT_TRUE(loss->use_sigmoid());
  // RPN: one channel, label 0 = object, label 1 (= num_classes) = background.
  const torch::Tensor logits = torch::tensor({{0.5f}, {-1.f}, {2.f}});
  const torch::Tensor labels = torch::tensor({0, 1, 1}, torch::kInt64);
  const double expected = (Bce(0.5, 1) + Bce(-1, 0) + Bce(2, 0)) / 3;
  EXPECT_NEAR(loss->Compute(logits, labels).item<double>(), expected, 1e-5);
  const torch::Tensor weights = torch::tensor({1.f, 1.f, 0.f});
  EXPECT_NEAR(loss->Compute(logits, labels, weights, 2.0).item<double>(),
              (Bce(0.5, 1) + Bce(-1, 0)) / 2, 1e-5);
}

TEST(LossesTest, MaskCrossEntropyPicksEachRoisClassChannel) {
  auto loss = Build("cross_entropy_loss { use_mask: true loss_weight: 1.0 }");
  ASSERT_NE(loss, nullptr);
  torch::Tensor pred = torch::zeros({2, 3, 2, 2});
  pred[0][1].fill_(2.0);
  pred[1][2].fill_(-1.0);
  const torch::Tensor targets = torch::ones({2, 2, 2});
  const torch::Tensor labels = torch::tensor({1, 2}, torch::kInt64);
  const torch::Tensor out = loss->Compute(pred, targets, labels);
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{1}));
  EXPECT_NEAR(out.item<double>(), (Bce(2, 1) + Bce(-1, 1)) / 2, 1e-5);
}

TEST(LossesTest, SmoothL1AndL1) {
  auto smooth = Build("smooth_l1_loss { beta: 1.0 loss_weight: 1.0 }");
  ASSERT_NE(smooth, nullptr);
  const torch::Tensor pred = torch::tensor({{0.f, 0.f, 0.f, 0.f}});
  const torch::Tensor target = torch::tensor({{0.5f, 2.f, -0.2f, -3.f}});
  // 0.5 * 0.25, 2 - 0.5, 0.5 * 0.04, 3 - 0.5
  const double sum = 0.125 + 1.5 + 0.02 + 2.5;
  EXPECT_NEAR(smooth->Compute(pred, target).item<double>(), sum / 4, 1e-6);
  EXPECT_NEAR(smooth->Compute(pred, target, torch::ones({1, 4}), 2.0).item<double>(), sum / 2, 1e-6);
  auto ninth = Build("smooth_l1_loss { beta: 0.1111111 }");
  ASSERT_NE(ninth, nullptr);
  EXPECT_NEAR(ninth->Compute(torch::zeros({1}), torch::tensor({0.05f})).item<double>(),
              0.5 * 0.05 * 0.05 / 0.1111111, 1e-6);
  auto l1 = Build("l1_loss { loss_weight: 3.0 reduction: sum }");
  ASSERT_NE(l1, nullptr);
  EXPECT_NEAR(l1->Compute(pred, target).item<double>(), 3 * 5.7, 1e-5);
}

TEST(LossesTest, FocalLossWeightsAndAvgFactor) {
  auto loss = Build("focal_loss { gamma: 2.0 alpha: 0.25 loss_weight: 1.0 }");
  ASSERT_NE(loss, nullptr);
  const torch::Tensor logits = torch::tensor({{0.f, 1.f}, {-1.f, 0.5f}});
  const torch::Tensor labels = torch::tensor({1, 2}, torch::kInt64);  // 2 = background
  auto term = [](double x, bool positive) {
    const double p = 1 / (1 + std::exp(-x));
    return positive ? -0.25 * (1 - p) * (1 - p) * std::log(p)
                    : -0.75 * p * p * std::log(1 - p);
  };
  const double total = term(0, false) + term(1, true) + term(-1, false) + term(0.5, false);
  EXPECT_NEAR(loss->Compute(logits, labels, torch::Tensor(), 1.0).item<double>(), total, 1e-5);
  // Per-anchor weights broadcast over classes.
  EXPECT_NEAR(loss->Compute(logits, labels, torch::tensor({1.f, 0.f}), 1.0).item<double>(),
              term(0, false) + term(1, true), 1e-5);
}

TEST(LossesTest, RegistryAndBadConfig) {
  EXPECT_TRUE(MissingFactories(config::Loss::descriptor(), LossRegistry::Global()).empty());
  config::Loss cfg;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString("smooth_l1_loss { beta: 0 }", &cfg));
  auto loss = BuildLoss(cfg, "model.rpn_head.loss_bbox");
  ASSERT_FALSE(loss.ok());
  EXPECT_THAT(std::string(loss.status().message()),
              ::testing::HasSubstr("model.rpn_head.loss_bbox.smooth_l1_loss.beta"));
}

}  // namespace
}  // namespace mmdet::models
