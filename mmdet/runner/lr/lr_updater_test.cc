// The schedule against mmcv 0.5's LrUpdaterHook formulas, written out per case.
#include "mmdet/runner/lr/lr_updater.h"

#include <cmath>

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace mmdet::runner {
namespace {

config::LrConfig Parse(const std::string& text) {
  config::LrConfig cfg;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &cfg)) << text;
  return cfg;
}

LrUpdater Make(const std::string& text, std::vector<double> base = {0.02}) {
  auto u = LrUpdater::Create(Parse(text), std::move(base));
  EXPECT_TRUE(u.ok()) << u.status();
  return *std::move(u);
}

LrProgress At(int epoch, int64_t iter) {
  LrProgress p;
  p.epoch = epoch;
  p.iter = iter;
  p.max_epochs = 12;
  p.max_iters = 1200;
  return p;
}

// The 1x schedule: step [8, 11], linear warmup 500 iters at ratio 1/3, 100 iters per epoch.
TEST(LrUpdaterTest, StepScheduleWithLinearWarmupByEpoch) {
  LrUpdater u = Make(
      "step { step: 8 step: 11 } warmup: linear warmup_iters: 500 "
      "warmup_ratio: 0.3333333333333333");
  const double ratio = 0.3333333333333333;
  // Epoch 0: regular lr is the base; the iterations up to 500 warm up (through epoch 4).
  EXPECT_EQ(u.BeforeTrainEpoch(At(0, 0)), std::vector<double>{0.02});
  for (int64_t it : {0, 1, 250, 499}) {
    const double k = (1 - static_cast<double>(it) / 500) * (1 - ratio);
    auto lrs = u.BeforeTrainIter(At(static_cast<int>(it / 100), it));
    ASSERT_EQ(lrs.size(), 1u);
    EXPECT_EQ(lrs[0], 0.02 * (1 - k)) << it;
  }
  EXPECT_EQ(u.BeforeTrainIter(At(0, 0))[0], 0.02 * (1 - (1 - ratio)));
  EXPECT_EQ(u.BeforeTrainIter(At(5, 500)), std::vector<double>{0.02});  // back to regular
  EXPECT_TRUE(u.BeforeTrainIter(At(5, 501)).empty());                   // no change after
  // Epochs: decay by 0.1 at 8 and again at 11 (epoch counts from 0).
  EXPECT_EQ(u.BeforeTrainEpoch(At(7, 700))[0], 0.02);
  EXPECT_EQ(u.BeforeTrainEpoch(At(8, 800))[0], 0.02 * 0.1);
  EXPECT_EQ(u.BeforeTrainEpoch(At(10, 1000))[0], 0.02 * 0.1);
  EXPECT_EQ(u.BeforeTrainEpoch(At(11, 1100))[0], 0.02 * std::pow(0.1, 2.0));
}

TEST(LrUpdaterTest, WarmupScalesTheCurrentRegularLrOfEveryGroup) {
  LrUpdater u = Make("step { step: 1 gamma: 0.5 } warmup: constant warmup_iters: 300 "
                     "warmup_ratio: 0.25",
                     {0.02, 0.04});
  // Warmup still running in epoch 1 scales the decayed lr.
  u.BeforeTrainEpoch(At(1, 100));
  auto lrs = u.BeforeTrainIter(At(1, 150));
  ASSERT_EQ(lrs.size(), 2u);
  EXPECT_EQ(lrs[0], 0.02 * 0.5 * 0.25);
  EXPECT_EQ(lrs[1], 0.04 * 0.5 * 0.25);
}

TEST(LrUpdaterTest, ExpWarmup) {
  LrUpdater u = Make("step { step: 8 } warmup: exp warmup_iters: 10 warmup_ratio: 0.001");
  u.BeforeTrainEpoch(At(0, 0));
  for (int64_t it = 0; it < 10; ++it) {
    EXPECT_EQ(u.BeforeTrainIter(At(0, it))[0],
              0.02 * std::pow(0.001, 1 - static_cast<double>(it) / 10))
        << it;
  }
  EXPECT_EQ(u.BeforeTrainIter(At(0, 10))[0], 0.02);
}

TEST(LrUpdaterTest, NoWarmupLeavesIterationsAlone) {
  LrUpdater u = Make("step { step: 8 }");
  EXPECT_EQ(u.BeforeTrainEpoch(At(0, 0))[0], 0.02);
  EXPECT_TRUE(u.BeforeTrainIter(At(0, 0)).empty());
}

TEST(LrUpdaterTest, CosineByEpochAndByIteration) {
  LrUpdater by_epoch = Make("cosine { min_lr: 0.0002 }");
  for (int e : {0, 3, 11}) {
    const double want =
        0.0002 + 0.5 * (0.02 - 0.0002) * (1 + std::cos(3.141592653589793 * (e / 12.0)));
    EXPECT_EQ(by_epoch.BeforeTrainEpoch(At(e, e * 100))[0], want) << e;
  }
  LrUpdater by_iter = Make("cosine { } by_epoch: false warmup: linear warmup_iters: 100 "
                           "warmup_ratio: 0.1");
  EXPECT_TRUE(by_iter.BeforeTrainEpoch(At(0, 0)).empty());
  // Iteration 50: the warmup of the cosine lr at 50; 100 and on: the cosine lr itself.
  const double cos50 = 0.5 * 0.02 * (1 + std::cos(3.141592653589793 * (50 / 1200.0)));
  EXPECT_EQ(by_iter.BeforeTrainIter(At(0, 50))[0], cos50 * (1 - (1 - 50 / 100.0) * 0.9));
  const double cos100 = 0.5 * 0.02 * (1 + std::cos(3.141592653589793 * (100 / 1200.0)));
  EXPECT_EQ(by_iter.BeforeTrainIter(At(1, 100))[0], cos100);
}

TEST(LrUpdaterTest, StepByIteration) {
  LrUpdater u = Make("step { step: 600 step: 900 } by_epoch: false");
  EXPECT_EQ(u.BeforeTrainIter(At(0, 599))[0], 0.02);
  EXPECT_EQ(u.BeforeTrainIter(At(6, 600))[0], 0.02 * 0.1);
  EXPECT_EQ(u.BeforeTrainIter(At(9, 900))[0], 0.02 * std::pow(0.1, 2.0));
}

TEST(LrUpdaterTest, BadConfigsNameTheField) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"warmup: linear", "lr_config: no type set (expected one of: step, cosine, custom)"},
      {"step { }", "lr_config.step.step: required"},
      {"step { step: 11 step: 8 }", "lr_config.step.step: expected positive, ascending"},
      {"step { step: 0 }", "lr_config.step.step: expected positive, ascending"},
      {"step { step: 8 } warmup: linear", "lr_config.warmup_iters: must be a positive"},
      {"step { step: 8 } warmup: linear warmup_iters: 5 warmup_ratio: 0",
       "lr_config.warmup_ratio: must be in (0, 1]"},
  };
  for (const Case& c : cases) {
    auto u = LrUpdater::Create(Parse(c.text), {0.02});
    ASSERT_FALSE(u.ok()) << c.text;
    EXPECT_NE(std::string(u.status().message()).find(c.message), std::string::npos)
        << c.text << " -> " << u.status();
  }
}

}  // namespace
}  // namespace mmdet::runner
