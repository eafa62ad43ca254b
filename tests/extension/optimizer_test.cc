// build_optimizer: MMDetection v2.0's parameter groups (paramwise_cfg), SGD / Adam / AdamW from
// the config, errors naming the field, and a user's optimizer (CopyOfSGD) through `custom`.
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "mmdet/config/config.pb.h"
#include "mmdet/config/loader.h"
#include "mmdet/models/layers/layers.h"
#include "mmdet/runner/optim/optimizer_builder.h"
#include "torch/nn/module.h"
#include "torch/nn/modules/batchnorm.h"
#include "torch/nn/modules/conv.h"
#include "torch/nn/modules/linear.h"
#include "torch/optim/sgd.h"
#include "torch/utils.h"

namespace mmdet::runner {
namespace {

using ::testing::HasSubstr;

// conv (weight, bias) -> bn (weight, bias) -> depth-wise conv (weight) -> linear (weight, bias),
// with the bn's bias frozen.
struct NetImpl : torch::nn::Module {
  NetImpl() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3)));
    bn = register_module("bn", torch::nn::BatchNorm2d(4));
    dw = register_module("dw", torch::nn::Conv2d(torch::nn::Conv2dOptions(4, 4, 3).groups(4).bias(false)));
    fc = register_module("fc", torch::nn::Linear(4, 2));
    bn->bias.set_requires_grad(false);
  }
  torch::nn::Conv2d conv{nullptr}, dw{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(Net);

config::Optimizer Parse(const std::string& text) {
  config::Optimizer cfg;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &cfg)) << text;
  return cfg;
}

TEST(ParamGroupsTest, PlainAndParamwise) {
  Net net;
  const auto plain = BuildParamGroups(*net, 0.02, 1e-4, nullptr);
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].params.size(), 7u);  // every parameter, the frozen one included
  const config::ParamwiseConfig pw = Parse(R"(sgd {} paramwise_cfg {
      bias_lr_mult: 2 bias_decay_mult: 0 norm_decay_mult: 0.5 dwconv_decay_mult: 0.25 })")
                                         .paramwise_cfg();
  const auto groups = BuildParamGroups(*net, 0.02, 1e-4, &pw);
  // conv.weight, conv.bias, bn.weight (bn.bias frozen: left out), dw.weight, fc.weight, fc.bias.
  ASSERT_EQ(groups.size(), 6u);
  EXPECT_TRUE(groups[0].params[0].is_same(net->conv->weight));
  EXPECT_DOUBLE_EQ(groups[0].lr, 0.02);
  EXPECT_DOUBLE_EQ(groups[0].weight_decay, 1e-4);
  EXPECT_DOUBLE_EQ(groups[1].lr, 0.04);  // conv.bias: bias_lr_mult
  EXPECT_DOUBLE_EQ(groups[1].weight_decay, 0);  // bias_decay_mult
  EXPECT_TRUE(groups[2].params[0].is_same(net->bn->weight));
  EXPECT_DOUBLE_EQ(groups[2].lr, 0.02);
  EXPECT_DOUBLE_EQ(groups[2].weight_decay, 0.5e-4);  // norm_decay_mult
  EXPECT_DOUBLE_EQ(groups[3].weight_decay, 0.25e-4);  // depth-wise conv
  EXPECT_DOUBLE_EQ(groups[5].lr, 0.04);  // fc.bias
}

TEST(BuildOptimizerTest, SgdStepMatchesTheFormula) {
  Net net;
  auto opt = BuildOptimizer(Parse("sgd { lr: 0.1 momentum: 0.9 weight_decay: 0.01 }"), *net);
  ASSERT_TRUE(opt.ok()) << opt.status();
  EXPECT_EQ(GroupLrs(**opt), (std::vector<double>{0.1}));
  torch::NoGradGuard no_grad;
  const torch::Tensor w0 = net->fc->weight.clone();
  net->fc->weight.mutable_grad() = torch::ones_like(w0);
  (*opt)->step();
  // First step: buf = g + wd * w; w -= lr * buf.
  EXPECT_TRUE(torch::allclose(net->fc->weight, w0 - 0.1 * (1 + 0.01 * w0)));
  SetGroupLrs(**opt, {0.05});
  EXPECT_EQ(GroupLrs(**opt), (std::vector<double>{0.05}));
  EXPECT_TRUE(BuildOptimizer(Parse("adam { lr: 0.001 }"), *net).ok());
  EXPECT_TRUE(BuildOptimizer(Parse("adamw { lr: 0.001 }"), *net).ok());
}

TEST(BuildOptimizerTest, ErrorsNameTheField) {
  Net net;
  auto bad = BuildOptimizer(Parse("sgd { lr: 0 }"), *net);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("optimizer.sgd.lr: must be positive"));
  auto none = BuildOptimizer(config::Optimizer(), *net);
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(std::string(none.status().message()), HasSubstr("optimizer: no type set"));
}

TEST(BuildOptimizerTest, CopyOfSgdThroughCustom) {
  Net net;
  auto opt = BuildOptimizer(
      Parse("custom { [type.googleapis.com/mmdet_ext.CopyOfSGD] { lr: 0.01 } } "
            "paramwise_cfg { bias_lr_mult: 2 }"),
      *net);
  ASSERT_TRUE(opt.ok()) << opt.status();
  EXPECT_NE(dynamic_cast<torch::optim::SGD*>(opt->get()), nullptr);
  EXPECT_EQ(GroupLrs(**opt)[1], 0.02);  // conv.bias
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// docs/custom_optimizer.md quotes the example's files whole.
TEST(BuildOptimizerTest, HowToQuotesTheExample) {
  const std::string doc = Read("docs/custom_optimizer.md");
  ASSERT_FALSE(doc.empty());
  for (const char* file : {"copy_of_sgd.proto", "copy_of_sgd.cc"}) {
    const std::string text = Read(std::string("tests/extension/") + file);
    const std::string lang = absl::EndsWith(file, ".proto") ? "proto" : "cpp";
    EXPECT_TRUE(absl::StrContains(doc, "```" + lang + "\n" + text + "```\n"))
        << "docs/custom_optimizer.md does not quote tests/extension/" << file;
  }
}

}  // namespace
}  // namespace mmdet::runner
