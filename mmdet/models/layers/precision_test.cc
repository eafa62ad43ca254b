// Reduced precision and memory format: GroupNorm equals torch.nn.GroupNorm and runs in
// float32 under bfloat16 autocast; AutocastScope turns autocast on and restores it;
// ToChannelsLast keeps every value and makes convolutions return NHWC outputs.
#include "gtest/gtest.h"
#include "mmdet/models/layers/autocast.h"
#include "mmdet/models/layers/layers.h"
#include "mmdet/models/layers/memory_format.h"
#include "torch/nn/modules/normalization.h"

namespace mmdet::models {
namespace {

TEST(PrecisionTest, GroupNormIsTorchsAndWidensAutocastInputs) {
  torch::manual_seed(0);
  GroupNorm gn(4, 16, 1e-5);
  torch::nn::GroupNorm reference(torch::nn::GroupNormOptions(4, 16).eps(1e-5));
  {
    torch::NoGradGuard no_grad;
    gn->weight.uniform_();
    gn->bias.uniform_();
    reference->weight.copy_(gn->weight);
    reference->bias.copy_(gn->bias);
  }
  const torch::Tensor x = torch::randn({2, 16, 5, 7});
  EXPECT_TRUE(torch::equal(gn(x), reference(x)));
  std::vector<std::string> names;
  for (const auto& item : gn->named_parameters()) names.push_back(item.key());
  EXPECT_EQ(names, (std::vector<std::string>{"weight", "bias"}));

  // A bfloat16 activation (what a convolution returns under autocast) is normalised in
  // float32, not rejected for mixing dtypes.
  const torch::Tensor y = gn(x.to(torch::kBFloat16));
  EXPECT_EQ(y.scalar_type(), torch::kFloat);
  EXPECT_TRUE(torch::allclose(y, reference(x.to(torch::kBFloat16).to(torch::kFloat)), 1e-5, 1e-5));
}

TEST(PrecisionTest, AutocastScopeRunsConvolutionsInBf16AndRestores) {
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(3, 4, 3));
  const torch::Tensor x = torch::randn({1, 3, 8, 8});
  EXPECT_EQ(conv(x).scalar_type(), torch::kFloat);
  {
    AutocastScope scope(c10::DeviceType::CPU, at::kBFloat16);
    EXPECT_EQ(conv(x).scalar_type(), torch::kBFloat16);
  }
  EXPECT_EQ(conv(x).scalar_type(), torch::kFloat);
}

TEST(PrecisionTest, ToChannelsLastKeepsValuesAndOutputsNhwc) {
  torch::manual_seed(1);
  ConvModuleOptions o;
  o.in_channels = 8;
  o.out_channels = 16;
  o.kernel_size = 3;
  o.padding = 1;
  auto m = ConvModuleImpl::Create(o);
  ASSERT_TRUE(m.ok()) << m.status();
  const torch::Tensor x = torch::randn({2, 8, 9, 11});
  const torch::Tensor before = (*m)->forward(x);
  const torch::Tensor weight = (*m)->conv()->weight.clone();
  EXPECT_EQ(ToChannelsLast(**m), 1);  // the conv weight; the bias is 1-d
  EXPECT_TRUE(torch::equal((*m)->conv()->weight, weight));
  const torch::Tensor after = (*m)->forward(x);
  EXPECT_TRUE(after.is_contiguous(at::MemoryFormat::ChannelsLast));
  EXPECT_TRUE(torch::allclose(after, before, 1e-5, 1e-5));
  EXPECT_EQ(ToChannelsLast(**m), 0);  // already converted
}

}  // namespace
}  // namespace mmdet::models
