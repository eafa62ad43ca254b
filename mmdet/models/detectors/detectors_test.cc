// Detectors built from the checked-in configs: MMDetection's state_dict names and shapes
// (R-50 models), and training / testing behaviour on tiny CPU models (the shapes configs).
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mmdet/config/loader.h"
#include "mmdet/models/backbones/backbone.h"
#include "mmdet/models/checkpoint/checkpoint.h"
#include "mmdet/models/dense_heads/dense_head.h"
#include "mmdet/models/necks/neck.h"
#include "mmdet/models/roi_heads/roi_extractors/single_level_roi_extractor.h"
#include "mmdet/models/roi_heads/roi_head.h"
#include "mmdet/models/detectors/detector.h"
#include "mmdet/models/losses/loss.h"
#include "mmdet/models/roi_heads/bbox_heads/bbox_head.h"
#include "mmdet/models/roi_heads/mask_heads/mask_head.h"
#include "mmdet/models/task_modules/assigners/assigner.h"
#include "mmdet/models/task_modules/coders/bbox_coder.h"
#include "mmdet/models/task_modules/prior_generators/prior_generator.h"
#include "mmdet/models/task_modules/samplers/sampler.h"
#include "torch/optim/sgd.h"

namespace mmdet::models {
namespace {

using ::testing::HasSubstr;

std::shared_ptr<DetectorImpl> Build(const std::string& config_path,
                                    const std::vector<std::string>& overrides = {}) {
  auto cfg = LoadConfig(config_path, overrides);
  EXPECT_TRUE(cfg.ok()) << cfg.status();
  if (!cfg.ok()) return nullptr;
  auto model = BuildDetector(*cfg);
  EXPECT_TRUE(model.ok()) << model.status();
  return model.ok() ? *model : nullptr;
}

std::map<std::string, std::vector<int64_t>> StateShapes(torch::nn::Module& m) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& p : m.named_parameters()) shapes[p.key()] = p.value().sizes().vec();
  for (const auto& b : m.named_buffers()) shapes[b.key()] = b.value().sizes().vec();
  return shapes;
}

int64_t NumParameters(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

void ExpectShapes(const std::map<std::string, std::vector<int64_t>>& shapes,
                  const std::map<std::string, std::vector<int64_t>>& expected) {
  for (const auto& [name, shape] : expected) {
    auto it = shapes.find(name);
    ASSERT_NE(it, shapes.end()) << name;
    EXPECT_EQ(it->second, shape) << name;
  }
}

TEST(DetectorNamesTest, FasterRcnnR50MatchesMmdetection) {
  auto model = Build("configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt");
  ASSERT_NE(model, nullptr);
  const auto shapes = StateShapes(*model);
  // backbone 318 + neck 16 + rpn_head 6 + bbox_head 8.
  EXPECT_EQ(shapes.size(), 348u);
  ExpectShapes(shapes, {
      {"backbone.conv1.weight", {64, 3, 7, 7}},
      {"backbone.layer1.0.bn1.running_mean", {64}},
      {"neck.lateral_convs.0.conv.weight", {256, 256, 1, 1}},
      {"neck.fpn_convs.3.conv.bias", {256}},
      {"rpn_head.rpn_conv.weight", {256, 256, 3, 3}},
      {"rpn_head.rpn_cls.weight", {3, 256, 1, 1}},
      {"rpn_head.rpn_reg.weight", {12, 256, 1, 1}},
      {"roi_head.bbox_head.shared_fcs.0.weight", {1024, 12544}},
      {"roi_head.bbox_head.shared_fcs.1.weight", {1024, 1024}},
      {"roi_head.bbox_head.fc_cls.weight", {81, 1024}},
      {"roi_head.bbox_head.fc_reg.weight", {320, 1024}},
  });
  // 23,508,032 (backbone) + 3,344,384 (FPN) + 593,935 (RPN) + 14,306,705 (box head).
  EXPECT_EQ(NumParameters(*model), 41753056);
  EXPECT_EQ(model->num_classes(), 80);
  EXPECT_EQ(model->pretrained(), "torchvision://resnet50");
}

TEST(DetectorNamesTest, MaskRcnnRetinaNetAndRpn) {
  auto mask = Build("configs/mask_rcnn/mask_rcnn_r50_fpn_1x_coco.pbtxt");
  ASSERT_NE(mask, nullptr);
  auto shapes = StateShapes(*mask);
  EXPECT_EQ(shapes.size(), 360u);
  ExpectShapes(shapes, {
      {"roi_head.mask_head.convs.0.conv.weight", {256, 256, 3, 3}},
      {"roi_head.mask_head.convs.3.conv.bias", {256}},
      {"roi_head.mask_head.upsample.weight", {256, 256, 2, 2}},
      {"roi_head.mask_head.conv_logits.weight", {80, 256, 1, 1}},
  });
  EXPECT_TRUE(mask->with_mask());

  auto retina = Build("configs/retinanet/retinanet_r50_fpn_1x_coco.pbtxt");
  ASSERT_NE(retina, nullptr);
  shapes = StateShapes(*retina);
  EXPECT_EQ(shapes.size(), 354u);
  ExpectShapes(shapes, {
      {"neck.lateral_convs.0.conv.weight", {256, 512, 1, 1}},
      {"neck.fpn_convs.3.conv.weight", {256, 2048, 3, 3}},
      {"bbox_head.cls_convs.0.conv.weight", {256, 256, 3, 3}},
      {"bbox_head.reg_convs.3.conv.weight", {256, 256, 3, 3}},
      {"bbox_head.retina_cls.weight", {720, 256, 3, 3}},
      {"bbox_head.retina_cls.bias", {720}},
      {"bbox_head.retina_reg.weight", {36, 256, 3, 3}},
  });

  auto rpn = Build("configs/rpn/rpn_r50_fpn_1x_coco.pbtxt");
  ASSERT_NE(rpn, nullptr);
  EXPECT_EQ(StateShapes(*rpn).size(), 340u);
  EXPECT_EQ(rpn->num_classes(), 1);

  auto voc = Build("configs/pascal_voc/faster_rcnn_r50_fpn_1x_voc0712.pbtxt");
  ASSERT_NE(voc, nullptr);
  ExpectShapes(StateShapes(*voc), {{"roi_head.bbox_head.fc_cls.weight", {21, 1024}},
                                   {"roi_head.bbox_head.fc_reg.weight", {80, 1024}}});
  auto cityscapes = Build("configs/cityscapes/mask_rcnn_r50_fpn_1x_cityscapes.pbtxt");
  ASSERT_NE(cityscapes, nullptr);
  ExpectShapes(StateShapes(*cityscapes),
               {{"roi_head.mask_head.conv_logits.weight", {8, 256, 1, 1}}});
}

TEST(DetectorNamesTest, RetinaClsBiasUsesThePriorProbability) {
  auto retina = Build("configs/retinanet/retinanet_r50_fpn_1x_coco.pbtxt");
  ASSERT_NE(retina, nullptr);
  for (const auto& p : retina->named_parameters()) {
    if (p.key() == "bbox_head.retina_cls.bias") {
      EXPECT_NEAR(p.value()[0].item<float>(), -std::log(99.0), 1e-5);
    }
  }
}

// Two synthetic 128x160 images (already "normalised") with a few boxes.
struct SyntheticBatch {
  torch::Tensor img;
  std::vector<ImageMeta> metas;
  GroundTruth gt;
};

SyntheticBatch MakeBatch(bool with_masks) {
  torch::manual_seed(3);
  SyntheticBatch b;
  b.img = torch::randn({2, 3, 128, 160}) * 0.1;
  const std::vector<torch::Tensor> boxes = {
      torch::tensor({{10.f, 20.f, 70.f, 90.f}, {80.f, 30.f, 150.f, 110.f}}),
      torch::tensor({{30.f, 10.f, 100.f, 60.f}})};
  const std::vector<torch::Tensor> labels = {torch::tensor({0, 2}, torch::kInt64),
                                             torch::tensor({1}, torch::kInt64)};
  for (int i = 0; i < 2; ++i) {
    // Bright rectangles where the boxes are, so the data is learnable.
    for (int64_t k = 0; k < boxes[i].size(0); ++k) {
      const auto box = boxes[i][k];
      b.img[i]
          .narrow(1, box[1].item<int64_t>(), (box[3] - box[1]).item<int64_t>())
          .narrow(2, box[0].item<int64_t>(), (box[2] - box[0]).item<int64_t>())
          .add_(1.0 + labels[i][k].item<float>());
    }
    ImageMeta meta;
    meta.ori_shape = {64, 80, 3};  // the images were upscaled 2x
    meta.img_shape = {128, 160, 3};
    meta.pad_shape = {128, 160, 3};
    meta.scale_factor = {2, 2, 2, 2};
    meta.batch_input_shape = {128, 160};
    b.metas.push_back(meta);
    b.gt.bboxes.push_back(boxes[i]);
    b.gt.labels.push_back(labels[i]);
    if (with_masks) {
      torch::Tensor masks = torch::zeros({boxes[i].size(0), 128, 160}, torch::kUInt8);
      for (int64_t k = 0; k < boxes[i].size(0); ++k) {
        const auto box = boxes[i][k];
        masks[k]
            .narrow(0, box[1].item<int64_t>(), (box[3] - box[1]).item<int64_t>())
            .narrow(1, box[0].item<int64_t>(), (box[2] - box[0]).item<int64_t>())
            .fill_(1);
      }
      b.gt.masks.push_back(masks);
    }
  }
  return b;
}

std::vector<std::string> Names(const LossMap& losses) {
  std::vector<std::string> names;
  for (const auto& [name, value] : losses) names.push_back(name);
  return names;
}

// Trains `steps` SGD steps on one batch; returns the total loss before and after.
std::pair<double, double> Overfit(DetectorImpl& model, const SyntheticBatch& batch, int steps,
                                  double lr) {
  model.train();
  torch::optim::SGD sgd(model.parameters(), torch::optim::SGDOptions(lr).momentum(0.9));
  double first = 0, last = 0;
  for (int step = 0; step < steps; ++step) {
    torch::manual_seed(100 + step);
    auto losses = model.ForwardTrain(batch.img, batch.metas, batch.gt);
    EXPECT_TRUE(losses.ok()) << losses.status();
    if (!losses.ok()) return {0, 0};
    torch::Tensor total = TotalLoss(*losses);
    EXPECT_TRUE(std::isfinite(total.item<double>()));
    if (step == 0) first = total.item<double>();
    last = total.item<double>();
    sgd.zero_grad();
    total.backward();
    sgd.step();
  }
  return {first, last};
}

TEST(DetectorTrainTest, FasterRcnnLossNamesAndLearning) {
  auto model = Build("configs/shapes/faster_rcnn_r18_fpn_shapes.pbtxt");
  ASSERT_NE(model, nullptr);
  const SyntheticBatch batch = MakeBatch(false);
  model->train();
  auto losses = model->ForwardTrain(batch.img, batch.metas, batch.gt);
  ASSERT_TRUE(losses.ok()) << losses.status();
  EXPECT_EQ(Names(*losses), (std::vector<std::string>{"loss_rpn_cls", "loss_rpn_bbox", "loss_cls",
                                                      "acc", "loss_bbox"}));
  for (const auto& [name, value] : *losses) EXPECT_TRUE(std::isfinite(value.item<double>())) << name;
  // parse_losses: each term's mean in order, then their sum over the "loss" names.
  const ParsedLosses parsed = ParseLosses(*losses);
  const auto values = parsed.Values();
  ASSERT_EQ(values.size(), 6u);
  EXPECT_EQ(values.back().first, "loss");
  const torch::Tensor want = (*losses)[0].second.mean() + (*losses)[1].second.mean() +
                             (*losses)[2].second.mean() + (*losses)[4].second.mean();
  EXPECT_EQ(values.back().second, want.item<double>());
  EXPECT_EQ(values[3].first, "acc");
  EXPECT_EQ(values[3].second, (*losses)[3].second.item<double>());
  EXPECT_TRUE(parsed.loss.requires_grad());
  EXPECT_FALSE(parsed.log_vars[0].second.requires_grad());
  auto [first, last] = Overfit(*model, batch, 12, 0.01);
  EXPECT_LT(last, first * 0.8) << "first " << first << " last " << last;
  std::printf("faster r-cnn overfit: total loss %.4f -> %.4f\n", first, last);

  model->eval();
  auto results = model->SimpleTest(batch.img, batch.metas, /*rescale=*/true);
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 2u);
  for (const ImageResult& r : *results) {
    ASSERT_EQ(r.bboxes.size(), 3u);
    EXPECT_TRUE(r.masks.empty());
    for (const auto& cls : r.bboxes) {
      ASSERT_EQ(cls.dim(), 2);
      EXPECT_EQ(cls.size(1), 5);
      if (cls.size(0) > 0) {
        // Rescaled to the 80x64 original image.
        EXPECT_LE(cls.select(1, 2).max().item<float>(), 80.0f + 1e-3);
        EXPECT_LE(cls.select(1, 3).max().item<float>(), 64.0f + 1e-3);
      }
    }
  }
}

TEST(DetectorTrainTest, MaskRcnnLossesAndMasksInTheOriginalFrame) {
  auto model = Build("configs/shapes/mask_rcnn_r18_fpn_shapes.pbtxt",
                     {"test_cfg.rcnn.score_thr=0.0"});
  ASSERT_NE(model, nullptr);
  const SyntheticBatch batch = MakeBatch(true);
  auto [first, last] = Overfit(*model, batch, 8, 0.01);
  EXPECT_LT(last, first);
  model->train();
  auto losses = model->ForwardTrain(batch.img, batch.metas, batch.gt);
  ASSERT_TRUE(losses.ok()) << losses.status();
  EXPECT_EQ(Names(*losses), (std::vector<std::string>{"loss_rpn_cls", "loss_rpn_bbox", "loss_cls",
                                                      "acc", "loss_bbox", "loss_mask"}));
  GroundTruth bad_labels = batch.gt;
  bad_labels.labels[1] = torch::tensor({5}, torch::kInt64);  // a 3-class model
  auto mismatch = model->ForwardTrain(batch.img, batch.metas, bad_labels);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_THAT(std::string(mismatch.status().message()),
              HasSubstr("image 1 of the batch has ground-truth label 5 but the model has 3 classes"));
  GroundTruth no_masks = batch.gt;
  no_masks.masks.clear();
  auto missing = model->ForwardTrain(batch.img, batch.metas, no_masks);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("gt_masks"));

  model->eval();
  auto results = model->SimpleTest(batch.img, batch.metas, /*rescale=*/true);
  ASSERT_TRUE(results.ok()) << results.status();
  size_t total_masks = 0;
  for (const ImageResult& r : *results) {
    ASSERT_EQ(r.masks.size(), 3u);
    for (size_t c = 0; c < 3; ++c) {
      ASSERT_EQ(r.masks[c].size(), static_cast<size_t>(r.bboxes[c].size(0)));
      for (const auto& m : r.masks[c]) {
        EXPECT_EQ(m.sizes(), (std::vector<int64_t>{64, 80}));
        EXPECT_EQ(m.scalar_type(), torch::kBool);
      }
      total_masks += r.masks[c].size();
    }
  }
  EXPECT_GT(total_masks, 0u);  // score_thr 0: every kept box has a mask

  // Test-time augmentation (aug_test). The same view twice merges to that view alone: the
  // duplicated proposals fall to NMS, the averages of equal numbers are those numbers.
  const torch::Tensor img0 = batch.img.narrow(0, 0, 1);
  const ImageMeta meta0 = batch.metas[0];
  auto single = model->AugTest({img0}, {meta0}, true);
  ASSERT_TRUE(single.ok()) << single.status();
  auto twice = model->AugTest({img0, img0}, {meta0, meta0}, true);
  ASSERT_TRUE(twice.ok()) << twice.status();
  for (size_t c = 0; c < 3; ++c) {
    EXPECT_TRUE(torch::allclose(twice->bboxes[c], single->bboxes[c])) << "class " << c;
    ASSERT_EQ(twice->masks[c].size(), single->masks[c].size());
    for (size_t k = 0; k < single->masks[c].size(); ++k) {
      EXPECT_TRUE(torch::equal(twice->masks[c][k], single->masks[c][k]));
    }
  }
  // A horizontally flipped view: its outputs are flipped back into the original frame.
  ImageMeta flipped = meta0;
  flipped.flip = true;
  flipped.flip_direction = "horizontal";
  auto flip = model->AugTest({img0, img0.flip({3})}, {meta0, flipped}, true);
  ASSERT_TRUE(flip.ok()) << flip.status();
  ASSERT_EQ(flip->masks.size(), 3u);
  for (size_t c = 0; c < 3; ++c) {
    const torch::Tensor& b = flip->bboxes[c];
    if (b.size(0) == 0) continue;
    EXPECT_GE(b.select(1, 0).min().item<float>(), -1e-3);
    EXPECT_LE(b.select(1, 2).max().item<float>(), 80.0f + 1e-3);
    for (const auto& m : flip->masks[c]) EXPECT_EQ(m.sizes(), (std::vector<int64_t>{64, 80}));
  }
  auto two_images = model->AugTest({batch.img, batch.img}, {meta0, meta0}, true);
  ASSERT_FALSE(two_images.ok());
  EXPECT_THAT(std::string(two_images.status().message()),
              HasSubstr("aug test does not support inference with batch size 2"));
}

TEST(DetectorTrainTest, RetinaNetAndRpn) {
  auto retina = Build("configs/shapes/retinanet_r18_fpn_shapes.pbtxt");
  ASSERT_NE(retina, nullptr);
  const SyntheticBatch batch = MakeBatch(false);
  retina->train();
  auto losses = retina->ForwardTrain(batch.img, batch.metas, batch.gt);
  ASSERT_TRUE(losses.ok()) << losses.status();
  EXPECT_EQ(Names(*losses), (std::vector<std::string>{"loss_cls", "loss_bbox"}));
  auto [first, last] = Overfit(*retina, batch, 10, 0.01);
  EXPECT_LT(last, first);
  retina->eval();
  auto results = retina->SimpleTest(batch.img, batch.metas, false);
  ASSERT_TRUE(results.ok());
  EXPECT_EQ((*results)[0].bboxes.size(), 3u);
  // As MMDetection v2.0, single-stage detectors have no aug_test.
  const torch::Tensor img0 = batch.img.narrow(0, 0, 1);
  auto aug = retina->AugTest({img0, img0}, {batch.metas[0], batch.metas[0]}, true);
  ASSERT_FALSE(aug.ok());
  EXPECT_EQ(aug.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(aug.status().message()), HasSubstr("use one img_scale and flip: false"));

  auto rpn = Build("configs/rpn/rpn_r50_fpn_1x_coco.pbtxt",
                   {"model.backbone.depth=18", "model.neck.in_channels=[64,128,256,512]",
                    "model.neck.out_channels=64", "model.rpn_head.in_channels=64",
                    "model.rpn_head.feat_channels=64", "model.pretrained="});
  ASSERT_NE(rpn, nullptr);
  rpn->train();
  auto rpn_losses = rpn->ForwardTrain(batch.img, batch.metas, batch.gt);
  ASSERT_TRUE(rpn_losses.ok()) << rpn_losses.status();
  EXPECT_EQ(Names(*rpn_losses), (std::vector<std::string>{"loss_rpn_cls", "loss_rpn_bbox"}));
  rpn->eval();
  auto proposals = rpn->SimpleTest(batch.img, batch.metas, true);
  ASSERT_TRUE(proposals.ok());
  ASSERT_EQ((*proposals)[0].bboxes.size(), 1u);
  EXPECT_EQ((*proposals)[0].bboxes[0].size(1), 5);
  EXPECT_LE((*proposals)[0].bboxes[0].size(0), 1000);
  // aug_test: the two views' proposals merged, at most max_num, in the original frame.
  ImageMeta flipped = batch.metas[0];
  flipped.flip = true;
  flipped.flip_direction = "horizontal";
  auto merged = rpn->AugTest({img0, img0.flip({3})}, {batch.metas[0], flipped}, true);
  ASSERT_TRUE(merged.ok()) << merged.status();
  ASSERT_EQ(merged->bboxes.size(), 1u);
  EXPECT_GT(merged->bboxes[0].size(0), 0);
  EXPECT_LE(merged->bboxes[0].size(0), 1000);
  EXPECT_LE(merged->bboxes[0].select(1, 2).max().item<float>(), 80.0f + 1e-3);
}

TEST(DetectorCheckpointTest, SaveLoadRoundTripAndTorchvisionPretrained) {
  const std::string dir = ::testing::TempDir();
  auto model = Build("configs/shapes/faster_rcnn_r18_fpn_shapes.pbtxt");
  ASSERT_NE(model, nullptr);
  pth::Value meta = pth::Value::Dict();
  meta.Set("epoch", pth::Value::Int(3));
  meta.Set("CLASSES", pth::Value::Tuple({pth::Value::String("rectangle"),
                                         pth::Value::String("circle"),
                                         pth::Value::String("triangle")}));
  const std::string path = dir + "/epoch_3.pth";
  ASSERT_TRUE(SaveCheckpoint(path, GetStateDict(*model), meta, pth::Value()).ok());
  auto loaded = LoadCheckpoint(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->meta.Find("epoch")->as_int(), 3);
  auto fresh = Build("configs/shapes/faster_rcnn_r18_fpn_shapes.pbtxt");
  ASSERT_NE(fresh, nullptr);
  auto report = LoadStateDict(*fresh, loaded->state_dict, /*strict=*/true);
  ASSERT_TRUE(report.ok()) << report.status();
  const StateDict a = GetStateDict(*model), b = GetStateDict(*fresh);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    EXPECT_TRUE(torch::equal(a[i].second, b[i].second)) << a[i].first;
  }

  // A torchvision-style bare state_dict (with its classifier) in the hub cache.
  StateDict torchvision = GetStateDict(model->backbone());
  torchvision.emplace_back("fc.weight", torch::zeros({1000, 512}));
  torchvision.emplace_back("fc.bias", torch::zeros({1000}));
  ::setenv("TORCH_HOME", dir.c_str(), 1);
  ASSERT_EQ(system(("mkdir -p " + dir + "/hub/checkpoints").c_str()), 0);
  ASSERT_TRUE(pth::SavePth(dir + "/hub/checkpoints/resnet18-5c106cde.pth",
                           StateDictToValue(torchvision)).ok());
  auto pretrained = Build("configs/shapes/faster_rcnn_r18_fpn_shapes.pbtxt",
                          {"model.pretrained=torchvision://resnet18"});
  ASSERT_NE(pretrained, nullptr);
  auto init = InitPretrainedWeights(*pretrained);
  ASSERT_TRUE(init.ok()) << init.status();
  EXPECT_EQ(init->unexpected, (std::vector<std::string>{"fc.weight", "fc.bias"}));
  EXPECT_TRUE(init->missing.empty());
  const StateDict got = GetStateDict(pretrained->backbone());
  EXPECT_TRUE(torch::equal(got[0].second, torchvision[0].second));

  auto absent = Build("configs/shapes/faster_rcnn_r18_fpn_shapes.pbtxt",
                      {"model.pretrained=torchvision://resnet50"});
  ASSERT_NE(absent, nullptr);
  auto missing = InitPretrainedWeights(*absent);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("https://download.pytorch.org/models/resnet50-19c8e357.pth"));
}

TEST(RoIExtractorTest, LevelsFollowFinestScale) {
  // sqrt(area): 30 -> 0 (clamped), 56 and 111 -> 0, 112 -> 1, 224 -> 2, 448 -> 3, 1000 -> 3.
  const torch::Tensor rois = torch::tensor({{0.f, 0.f, 0.f, 30.f, 30.f},
                                            {0.f, 0.f, 0.f, 56.f, 56.f},
                                            {0.f, 0.f, 0.f, 111.f, 111.f},
                                            {0.f, 10.f, 10.f, 122.f, 122.f},
                                            {1.f, 0.f, 0.f, 224.f, 224.f},
                                            {1.f, 0.f, 0.f, 448.f, 448.f},
                                            {1.f, 0.f, 0.f, 1000.f, 1000.f}});
  EXPECT_TRUE(torch::equal(MapRoiLevels(rois, 4, 56),
                           torch::tensor({0, 0, 0, 1, 2, 3, 3}, torch::kInt64)));
}

TEST(ModelRegistriesTest, EveryConfigTypeHasAFactory) {
  EXPECT_TRUE(MissingFactories(config::Backbone::descriptor(), BackboneRegistry::Global()).empty());
  EXPECT_TRUE(MissingFactories(config::Neck::descriptor(), NeckRegistry::Global()).empty());
  EXPECT_TRUE(MissingFactories(config::DenseHead::descriptor(), DenseHeadRegistry::Global()).empty());
  EXPECT_TRUE(MissingFactories(config::RoIHead::descriptor(), RoIHeadRegistry::Global()).empty());
  EXPECT_TRUE(
      MissingFactories(config::RoIExtractor::descriptor(), RoIExtractorRegistry::Global()).empty());
  EXPECT_TRUE(MissingFactories(config::BBoxHead::descriptor(), BBoxHeadRegistry::Global()).empty());
  EXPECT_TRUE(MissingFactories(config::MaskHead::descriptor(), MaskHeadRegistry::Global()).empty());
  EXPECT_TRUE(MissingFactories(config::Loss::descriptor(), LossRegistry::Global()).empty());
  EXPECT_TRUE(MissingFactories(config::PriorGenerator::descriptor(),
                               PriorGeneratorRegistry::Global()).empty());
  EXPECT_TRUE(MissingFactories(config::BBoxCoder::descriptor(), BBoxCoderRegistry::Global()).empty());
  EXPECT_TRUE(MissingFactories(config::Assigner::descriptor(), AssignerRegistry::Global()).empty());
  EXPECT_TRUE(MissingFactories(config::Sampler::descriptor(), BBoxSamplerRegistry::Global()).empty());
  EXPECT_TRUE(MissingFactories(config::Model::descriptor(), DetectorRegistry::Global()).empty());
}

TEST(DetectorTrainTest, ImagesWithoutGroundTruthTrain) {
  for (const char* config : {"configs/shapes/mask_rcnn_r18_fpn_shapes.pbtxt",
                             "configs/shapes/retinanet_r18_fpn_shapes.pbtxt"}) {
    auto model = Build(config);
    ASSERT_NE(model, nullptr);
    SyntheticBatch batch = MakeBatch(true);
    batch.gt.bboxes[1] = torch::zeros({0, 4});
    batch.gt.labels[1] = torch::zeros({0}, torch::kInt64);
    batch.gt.masks[1] = torch::zeros({0, 128, 160}, torch::kUInt8);
    model->train();
    auto losses = model->ForwardTrain(batch.img, batch.metas, batch.gt);
    ASSERT_TRUE(losses.ok()) << config << ": " << losses.status();
    for (const auto& [name, value] : *losses) {
      EXPECT_TRUE(std::isfinite(value.item<double>())) << config << " " << name;
    }
    TotalLoss(*losses).backward();
  }
}

TEST(DetectorBuildTest, BadModelConfigNamesTheField) {
  config::Config cfg;
  auto none = BuildDetector(cfg);
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(std::string(none.status().message()), HasSubstr("model: no type set"));
  auto base = LoadConfig("configs/mask_rcnn/mask_rcnn_r50_fpn_1x_coco.pbtxt");
  ASSERT_TRUE(base.ok());
  base->mutable_model()->mutable_mask_rcnn()->mutable_roi_head()->mutable_standard_roi_head()
      ->clear_mask_head();
  auto no_mask = BuildDetector(*base);
  ASSERT_FALSE(no_mask.ok());
  EXPECT_THAT(std::string(no_mask.status().message()),
              HasSubstr("model.mask_rcnn.roi_head"));
  auto bad = LoadConfig("configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt",
                        {"model.backbone.depth=42"});
  ASSERT_TRUE(bad.ok());
  auto built = BuildDetector(*bad);
  ASSERT_FALSE(built.ok());
  EXPECT_THAT(std::string(built.status().message()),
              HasSubstr("model.faster_rcnn.backbone.resnet.depth"));
}

}  // namespace
}  // namespace mmdet::models
