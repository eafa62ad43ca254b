#include "mmdet/models/necks/fpn.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace mmdet::models {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<std::shared_ptr<NeckImpl>> Build(const std::string& text) {
  config::Neck cfg;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &cfg)) << text;
  return BuildNeck(cfg, "model.neck");
}

std::map<std::string, std::vector<int64_t>> Shapes(torch::nn::Module& m) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& p : m.named_parameters()) shapes[p.key()] = p.value().sizes().vec();
  return shapes;
}

std::vector<torch::Tensor> Inputs() {
  // C2..C5 of a 128x96 image.
  return {torch::randn({1, 256, 32, 24}), torch::randn({1, 512, 16, 12}),
          torch::randn({1, 1024, 8, 6}), torch::randn({1, 2048, 4, 3})};
}

TEST(FPNTest, FasterRcnnNeckNamesShapesAndOutputs) {
  auto fpn = Build("fpn { in_channels: [256, 512, 1024, 2048] out_channels: 256 num_outs: 5 }");
  ASSERT_TRUE(fpn.ok()) << fpn.status();
  const auto shapes = Shapes(**fpn);
  EXPECT_EQ(shapes.size(), 16u);  // 4 lateral + 4 fpn convs, weight and bias each
  EXPECT_EQ(shapes.at("lateral_convs.0.conv.weight"), (std::vector<int64_t>{256, 256, 1, 1}));
  EXPECT_EQ(shapes.at("lateral_convs.3.conv.weight"), (std::vector<int64_t>{256, 2048, 1, 1}));
  EXPECT_EQ(shapes.at("lateral_convs.3.conv.bias"), (std::vector<int64_t>{256}));
  EXPECT_EQ(shapes.at("fpn_convs.2.conv.weight"), (std::vector<int64_t>{256, 256, 3, 3}));
  auto outs = (*fpn)->forward(Inputs());
  ASSERT_EQ(outs.size(), 5u);
  EXPECT_EQ(outs[0].sizes(), (std::vector<int64_t>{1, 256, 32, 24}));
  EXPECT_EQ(outs[3].sizes(), (std::vector<int64_t>{1, 256, 4, 3}));
  EXPECT_EQ(outs[4].sizes(), (std::vector<int64_t>{1, 256, 2, 2}));  // max_pool2d(1, stride 2)
  EXPECT_TRUE(torch::equal(outs[4], outs[3].index({"...", torch::indexing::Slice(0, 4, 2),
                                                    torch::indexing::Slice(0, 3, 2)})));
}

TEST(FPNTest, RetinaNetNeckExtraConvsOnInput) {
  auto fpn = Build("fpn { in_channels: [256, 512, 1024, 2048] start_level: 1 "
                   "add_extra_convs: 'on_input' num_outs: 5 }");
  ASSERT_TRUE(fpn.ok()) << fpn.status();
  const auto shapes = Shapes(**fpn);
  EXPECT_EQ(shapes.count("lateral_convs.3.conv.weight"), 0u);
  EXPECT_EQ(shapes.at("lateral_convs.0.conv.weight"), (std::vector<int64_t>{256, 512, 1, 1}));
  EXPECT_EQ(shapes.at("fpn_convs.3.conv.weight"), (std::vector<int64_t>{256, 2048, 3, 3}));
  EXPECT_EQ(shapes.at("fpn_convs.4.conv.weight"), (std::vector<int64_t>{256, 256, 3, 3}));
  auto outs = (*fpn)->forward(Inputs());
  ASSERT_EQ(outs.size(), 5u);
  EXPECT_EQ(outs[0].sizes(), (std::vector<int64_t>{1, 256, 16, 12}));
  EXPECT_EQ(outs[3].sizes(), (std::vector<int64_t>{1, 256, 2, 2}));
  EXPECT_EQ(outs[4].sizes(), (std::vector<int64_t>{1, 256, 1, 1}));
  // v1's `add_extra_convs: true` is on_input.
  auto v1 = Build("fpn { in_channels: [256, 512, 1024, 2048] start_level: 1 "
                  "add_extra_convs: 'true' num_outs: 5 }");
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(Shapes(**v1).at("fpn_convs.3.conv.weight")[1], 2048);
  auto on_output = Build("fpn { in_channels: [256, 512, 1024, 2048] start_level: 1 "
                         "add_extra_convs: 'true' extra_convs_on_inputs: false num_outs: 5 }");
  ASSERT_TRUE(on_output.ok());
  EXPECT_EQ(Shapes(**on_output).at("fpn_convs.3.conv.weight")[1], 256);
}

TEST(FPNTest, TopDownPathAddsUpsampledUpperLevels) {
  // With identity-like convs the top-down sum is visible: zero weights except a 1x1 identity.
  auto fpn = Build("fpn { in_channels: [1, 1] out_channels: 1 num_outs: 2 }");
  ASSERT_TRUE(fpn.ok());
  {
    torch::NoGradGuard no_grad;
    for (auto& p : (*fpn)->named_parameters()) {
      p.value().zero_();
      if (p.key().find("weight") != std::string::npos) {
        if (p.key().rfind("lateral", 0) == 0) p.value().fill_(1);
        else p.value().index_put_({0, 0, 1, 1}, 1);  // 3x3 centre tap
      }
    }
  }
  auto outs = (*fpn)->forward({torch::ones({1, 1, 4, 4}), torch::full({1, 1, 2, 2}, 10.0)});
  EXPECT_TRUE(torch::allclose(outs[0], torch::full({1, 1, 4, 4}, 11.0)));
  EXPECT_TRUE(torch::allclose(outs[1], torch::full({1, 1, 2, 2}, 10.0)));
}

TEST(FPNTest, BadConfigNamesTheField) {
  EXPECT_THAT(std::string(Build("fpn { }").status().message()),
              HasSubstr("model.neck.fpn.in_channels: required"));
  EXPECT_THAT(std::string(Build("fpn { in_channels: [1, 2, 3] num_outs: 2 }").status().message()),
              HasSubstr("model.neck.fpn.num_outs"));
  EXPECT_THAT(std::string(
                  Build("fpn { in_channels: [1, 2] add_extra_convs: 'sideways' }").status().message()),
              HasSubstr("model.neck.fpn.add_extra_convs"));
}

}  // namespace
}  // namespace mmdet::models
