// epoch_N.pth / latest.pth as mmcv's CheckpointHook writes them, and resume.
#include "mmdet/runner/checkpoint/training_checkpoint.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <regex>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mmdet/core/pth/pth.h"
#include "torch/nn/modules/batchnorm.h"
#include "torch/nn/modules/linear.h"
#include "torch/optim/sgd.h"

namespace mmdet::runner {
namespace {

using ::testing::HasSubstr;

struct NetImpl : torch::nn::Module {
  NetImpl() {
    fc = register_module("fc", torch::nn::Linear(3, 2));
    bn = register_module("bn", torch::nn::BatchNorm1d(2));
  }
  torch::Tensor forward(const torch::Tensor& x) { return bn(fc(x)); }
  torch::nn::Linear fc{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
};
TORCH_MODULE(Net);

void Step(Net& net, torch::optim::Optimizer& opt, int seed) {
  torch::manual_seed(seed);
  opt.zero_grad();
  net->forward(torch::randn({4, 3})).pow(2).sum().backward();
  opt.step();
}

std::string FreshDir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/" + name;
  EXPECT_EQ(std::system(("rm -rf '" + dir + "'").c_str()), 0);
  return dir;
}

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

CheckpointMeta Meta(int epoch, int64_t iter) {
  CheckpointMeta meta;
  meta.epoch = epoch;
  meta.iter = iter;
  meta.config = "model { }";
  meta.classes = {"cat", "dog"};
  return meta;
}

TEST(TrainingCheckpointTest, MmdetLayout) {
  torch::manual_seed(0);
  Net net;
  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  Step(net, sgd, 1);
  const std::string dir = FreshDir("layout");
  ASSERT_TRUE(SaveEpochCheckpoint(dir, *net, &sgd, {0.1}, Meta(1, 7), -1).ok());
  auto ckpt = pth::LoadPth(dir + "/epoch_1.pth");
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  std::vector<std::string> keys;
  for (const auto& e : ckpt->entries()) keys.push_back(e.key.as_string());
  EXPECT_EQ(keys, (std::vector<std::string>{"meta", "state_dict", "optimizer"}));
  const pth::Value& meta = *ckpt->Find("meta");
  keys.clear();
  for (const auto& e : meta.entries()) keys.push_back(e.key.as_string());
  EXPECT_EQ(keys, (std::vector<std::string>{"mmdet_version", "config", "CLASSES", "epoch", "iter",
                                            "mmcv_version", "time"}));
  EXPECT_EQ(meta.Find("epoch")->as_int(), 1);
  EXPECT_EQ(meta.Find("iter")->as_int(), 7);
  EXPECT_EQ(meta.Find("config")->as_string(), "model { }");
  ASSERT_TRUE(meta.Find("CLASSES")->is_tuple());
  EXPECT_EQ(meta.Find("CLASSES")->items()[1].as_string(), "dog");
  // time.asctime(): "Tue Dec  1 12:16:20 2026".
  EXPECT_TRUE(std::regex_match(meta.Find("time")->as_string(),
                               std::regex("[A-Z][a-z]{2} [A-Z][a-z]{2} [ 123][0-9] "
                                          "[0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}")))
      << meta.Find("time")->as_string();
  const pth::Value& sd = *ckpt->Find("state_dict");
  EXPECT_TRUE(sd.is_ordered_dict());
  keys.clear();
  for (const auto& e : sd.entries()) keys.push_back(e.key.as_string());
  EXPECT_EQ(keys, (std::vector<std::string>{"fc.weight", "fc.bias", "bn.weight", "bn.bias",
                                            "bn.running_mean", "bn.running_var",
                                            "bn.num_batches_tracked"}));
  EXPECT_EQ(ckpt->Find("optimizer")->Find("state")->size(), 4u);
  // latest.pth: a relative symlink to the newest epoch.
  char target[64] = {};
  ASSERT_GT(readlink((dir + "/latest.pth").c_str(), target, sizeof(target) - 1), 0);
  EXPECT_STREQ(target, "epoch_1.pth");
  // No temp files left behind.
  EXPECT_EQ(std::system(("test -z \"$(ls '" + dir + "' | grep -v '^epoch_1.pth$' | grep -v "
                         "'^latest.pth$')\"").c_str()),
            0);
}

TEST(TrainingCheckpointTest, MaxKeepCkptsFollowsMmcv) {
  torch::manual_seed(0);
  Net net;
  const std::string dir = FreshDir("keep");
  for (int epoch = 1; epoch <= 4; ++epoch) {
    ASSERT_TRUE(SaveEpochCheckpoint(dir, *net, nullptr, {}, Meta(epoch, epoch * 10), 2).ok());
  }
  EXPECT_FALSE(Exists(dir + "/epoch_1.pth"));
  EXPECT_FALSE(Exists(dir + "/epoch_2.pth"));
  EXPECT_TRUE(Exists(dir + "/epoch_3.pth"));
  EXPECT_TRUE(Exists(dir + "/epoch_4.pth"));
  char target[64] = {};
  ASSERT_GT(readlink((dir + "/latest.pth").c_str(), target, sizeof(target) - 1), 0);
  EXPECT_STREQ(target, "epoch_4.pth");
  auto latest = pth::LoadPth(dir + "/latest.pth");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->Find("meta")->Find("epoch")->as_int(), 4);
  EXPECT_EQ(latest->Find("optimizer"), nullptr);  // save_optimizer false
  // mmcv stops at the first gap: with interval 2 (epochs 2, 4, 6) and max_keep_ckpts 1,
  // epoch 6 looks at epoch_5.pth, finds none and keeps epoch_2 and epoch_4.
  const std::string gaps = FreshDir("gaps");
  for (int epoch : {2, 4, 6}) {
    ASSERT_TRUE(SaveEpochCheckpoint(gaps, *net, nullptr, {}, Meta(epoch, epoch), 1).ok());
  }
  EXPECT_TRUE(Exists(gaps + "/epoch_2.pth"));
  EXPECT_TRUE(Exists(gaps + "/epoch_4.pth"));
}

// Interrupted after 2 steps, resumed into fresh objects: the next steps match the
// uninterrupted run bit for bit (momentum buffers and BN statistics restored).
TEST(TrainingCheckpointTest, ResumeContinuesExactly) {
  torch::manual_seed(0);
  Net a;
  torch::optim::SGD opt_a(a->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  Step(a, opt_a, 1);
  Step(a, opt_a, 2);
  const std::string dir = FreshDir("resume");
  ASSERT_TRUE(SaveEpochCheckpoint(dir, *a, &opt_a, {0.1}, Meta(1, 2), -1).ok());

  torch::manual_seed(42);
  Net b;
  torch::optim::SGD opt_b(b->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  auto state = ResumeCheckpoint(dir + "/latest.pth", *b, &opt_b);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->epoch, 1);
  EXPECT_EQ(state->iter, 2);
  EXPECT_EQ(state->initial_lrs, std::vector<double>{0.1});
  for (int seed = 3; seed < 6; ++seed) {
    Step(a, opt_a, seed);
    Step(b, opt_b, seed);
  }
  auto sa = a->named_parameters(), sb = b->named_parameters();
  for (const auto& p : sa) EXPECT_TRUE(torch::equal(p.value(), sb[p.key()])) << p.key();
  EXPECT_TRUE(torch::equal(a->bn->running_mean, b->bn->running_mean));
}

TEST(TrainingCheckpointTest, ResumeErrorsNameTheFile) {
  Net net;
  const std::string dir = FreshDir("bad");
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  // Weights only (a load_from file): no epoch / iter.
  ASSERT_TRUE(pth::SavePth(dir + "/weights.pth", pth::Value::Dict()).ok());
  auto status = ResumeCheckpoint(dir + "/weights.pth", *net, nullptr).status();
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("weights.pth: meta: needs int 'epoch' and 'iter' to resume from"));
  // Corrupt file.
  std::ofstream(dir + "/corrupt.pth") << "not a checkpoint";
  status = ResumeCheckpoint(dir + "/corrupt.pth", *net, nullptr).status();
  EXPECT_THAT(std::string(status.message()), HasSubstr("corrupt.pth"));
  // Another model's weights.
  torch::nn::Linear other(5, 5);
  ASSERT_TRUE(SaveTrainingCheckpoint(dir + "/other.pth", *other, nullptr, {}, Meta(1, 1)).ok());
  status = ResumeCheckpoint(dir + "/other.pth", *net, nullptr).status();
  EXPECT_THAT(std::string(status.message()), HasSubstr("other.pth"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("bn.running_mean"));
}

}  // namespace
}  // namespace mmdet::runner
