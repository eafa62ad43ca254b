#include "mmdet/models/backbones/resnet.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "mmdet/models/layers/layers.h"

namespace mmdet::models {
namespace {

using ::testing::HasSubstr;

std::shared_ptr<BackboneImpl> Build(const std::string& text) {
  config::Backbone cfg;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &cfg)) << text;
  auto built = BuildBackbone(cfg, "model.backbone");
  EXPECT_TRUE(built.ok()) << built.status();
  return built.ok() ? *built : nullptr;
}

std::string Error(const std::string& text) {
  config::Backbone cfg;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &cfg)) << text;
  auto built = BuildBackbone(cfg, "model.backbone");
  return built.ok() ? "" : std::string(built.status().message());
}

int64_t NumParameters(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

std::map<std::string, std::vector<int64_t>> StateShapes(torch::nn::Module& m) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& p : m.named_parameters()) shapes[p.key()] = p.value().sizes().vec();
  for (const auto& b : m.named_buffers()) shapes[b.key()] = b.value().sizes().vec();
  return shapes;
}

TEST(ResNetTest, ResNet50HasTorchvisionsNamesShapesAndSize) {
  auto net = Build("resnet { depth: 50 }");
  ASSERT_NE(net, nullptr);
  // torchvision's resnet50 has 25,557,032 parameters, 2,049,000 of them in `fc`; its
  // state_dict has 320 entries, 2 of them fc's.
  EXPECT_EQ(NumParameters(*net), 23508032);
  const auto shapes = StateShapes(*net);
  EXPECT_EQ(shapes.size(), 318u);
  const std::map<std::string, std::vector<int64_t>> expected = {
      {"conv1.weight", {64, 3, 7, 7}},
      {"bn1.weight", {64}},
      {"bn1.running_mean", {64}},
      {"bn1.num_batches_tracked", {}},
      {"layer1.0.conv1.weight", {64, 64, 1, 1}},
      {"layer1.0.conv2.weight", {64, 64, 3, 3}},
      {"layer1.0.conv3.weight", {256, 64, 1, 1}},
      {"layer1.0.bn3.running_var", {256}},
      {"layer1.0.downsample.0.weight", {256, 64, 1, 1}},
      {"layer1.0.downsample.1.weight", {256}},
      {"layer2.0.conv2.weight", {128, 128, 3, 3}},
      {"layer3.5.conv3.weight", {1024, 256, 1, 1}},
      {"layer4.0.downsample.0.weight", {2048, 1024, 1, 1}},
      {"layer4.2.bn3.bias", {2048}},
  };
  for (const auto& [name, shape] : expected) {
    auto it = shapes.find(name);
    ASSERT_NE(it, shapes.end()) << name;
    EXPECT_EQ(it->second, shape) << name;
  }
  EXPECT_EQ(net->out_channels(), (std::vector<int64_t>{256, 512, 1024, 2048}));
}

TEST(ResNetTest, ResNet18And101Sizes) {
  // torchvision: resnet18 11,689,512 - fc 513,000; resnet101 44,549,160 - fc 2,049,000.
  auto r18 = Build("resnet { depth: 18 }");
  ASSERT_NE(r18, nullptr);
  EXPECT_EQ(NumParameters(*r18), 11176512);
  EXPECT_EQ(StateShapes(*r18).count("layer2.0.downsample.0.weight"), 1u);
  EXPECT_EQ(StateShapes(*r18).count("layer1.0.downsample.0.weight"), 0u);
  EXPECT_EQ(r18->out_channels(), (std::vector<int64_t>{64, 128, 256, 512}));
  auto r101 = Build("resnet { depth: 101 }");
  ASSERT_NE(r101, nullptr);
  EXPECT_EQ(NumParameters(*r101), 42500160);
}

TEST(ResNetTest, ForwardGivesStridedFeatureMaps) {
  auto net = Build("resnet { depth: 18 out_indices: [0, 1, 2, 3] }");
  ASSERT_NE(net, nullptr);
  net->eval();
  auto outs = net->forward(torch::randn({2, 3, 64, 96}));
  ASSERT_EQ(outs.size(), 4u);
  EXPECT_EQ(outs[0].sizes(), (std::vector<int64_t>{2, 64, 16, 24}));   // stride 4
  EXPECT_EQ(outs[3].sizes(), (std::vector<int64_t>{2, 512, 2, 3}));    // stride 32
}

TEST(ResNetTest, CaffeStylePutsTheStrideInTheFirstConv) {
  auto pytorch = Build("resnet { depth: 50 num_stages: 2 out_indices: [1] }");
  auto caffe = Build("resnet { depth: 50 num_stages: 2 out_indices: [1] style: 'caffe' }");
  ASSERT_NE(pytorch, nullptr);
  ASSERT_NE(caffe, nullptr);
  auto stride_of = [](torch::nn::Module& m, const std::string& name) {
    for (const auto& child : m.named_modules()) {
      if (child.key() == name) {
        return dynamic_cast<torch::nn::Conv2dImpl&>(*child.value()).options.stride()->at(0);
      }
    }
    return int64_t{-1};
  };
  EXPECT_EQ(stride_of(*pytorch, "layer2.0.conv1"), 1);
  EXPECT_EQ(stride_of(*pytorch, "layer2.0.conv2"), 2);
  EXPECT_EQ(stride_of(*caffe, "layer2.0.conv1"), 2);
  EXPECT_EQ(stride_of(*caffe, "layer2.0.conv2"), 1);
}

TEST(ResNetTest, FrozenStagesAndNormEval) {
  auto net = Build("resnet { depth: 18 frozen_stages: 1 norm_eval: true }");
  ASSERT_NE(net, nullptr);
  for (const auto& p : net->named_parameters()) {
    const bool frozen = p.key().rfind("conv1.", 0) == 0 || p.key().rfind("bn1.", 0) == 0 ||
                        p.key().rfind("layer1.", 0) == 0;
    EXPECT_EQ(p.value().requires_grad(), !frozen) << p.key();
  }
  net->train(true);
  EXPECT_TRUE(net->is_training());
  for (const auto& m : net->named_modules()) {
    if (IsBatchNorm(*m.value())) EXPECT_FALSE(m.value()->is_training()) << m.key();
  }
  auto trainable = Build("resnet { depth: 18 frozen_stages: -1 norm_eval: false }");
  ASSERT_NE(trainable, nullptr);
  trainable->train(true);
  for (const auto& m : trainable->named_modules()) {
    if (IsBatchNorm(*m.value())) EXPECT_TRUE(m.value()->is_training()) << m.key();
  }
  // Frozen BN (norm_cfg requires_grad false), as MMDetection's caffe configs use.
  auto frozen_bn = Build("resnet { depth: 18 norm_cfg { requires_grad: false } }");
  ASSERT_NE(frozen_bn, nullptr);
  for (const auto& p : frozen_bn->named_parameters()) {
    if (p.key().find("bn") != std::string::npos || p.key().find("downsample.1") != std::string::npos) {
      EXPECT_FALSE(p.value().requires_grad()) << p.key();
    }
  }
}

TEST(ResNetTest, GroupNormAndDeepStemNames) {
  auto gn = Build("resnet { depth: 50 norm_cfg { type: GN num_groups: 32 } }");
  ASSERT_NE(gn, nullptr);
  const auto shapes = StateShapes(*gn);
  EXPECT_EQ(shapes.count("gn1.weight"), 1u);
  EXPECT_EQ(shapes.count("layer1.0.gn3.weight"), 1u);
  EXPECT_EQ(shapes.count("layer1.0.downsample.1.weight"), 1u);
  auto v1d = Build("resnet { depth: 50 deep_stem: true avg_down: true }");
  ASSERT_NE(v1d, nullptr);
  const auto d = StateShapes(*v1d);
  EXPECT_EQ(d.at("stem.0.weight"), (std::vector<int64_t>{32, 3, 3, 3}));
  EXPECT_EQ(d.at("stem.7.weight"), (std::vector<int64_t>{64}));
  EXPECT_EQ(d.count("layer2.0.downsample.1.weight"), 1u);  // after the AvgPool2d
  v1d->eval();
  EXPECT_EQ(v1d->forward(torch::randn({1, 3, 64, 64}))[3].sizes(),
            (std::vector<int64_t>{1, 2048, 2, 2}));
}

// SyncBN without a process group: exactly BatchNorm2d (names, statistics, outputs), with one
// line on stderr saying so however many layers and models are built.
TEST(ResNetTest, SyncBnIsExplicitBatchNormInOneProcess) {
  testing::internal::CaptureStderr();
  auto sync = Build("resnet { depth: 18 norm_cfg { type: SyncBN } norm_eval: false }");
  auto again = Build("resnet { depth: 18 norm_cfg { type: SyncBN } }");
  const std::string err = testing::internal::GetCapturedStderr();
  ASSERT_NE(sync, nullptr);
  EXPECT_THAT(err, HasSubstr(kSyncBnWarning));
  EXPECT_EQ(err.find(kSyncBnWarning), err.rfind(kSyncBnWarning));  // once per process
  auto plain = Build("resnet { depth: 18 norm_eval: false }");
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(StateShapes(*sync), StateShapes(*plain));
  int sync_layers = 0;
  for (const auto& m : sync->modules(/*include_self=*/false)) {
    if (IsSyncBatchNorm(*m)) {
      ++sync_layers;
      EXPECT_TRUE(IsBatchNorm(*m));  // norm_eval and frozen stages treat it as a BatchNorm
    }
  }
  EXPECT_EQ(sync_layers, 20);  // ResNet-18: bn1 + 2 x 2 x 4 blocks + 3 downsample BNs
  for (const auto& m : plain->modules(false)) EXPECT_FALSE(IsSyncBatchNorm(*m));
  torch::NoGradGuard no_grad;
  auto plain_params = plain->named_parameters();
  for (const auto& p : sync->named_parameters()) p.value().copy_(plain_params[p.key()]);
  sync->train();
  plain->train();
  const torch::Tensor x = torch::randn({2, 3, 64, 64});
  const auto a = sync->forward(x), b = plain->forward(x);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::allclose(a[i], b[i]));
  auto plain_buffers = plain->named_buffers();
  for (const auto& buf : sync->named_buffers()) {
    EXPECT_TRUE(torch::allclose(buf.value().to(torch::kFloat64),
                                plain_buffers[buf.key()].to(torch::kFloat64)))
        << buf.key();
  }
}

TEST(ResNetTest, ZeroInitResidual) {
  auto net = Build("resnet { depth: 50 }");
  ASSERT_NE(net, nullptr);
  for (const auto& p : net->named_parameters()) {
    if (p.key() == "layer1.0.bn3.weight") EXPECT_EQ(p.value().abs().sum().item<float>(), 0);
    if (p.key() == "layer1.0.bn2.weight") EXPECT_EQ(p.value().sum().item<float>(), 64);
  }
}

TEST(ResNetTest, BadConfigNamesTheField) {
  EXPECT_THAT(Error("resnet { depth: 42 }"), HasSubstr("model.backbone.resnet.depth: expected 18"));
  EXPECT_THAT(Error("resnet { out_indices: [4] }"), HasSubstr("model.backbone.resnet.out_indices"));
  EXPECT_THAT(Error("resnet { style: 'tf' }"), HasSubstr("model.backbone.resnet.style"));
  EXPECT_THAT(Error("resnet { strides: [1, 2] }"), HasSubstr("model.backbone.resnet.strides"));
  EXPECT_THAT(Error("resnet { norm_cfg { type: GN num_groups: 7 } }"),
              HasSubstr("num_groups: 7 does not divide 64"));
  EXPECT_THAT(Error(""), HasSubstr("model.backbone: no type set"));
}

}  // namespace
}  // namespace mmdet::models
