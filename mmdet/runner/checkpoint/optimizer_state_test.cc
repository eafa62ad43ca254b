// Optimizer state round trips: saved, written to a .pth, read back into a fresh optimizer,
// the next steps are bit-identical to the uninterrupted optimizer's.
#include "mmdet/runner/checkpoint/optimizer_state.h"

#include <cstdio>
#include <cstdlib>
#include <functional>

#include "gtest/gtest.h"
#include "torch/nn/modules/conv.h"
#include "torch/nn/modules/linear.h"
#include "torch/optim/adam.h"
#include "torch/optim/adamw.h"
#include "torch/optim/sgd.h"

namespace mmdet::runner {
namespace {

struct NetImpl : torch::nn::Module {
  NetImpl() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3)));
    fc = register_module("fc", torch::nn::Linear(4, 2));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return fc(conv(x).mean({2, 3}));
  }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(Net);

// Two groups like paramwise_cfg makes: weights, and biases at twice the lr without decay.
template <typename Options>
std::vector<torch::optim::OptimizerParamGroup> Groups(Net& net, const Options& base) {
  std::vector<torch::Tensor> weights = {net->conv->weight, net->fc->weight};
  std::vector<torch::Tensor> biases = {net->conv->bias, net->fc->bias};
  auto bias_options = std::make_unique<Options>(base);
  bias_options->lr(base.lr() * 2).weight_decay(0);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(weights, std::make_unique<Options>(base));
  groups.emplace_back(biases, std::move(bias_options));
  return groups;
}

void Step(Net& net, torch::optim::Optimizer& optimizer, int seed) {
  torch::manual_seed(seed);
  optimizer.zero_grad();
  net->forward(torch::randn({2, 3, 6, 6})).pow(2).sum().backward();
  optimizer.step();
}

Net Copy(Net& from) {
  Net to;
  torch::NoGradGuard no_grad;
  auto src = from->parameters();
  auto dst = to->parameters();
  for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
  return to;
}

using MakeOptimizer = std::function<std::unique_ptr<torch::optim::Optimizer>(Net&)>;

// Steps twice, saves (through a real .pth file), continues both and compares.
void RoundTrip(const MakeOptimizer& make) {
  torch::manual_seed(0);
  Net a;
  auto opt_a = make(a);
  Step(a, *opt_a, 1);
  Step(a, *opt_a, 2);
  auto saved = OptimizerStateDict(*opt_a, {0.01, 0.02});
  ASSERT_TRUE(saved.ok()) << saved.status();
  const std::string path = ::testing::TempDir() + "/optimizer.pth";
  ASSERT_TRUE(pth::SavePth(path, *saved).ok());
  // Kept for checks with Python's torch (bazel zips it into the test's outputs).
  if (const char* outputs = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_TRUE(pth::SavePth(std::string(outputs) + "/" + name + ".pth", *saved).ok());
  }
  auto reread = pth::LoadPth(path);
  ASSERT_TRUE(reread.ok()) << reread.status();

  Net b = Copy(a);
  auto opt_b = make(b);
  // A different lr in the fresh optimizer: the file's hyper-parameters win.
  for (auto& g : opt_b->param_groups()) g.options().set_lr(123.0);
  auto initial = LoadOptimizerStateDict(*opt_b, *reread, path);
  ASSERT_TRUE(initial.ok()) << initial.status();
  EXPECT_EQ(*initial, (std::vector<double>{0.01, 0.02}));
  for (int seed = 3; seed < 5; ++seed) {
    Step(a, *opt_a, seed);
    Step(b, *opt_b, seed);
  }
  auto pa = a->parameters(), pb = b->parameters();
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i])) << i;
}

TEST(OptimizerStateTest, SgdWithMomentumRoundTrips) {
  RoundTrip([](Net& net) {
    auto base = torch::optim::SGDOptions(0.01).momentum(0.9).weight_decay(1e-4);
    return std::make_unique<torch::optim::SGD>(Groups(net, base), base);
  });
}

TEST(OptimizerStateTest, AdamRoundTrips) {
  RoundTrip([](Net& net) {
    auto base = torch::optim::AdamOptions(0.01).amsgrad(true);
    return std::make_unique<torch::optim::Adam>(Groups(net, base), base);
  });
}

TEST(OptimizerStateTest, AdamWRoundTrips) {
  RoundTrip([](Net& net) {
    auto base = torch::optim::AdamWOptions(0.01);
    return std::make_unique<torch::optim::AdamW>(Groups(net, base), base);
  });
}

// PyTorch's layout: int ids through the groups, hyper-parameters by name, params last.
TEST(OptimizerStateTest, LayoutIsPyTorchs) {
  torch::manual_seed(0);
  Net net;
  auto base = torch::optim::SGDOptions(0.02).momentum(0.9);
  torch::optim::SGD sgd(Groups(net, base), base);
  Step(net, sgd, 1);
  auto saved = OptimizerStateDict(sgd);
  ASSERT_TRUE(saved.ok());
  const pth::Value* state = saved->Find("state");
  const pth::Value* groups = saved->Find("param_groups");
  ASSERT_NE(state, nullptr);
  ASSERT_NE(groups, nullptr);
  ASSERT_EQ(state->size(), 4u);
  for (int64_t id = 0; id < 4; ++id) {
    const pth::Value* entry = state->Find(id);
    ASSERT_NE(entry, nullptr) << id;
    ASSERT_NE(entry->Find("momentum_buffer"), nullptr);
  }
  EXPECT_TRUE(torch::equal(state->Find(int64_t{1})->Find("momentum_buffer")->tensor(),
                           net->fc->weight.grad()));  // first step: the buffer is the grad
  ASSERT_EQ(groups->size(), 2u);
  const pth::Value& g1 = groups->items()[1];
  std::vector<std::string> keys;
  for (const auto& e : g1.entries()) keys.push_back(e.key.as_string());
  EXPECT_EQ(keys, (std::vector<std::string>{"lr", "momentum", "dampening", "weight_decay",
                                            "nesterov", "params"}));
  EXPECT_EQ(g1.Find("lr")->as_float(), 0.04);
  EXPECT_EQ(g1.Find("momentum")->as_float(), 0.9);
  ASSERT_EQ(g1.Find("params")->size(), 2u);
  EXPECT_EQ(g1.Find("params")->items()[0].as_int(), 2);
}

TEST(OptimizerStateTest, MismatchesNameTheElement) {
  torch::manual_seed(0);
  Net net;
  auto base = torch::optim::SGDOptions(0.02).momentum(0.9);
  torch::optim::SGD sgd(Groups(net, base), base);
  Step(net, sgd, 1);
  auto saved = OptimizerStateDict(sgd);
  ASSERT_TRUE(saved.ok());

  torch::optim::SGD one_group(net->parameters(), base);
  auto status = LoadOptimizerStateDict(one_group, *saved, "x.pth").status();
  EXPECT_EQ(status.message(), "x.pth: optimizer.param_groups: 2 groups, the optimizer has 1");

  pth::Value wrong_shape = *saved;
  wrong_shape.Find("state")->Find(int64_t{0})->Set("momentum_buffer",
                                                   pth::Value::Tensor(torch::zeros({2, 2})));
  status = LoadOptimizerStateDict(sgd, wrong_shape, "x.pth").status();
  EXPECT_EQ(status.message(),
            "x.pth: optimizer.state[0].momentum_buffer: shape [2, 2] does not match the "
            "parameter's [4, 3, 3, 3]");

  pth::Value unknown_id = *saved;
  unknown_id.Find("state")->Set(pth::Value::Int(9), pth::Value::Dict());
  status = LoadOptimizerStateDict(sgd, unknown_id, "x.pth").status();
  EXPECT_EQ(status.message(), "x.pth: optimizer.state[9]: no parameter with this id in param_groups");

  torch::optim::Adam adam(net->parameters());
  status = LoadOptimizerStateDict(adam, pth::Value::Int(3), "x.pth").status();
  EXPECT_EQ(status.message(), "x.pth: optimizer: expected a dict, got int");
  // A failed load leaves the optimizer's own state as it was.
  EXPECT_EQ(sgd.state().size(), 4u);
}

// What Python's torch 1.13 saved (testdata/make_python_states.py) loads: hyper-parameters,
// initial_lr, momentum buffers, Adam's tensor `step`.
TEST(OptimizerStateTest, ReadsPythonTorchStates) {
  for (const std::string name : {"sgd", "adam"}) {
    const std::string path = "mmdet/runner/checkpoint/testdata/python_" + name + ".pth";
    auto file = pth::LoadPth(path);
    ASSERT_TRUE(file.ok()) << file.status();
    Net net;
    std::unique_ptr<torch::optim::Optimizer> optimizer;
    if (name == "sgd") {
      auto base = torch::optim::SGDOptions(0.5);
      optimizer = std::make_unique<torch::optim::SGD>(Groups(net, base), base);
    } else {
      auto base = torch::optim::AdamOptions(0.5);
      optimizer = std::make_unique<torch::optim::Adam>(Groups(net, base), base);
    }
    auto initial = LoadOptimizerStateDict(*optimizer, *file, path);
    ASSERT_TRUE(initial.ok()) << initial.status();
    EXPECT_EQ(*initial, (std::vector<double>{0.01, 0.02}));
    EXPECT_EQ(optimizer->param_groups()[1].options().get_lr(), 0.02);
    EXPECT_EQ(optimizer->state().size(), 4u);
    auto saved = OptimizerStateDict(*optimizer);
    ASSERT_TRUE(saved.ok());
    const pth::Value* ours = saved->Find("state")->Find(int64_t{3});
    const pth::Value* theirs = file->Find("state")->Find(int64_t{3});
    if (name == "sgd") {
      EXPECT_EQ(optimizer->param_groups()[0].options().get_lr(), 0.01);
      EXPECT_TRUE(torch::equal(ours->Find("momentum_buffer")->tensor(),
                               theirs->Find("momentum_buffer")->tensor()));
    } else {
      EXPECT_EQ(ours->Find("step")->as_int(), 2);
      EXPECT_TRUE(torch::equal(ours->Find("exp_avg_sq")->tensor(),
                               theirs->Find("exp_avg_sq")->tensor()));
    }
  }
}

}  // namespace
}  // namespace mmdet::runner
