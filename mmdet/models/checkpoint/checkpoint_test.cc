#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mmdet/models/checkpoint/state_dict.h"
#include "mmdet/models/checkpoint/upgrade.h"
#include "torch/nn/modules/batchnorm.h"
#include "torch/nn/modules/conv.h"

namespace mmdet::models {
namespace {

using ::testing::HasSubstr;

struct TinyImpl : torch::nn::Module {
  TinyImpl() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(2, 3, 1)));
    bn = register_module("bn", torch::nn::BatchNorm2d(3));
  }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};

std::vector<std::string> Keys(const StateDict& sd) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : sd) keys.push_back(k);
  return keys;
}

TEST(StateDictTest, OrderIsPyTorchs) {
  TinyImpl m;
  EXPECT_EQ(Keys(GetStateDict(m)),
            (std::vector<std::string>{"conv.weight", "conv.bias", "bn.weight", "bn.bias",
                                      "bn.running_mean", "bn.running_var",
                                      "bn.num_batches_tracked"}));
}

TEST(StateDictTest, StrictLoadReportsLikePyTorch) {
  TinyImpl source, target;
  StateDict sd = GetStateDict(source);
  {
    torch::NoGradGuard no_grad;
    source.conv->weight.fill_(0.5);
  }
  auto loaded = LoadStateDict(target, GetStateDict(source), true, "Tiny");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->clean());
  EXPECT_TRUE(torch::equal(target.conv->weight, source.conv->weight));

  StateDict bad = GetStateDict(source);
  bad.erase(bad.begin() + 1);                                // conv.bias missing
  bad.emplace_back("head.fc.weight", torch::zeros({2}));     // unexpected
  bad[1].second = torch::zeros({4});                         // bn.weight mismatched
  auto strict = LoadStateDict(target, bad, true, "Tiny");
  ASSERT_FALSE(strict.ok());
  const std::string message(strict.status().message());
  EXPECT_THAT(message, HasSubstr("Error(s) in loading state_dict for Tiny"));
  EXPECT_THAT(message, HasSubstr("Missing key(s) in state_dict: \"conv.bias\""));
  EXPECT_THAT(message, HasSubstr("Unexpected key(s) in state_dict: \"head.fc.weight\""));
  EXPECT_THAT(message, HasSubstr("size mismatch for bn.weight: copying a param with shape [4]"));

  auto lenient = LoadStateDict(target, bad, false);
  ASSERT_TRUE(lenient.ok());
  EXPECT_EQ(lenient->missing, (std::vector<std::string>{"conv.bias"}));
  EXPECT_EQ(lenient->unexpected, (std::vector<std::string>{"head.fc.weight"}));
  EXPECT_EQ(lenient->mismatched.size(), 1u);
  EXPECT_THAT(lenient->Message(), HasSubstr("unexpected key in source state_dict: head.fc.weight"));
}

TEST(StateDictTest, DataParallelPrefixAndOldBatchNorms) {
  TinyImpl source, target;
  StateDict sd;
  for (auto& [k, v] : GetStateDict(source)) {
    if (k == "bn.num_batches_tracked") continue;  // pre-0.4.1 checkpoints
    sd.emplace_back("module." + k, v);
  }
  auto loaded = LoadStateDict(target, sd, true);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(Keys(SubStateDict(GetStateDict(source), "bn.")).size(), 5u);
}

TEST(UpgradeTest, MovesHeadsReordersBackgroundAndTruncatesRegression) {
  const int64_t n = 4;  // 3 classes + background (first, v1)
  StateDict v1 = {
      {"backbone.conv1.weight", torch::ones({2, 3, 1, 1})},
      {"rpn_head.rpn_cls.weight", torch::arange(6.0).reshape({3, 2, 1, 1})},
      {"rpn_head.rpn_cls.bias", torch::arange(3.0)},
      {"rpn_head.rpn_reg.bias", torch::arange(12.0)},
      {"bbox_head.fc_cls.weight", torch::arange(8.0).reshape({n, 2})},
      {"bbox_head.fc_cls.bias", torch::arange(4.0)},
      {"bbox_head.fc_reg.weight", torch::arange(32.0).reshape({4 * n, 2})},
      {"bbox_head.fc_reg.bias", torch::arange(16.0)},
      {"mask_head.conv_logits.weight", torch::arange(8.0).reshape({n, 2, 1, 1})},
      {"mask_head.conv_logits.bias", torch::arange(4.0)},
  };
  std::vector<std::string> log;
  UpgradeOptions options;
  options.num_classes = n;
  StateDict v2 = UpgradeV1StateDict(v1, options, &log);
  EXPECT_EQ(Keys(v2), (std::vector<std::string>{
                          "backbone.conv1.weight", "rpn_head.rpn_cls.weight", "rpn_head.rpn_cls.bias",
                          "rpn_head.rpn_reg.bias", "roi_head.bbox_head.fc_cls.weight",
                          "roi_head.bbox_head.fc_cls.bias", "roi_head.bbox_head.fc_reg.weight",
                          "roi_head.bbox_head.fc_reg.bias", "roi_head.mask_head.conv_logits.weight",
                          "roi_head.mask_head.conv_logits.bias"}));
  auto at = [&](const std::string& key) {
    for (auto& [k, v] : v2) if (k == key) return v;
    return torch::Tensor();
  };
  // fc_cls rows: background (row 0) moves last.
  EXPECT_TRUE(torch::equal(at("roi_head.bbox_head.fc_cls.weight").select(1, 0),
                           torch::tensor({2.0, 4.0, 6.0, 0.0}, torch::kDouble).to(torch::kFloat)));
  EXPECT_TRUE(torch::equal(at("roi_head.bbox_head.fc_cls.bias"), torch::tensor({1.f, 2.f, 3.f, 0.f})));
  // fc_reg: the background's 4 slots (first) dropped.
  EXPECT_EQ(at("roi_head.bbox_head.fc_reg.weight").sizes(), (std::vector<int64_t>{12, 2}));
  EXPECT_EQ(at("roi_head.bbox_head.fc_reg.weight")[0][0].item<float>(), 8.0f);
  // The script's bias rule keeps the *first* num_classes - 1 slots (its quirk, kept).
  EXPECT_TRUE(torch::equal(at("roi_head.bbox_head.fc_reg.bias"), torch::arange(0.0, 12.0).to(torch::kFloat)));
  // rpn_cls weight unchanged (3 anchors, not a multiple of 4); its bias rotated, as the script.
  EXPECT_TRUE(torch::equal(at("rpn_head.rpn_cls.weight"), v1[1].second));
  EXPECT_TRUE(torch::equal(at("rpn_head.rpn_cls.bias"), torch::tensor({1.f, 2.f, 0.f})));
  // rpn_reg bias: 12 is a multiple of 4 here, so it is truncated as well (the script's rule).
  EXPECT_EQ(at("rpn_head.rpn_reg.bias").size(0), 9);
  // conv_logits: weight drops the first (background) mask, bias keeps the first three.
  EXPECT_EQ(at("roi_head.mask_head.conv_logits.weight")[0][0][0][0].item<float>(), 2.0f);
  EXPECT_TRUE(torch::equal(at("roi_head.mask_head.conv_logits.bias"), torch::tensor({0.f, 1.f, 2.f})));
  EXPECT_THAT(log, ::testing::Contains("truncate regression channels of roi_head.bbox_head.fc_reg.weight"));
}

TEST(UpgradeTest, RetinaConvsRenamedAndSingleStageHeadsStay) {
  StateDict v1 = {{"bbox_head.cls_convs.0.weight", torch::ones({2, 2, 3, 3})},
                  {"bbox_head.reg_convs.1.bias", torch::ones({2})},
                  {"bbox_head.retina_cls.weight", torch::ones({18, 2, 3, 3})}};
  std::vector<std::string> log;
  UpgradeOptions options;
  options.upgrade_retina = true;
  StateDict v2 = UpgradeV1StateDict(v1, options, &log);
  EXPECT_EQ(Keys(v2), (std::vector<std::string>{"bbox_head.cls_convs.0.conv.weight",
                                                "bbox_head.reg_convs.1.conv.bias",
                                                "bbox_head.retina_cls.weight"}));
}

}  // namespace
}  // namespace mmdet::models
