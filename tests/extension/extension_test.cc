// The out-of-tree components of docs/new_component.md, used as the doc says: a RetinaNet
// built from retinanet_tiny_mobilenet.pbtxt (TinyMobileNet backbone and LiteRetinaHead through
// `custom`) trains a step and tests; config errors name the field; and the doc quotes this
// package's files and BUILD targets exactly, so the how-to cannot drift from working code.
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mmdet/config/loader.h"
#include "mmdet/models/backbones/backbone.h"
#include "mmdet/models/checkpoint/state_dict.h"
#include "mmdet/models/dense_heads/dense_head.h"
#include "mmdet/models/detectors/detector.h"
#include "tests/extension/lite_retina_head.pb.h"
#include "tests/extension/tiny_mobilenet.pb.h"
#include "torch/optim/sgd.h"

namespace mmdet_ext {
namespace {

using ::mmdet::models::DetectorImpl;
using ::mmdet::models::GroundTruth;
using ::mmdet::models::ImageMeta;
using ::testing::HasSubstr;

constexpr char kConfig[] = "tests/extension/retinanet_tiny_mobilenet.pbtxt";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

torch::Tensor Param(DetectorImpl& model, const std::string& name) {
  for (const auto& p : model.named_parameters()) {
    if (p.key() == name) return p.value();
  }
  ADD_FAILURE() << "no parameter " << name;
  return torch::zeros({1});
}

// Two synthetic 128x160 images (already normalised) with bright rectangles as objects of the
// 3 classes, as detectors_test.cc makes them.
struct Batch {
  torch::Tensor img;
  std::vector<ImageMeta> metas;
  GroundTruth gt;
};

Batch MakeBatch() {
  torch::manual_seed(3);
  Batch b;
  b.img = torch::randn({2, 3, 128, 160}) * 0.1;
  const std::vector<torch::Tensor> boxes = {
      torch::tensor({{10.f, 20.f, 70.f, 90.f}, {80.f, 30.f, 150.f, 110.f}}),
      torch::tensor({{30.f, 10.f, 100.f, 60.f}})};
  const std::vector<torch::Tensor> labels = {torch::tensor({0, 2}, torch::kInt64),
                                             torch::tensor({1}, torch::kInt64)};
  for (int i = 0; i < 2; ++i) {
    for (int64_t k = 0; k < boxes[i].size(0); ++k) {
      const auto box = boxes[i][k];
      b.img[i]
          .narrow(1, box[1].item<int64_t>(), (box[3] - box[1]).item<int64_t>())
          .narrow(2, box[0].item<int64_t>(), (box[2] - box[0]).item<int64_t>())
          .add_(1.0 + labels[i][k].item<float>());
    }
    ImageMeta meta;
    meta.ori_shape = {64, 80, 3};  // upscaled 2x
    meta.img_shape = {128, 160, 3};
    meta.pad_shape = {128, 160, 3};
    meta.scale_factor = {2, 2, 2, 2};
    meta.batch_input_shape = {128, 160};
    b.metas.push_back(meta);
    b.gt.bboxes.push_back(boxes[i]);
    b.gt.labels.push_back(labels[i]);
  }
  return b;
}

TEST(ExtensionTest, ComponentsAreRegistered) {
  EXPECT_TRUE(mmdet::models::BackboneRegistry::Global().Has("mmdet_ext.TinyMobileNet"));
  EXPECT_TRUE(mmdet::models::DenseHeadRegistry::Global().Has("mmdet_ext.LiteRetinaHead"));
}

TEST(ExtensionTest, ConfigBuildsTrainsAndTests) {
  auto cfg = mmdet::LoadConfig(kConfig);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  // `custom` replaced the base's `resnet` and `retina_head` choices.
  const auto& retina = cfg->model().retina_net();
  ASSERT_TRUE(retina.backbone().has_custom());
  EXPECT_FALSE(retina.backbone().has_resnet());
  ASSERT_TRUE(retina.bbox_head().has_custom());
  EXPECT_FALSE(retina.bbox_head().has_retina_head());
  TinyMobileNet backbone_cfg;
  ASSERT_TRUE(retina.backbone().custom().UnpackTo(&backbone_cfg));
  EXPECT_FLOAT_EQ(backbone_cfg.widen_factor(), 0.5f);

  auto built = mmdet::models::BuildDetector(*cfg);
  ASSERT_TRUE(built.ok()) << built.status();
  DetectorImpl& model = **built;
  EXPECT_EQ(model.num_classes(), 3);

  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& [name, value] : mmdet::models::GetStateDict(model)) {
    shapes[name] = value.sizes().vec();
    EXPECT_FALSE(absl::StartsWith(name, "backbone.layer1.0.conv1")) << name;  // no ResNet left
    EXPECT_FALSE(absl::StartsWith(name, "bbox_head.retina_cls")) << name;     // no RetinaHead
  }
  const std::map<std::string, std::vector<int64_t>> expected = {
      {"backbone.conv1.conv.weight", {16, 3, 3, 3}},
      {"backbone.conv1.bn.running_mean", {16}},
      {"backbone.layer1.0.conv.1.conv.weight", {64, 1, 3, 3}},  // depthwise
      {"backbone.layer4.0.conv.2.conv.weight", {128, 256, 1, 1}},
      {"neck.lateral_convs.0.conv.weight", {64, 32, 1, 1}},
      {"bbox_head.shared_convs.0.conv.weight", {64, 64, 3, 3}},
      {"bbox_head.lite_cls.weight", {27, 64, 3, 3}},  // 9 anchors x 3 classes (sigmoid)
      {"bbox_head.lite_cls.bias", {27}},
      {"bbox_head.lite_reg.weight", {36, 64, 3, 3}},
  };
  for (const auto& [name, shape] : expected) {
    auto it = shapes.find(name);
    ASSERT_NE(it, shapes.end()) << name;
    EXPECT_EQ(it->second, shape) << name;
  }
  auto* backbone = dynamic_cast<mmdet::models::BackboneImpl*>(&model.backbone());
  ASSERT_NE(backbone, nullptr);
  EXPECT_EQ(backbone->out_channels(), (std::vector<int64_t>{16, 32, 64, 128}));

  // One SGD step.
  const Batch batch = MakeBatch();
  model.train();
  const torch::Tensor backbone_before = Param(model, "backbone.conv1.conv.weight").clone();
  const torch::Tensor head_before = Param(model, "bbox_head.lite_cls.weight").clone();
  torch::optim::SGD sgd(model.parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
  auto losses = model.ForwardTrain(batch.img, batch.metas, batch.gt);
  ASSERT_TRUE(losses.ok()) << losses.status();
  std::vector<std::string> names;
  for (const auto& [name, value] : *losses) {
    names.push_back(name);
    EXPECT_TRUE(std::isfinite(value.item<double>())) << name;
    EXPECT_GT(value.item<double>(), 0) << name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"loss_cls", "loss_bbox"}));
  sgd.zero_grad();
  mmdet::models::TotalLoss(*losses).backward();
  sgd.step();
  EXPECT_FALSE(torch::equal(Param(model, "backbone.conv1.conv.weight"), backbone_before));
  EXPECT_FALSE(torch::equal(Param(model, "bbox_head.lite_cls.weight"), head_before));

  model.eval();
  auto results = model.SimpleTest(batch.img, batch.metas, /*rescale=*/true);
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 2u);
  for (const auto& image : *results) {
    ASSERT_EQ(image.bboxes.size(), 3u);  // one [k, 5] array per class
    EXPECT_TRUE(image.masks.empty());
    for (const torch::Tensor& cls : image.bboxes) {
      ASSERT_EQ(cls.dim(), 2);
      EXPECT_EQ(cls.size(1), 5);
    }
  }
}

TEST(ExtensionTest, BackboneOptions) {
  TinyMobileNet cfg;
  cfg.add_out_indices(1);
  cfg.add_out_indices(3);
  cfg.set_frozen_stages(1);
  mmdet::config::Backbone parent;
  parent.mutable_custom()->PackFrom(cfg);
  auto built = mmdet::models::BuildBackbone(parent, "model.backbone");
  ASSERT_TRUE(built.ok()) << built.status();
  mmdet::models::BackboneImpl& net = **built;
  EXPECT_EQ(net.out_channels(), (std::vector<int64_t>{64, 256}));
  net.train();
  const std::vector<torch::Tensor> feats = net.forward(torch::randn({1, 3, 64, 96}));
  ASSERT_EQ(feats.size(), 2u);
  EXPECT_EQ(feats[0].sizes(), (std::vector<int64_t>{1, 64, 8, 12}));  // stride 8
  EXPECT_EQ(feats[1].sizes(), (std::vector<int64_t>{1, 256, 2, 3}));  // stride 32
  for (const auto& p : net.named_parameters()) {
    const bool frozen = absl::StartsWith(p.key(), "conv1.") || absl::StartsWith(p.key(), "layer1.");
    EXPECT_EQ(p.value().requires_grad(), !frozen) << p.key();
  }
  for (const auto& m : net.named_modules()) {
    if (absl::StartsWith(m.key(), "layer1")) {
      EXPECT_FALSE(m.value()->is_training()) << m.key();
    } else if (absl::StartsWith(m.key(), "layer2")) {
      EXPECT_TRUE(m.value()->is_training()) << m.key();
    }
  }
}

TEST(ExtensionTest, BadFieldsNameTheirPath) {
  for (float widen : {0.0f, -1.0f}) {
    auto cfg = mmdet::LoadConfig(kConfig);
    ASSERT_TRUE(cfg.ok()) << cfg.status();
    TinyMobileNet bad;
    bad.set_widen_factor(widen);
    cfg->mutable_model()->mutable_retina_net()->mutable_backbone()->mutable_custom()->PackFrom(bad);
    auto built = mmdet::models::BuildDetector(*cfg);
    ASSERT_FALSE(built.ok());
    const std::string message(built.status().message());
    EXPECT_THAT(message, HasSubstr("model.retina_net.backbone"));
    EXPECT_THAT(message, HasSubstr("widen_factor"));
    EXPECT_THAT(message,
                HasSubstr("model.retina_net.backbone.custom.widen_factor: must be positive"));
  }

  auto cfg = mmdet::LoadConfig(kConfig);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  LiteRetinaHead head;
  head.set_num_classes(0);
  cfg->mutable_model()->mutable_retina_net()->mutable_bbox_head()->mutable_custom()->PackFrom(head);
  auto built = mmdet::models::BuildDetector(*cfg);
  ASSERT_FALSE(built.ok());
  EXPECT_THAT(std::string(built.status().message()),
              HasSubstr("model.retina_net.bbox_head.custom.num_classes"));

  // A misspelled field inside `custom` is a parse error with its position.
  mmdet::config::Config parsed;
  const absl::Status typo = mmdet::ParseTextProto(
      "model { retina_net { backbone { custom {\n"
      "  [type.googleapis.com/mmdet_ext.TinyMobileNet] { widen_factr: 0.5 } } } } }\n",
      "typo.pbtxt", &parsed);
  ASSERT_FALSE(typo.ok());
  EXPECT_THAT(std::string(typo.message()), HasSubstr("typo.pbtxt:2:"));
  EXPECT_THAT(std::string(typo.message()), HasSubstr("widen_factr"));
}

// docs/new_component.md quotes each file of this package whole, in a fenced block, and each
// BUILD target of the components (the paragraphs of BUILD naming them).
TEST(ExtensionTest, HowToQuotesThisPackage) {
  const std::string doc = ReadFile("docs/new_component.md");
  ASSERT_FALSE(doc.empty());
  const std::vector<std::pair<std::string, std::string>> files = {
      {"tiny_mobilenet.proto", "proto"},
      {"tiny_mobilenet.cc", "cpp"},
      {"lite_retina_head.proto", "proto"},
      {"lite_retina_head.cc", "cpp"},
      {"retinanet_tiny_mobilenet.pbtxt", ""},
  };
  for (const auto& [file, language] : files) {
    const std::string text = ReadFile("tests/extension/" + file);
    ASSERT_FALSE(text.empty()) << file;
    EXPECT_TRUE(absl::StrContains(doc, "```" + language + "\n" + text + "```\n"))
        << "docs/new_component.md does not quote tests/extension/" << file
        << " whole in a ```" << language << " block; copy the file into the doc";
  }
  const std::string build = ReadFile("tests/extension/BUILD");
  const std::vector<std::string> wanted = {
      "load(", "name = \"tiny_mobilenet_proto\"", "name = \"tiny_mobilenet\"",
      "name = \"lite_retina_head_proto\"", "name = \"lite_retina_head\""};
  for (const std::string& key : wanted) {
    int found = 0;
    for (absl::string_view paragraph : absl::StrSplit(build, "\n\n")) {
      if (!absl::StrContains(paragraph, key)) continue;
      ++found;
      EXPECT_TRUE(absl::StrContains(doc, paragraph))
          << "docs/new_component.md does not quote this target of tests/extension/BUILD:\n"
          << paragraph;
    }
    EXPECT_EQ(found, 1) << key;
  }
}

}  // namespace
}  // namespace mmdet_ext
