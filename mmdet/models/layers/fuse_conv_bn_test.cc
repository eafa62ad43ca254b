// FuseConvBn: folded conv + BatchNorm pairs give the unfolded outputs (up to float rounding),
// as mmcv's fuse_conv_bn; GroupNorm and a norm with no conv before it are left alone.
#include "mmdet/models/layers/fuse_conv_bn.h"

#include <string>

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "mmdet/models/backbones/resnet.h"
#include "mmdet/models/layers/layers.h"

namespace mmdet::models {
namespace {

// Random statistics and affine parameters in every BatchNorm, so folding is not a no-op.
void Randomise(torch::nn::Module& m) {
  torch::NoGradGuard no_grad;
  for (auto& item : m.named_buffers()) {
    if (item.key().find("running_mean") != std::string::npos) item.value().normal_(0, 0.5);
    if (item.key().find("running_var") != std::string::npos) item.value().uniform_(0.5, 2.0);
  }
  for (auto& item : m.named_parameters()) {
    const std::string& k = item.key();
    if (k.find("bn") != std::string::npos || k.find("downsample.1") != std::string::npos) {
      item.value().uniform_(0.5, 1.5);
    }
  }
}

double MaxRelativeError(const torch::Tensor& got, const torch::Tensor& want) {
  return ((got - want).abs().max() / want.abs().max()).item<double>();
}

// A 3 -> 8 3x3 ConvModule with a BN of random statistics, in eval mode.
absl::StatusOr<std::shared_ptr<ConvModuleImpl>> RandomConvBn(bool bias) {
  ConvModuleOptions o;
  o.in_channels = 3;
  o.out_channels = 8;
  o.kernel_size = 3;
  o.padding = 1;
  o.bias = bias;
  o.norm_cfg = config::NormConfig();  // BN
  auto m = ConvModuleImpl::Create(o);
  if (m.ok()) {
    Randomise(**m);
    (*m)->eval();
  }
  return m;
}

TEST(FuseConvBnTest, ConvModuleWithAndWithoutBias) {
  torch::manual_seed(0);
  for (const bool bias : {false, true}) {
    auto m = RandomConvBn(bias);
    ASSERT_TRUE(m.ok()) << m.status();
    const torch::Tensor x = torch::randn({2, 3, 9, 11});
    const torch::Tensor want = (*m)->forward(x);
    EXPECT_EQ(FuseConvBn(**m), 1);
    EXPECT_TRUE((*m)->conv()->bias.defined());
    EXPECT_LT(MaxRelativeError((*m)->forward(x), want), 1e-5) << "bias " << bias;
    EXPECT_EQ(FuseConvBn(**m), 0);  // already folded
  }
}

TEST(FuseConvBnTest, CheckpointModeKeepsTheNormsAsAShift) {
  torch::manual_seed(1);
  for (const bool bias : {false, true}) {
    auto m = RandomConvBn(bias);
    ASSERT_TRUE(m.ok()) << m.status();
    const auto keys = (*m)->named_parameters().keys();
    const torch::Tensor x = torch::randn({2, 3, 9, 11});
    const torch::Tensor want = (*m)->forward(x);
    EXPECT_EQ(FuseConvBn(**m, FuseMode::kCheckpoint), 1);
    EXPECT_EQ((*m)->named_parameters().keys(), keys);  // the same state_dict entries
    EXPECT_LT(MaxRelativeError((*m)->forward(x), want), 1e-5) << "bias " << bias;
    // The norm is now exactly a shift: running stats (0, var + eps == 1) and weight 1.
    for (const auto& item : (*m)->named_buffers()) {
      if (item.key() == "bn.running_mean") EXPECT_EQ(item.value().abs().max().item<float>(), 0);
      if (item.key() == "bn.running_var") {
        EXPECT_TRUE(torch::equal(item.value() + 1e-5f, torch::ones_like(item.value())));
      }
    }
    // Folding again changes nothing.
    EXPECT_EQ(FuseConvBn(**m, FuseMode::kCheckpoint), 1);
    EXPECT_LT(MaxRelativeError((*m)->forward(x), want), 1e-5);
  }
}

TEST(FuseConvBnTest, GroupNormIsLeftAlone) {
  ConvModuleOptions o;
  o.in_channels = 4;
  o.out_channels = 8;
  config::NormConfig gn;
  gn.set_type(config::NormConfig::GN);
  gn.set_num_groups(2);
  o.norm_cfg = gn;
  auto m = ConvModuleImpl::Create(o);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(FuseConvBn(**m), 0);
}

TEST(FuseConvBnTest, ResNet50FoldsEveryBatchNormAndKeepsItsFeatures) {
  torch::manual_seed(0);
  config::Backbone cfg;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      "resnet { depth: 50 out_indices: [0, 1, 2, 3] frozen_stages: -1 }", &cfg));
  auto net = BuildBackbone(cfg, "model.backbone");
  ASSERT_TRUE(net.ok()) << net.status();
  Randomise(**net);
  (*net)->eval();
  const size_t keys = (*net)->named_parameters().size() + (*net)->named_buffers().size();
  const torch::Tensor x = torch::randn({1, 3, 64, 96});
  const std::vector<torch::Tensor> want = (*net)->forward(x);
  // The stem, 3 per bottleneck x 16 and the 4 downsample branches.
  EXPECT_EQ(FuseConvBn(**net), 1 + 3 * 16 + 4);
  const std::vector<torch::Tensor> got = (*net)->forward(x);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_LT(MaxRelativeError(got[i], want[i]), 1e-4) << "stage " << i;
  }
  // The state_dict keys stay those of MMDetection's checkpoints.
  EXPECT_EQ((*net)->named_parameters().size() + (*net)->named_buffers().size(), keys);
}

}  // namespace
}  // namespace mmdet::models
