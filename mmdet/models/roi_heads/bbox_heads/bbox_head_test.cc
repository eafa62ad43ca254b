// Shared2FCBBoxHead through the BBoxHead base: targets, losses and test boxes against values
// computed by hand (v2.0's bbox_head.py with the default DeltaXYWHBBoxCoder, stds
// (0.1, 0.1, 0.2, 0.2)).
#include "mmdet/models/roi_heads/bbox_heads/bbox_head.h"

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "mmdet/core/registry.h"

namespace mmdet::models {
namespace {

using ::testing::HasSubstr;

std::shared_ptr<BBoxHeadImpl> Build(const std::string& text) {
  config::BBoxHead cfg;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &cfg)) << text;
  auto head = BuildBBoxHead(cfg, "roi_head.bbox_head");
  EXPECT_TRUE(head.ok()) << head.status();
  return head.ok() ? *head : nullptr;
}

constexpr char kHead[] =
    "shared2fc_bbox_head { in_channels: 2 fc_out_channels: 8 roi_feat_size: 2 num_classes: 3 }";

// Two positives and a negative in one image: proposal [0, 0, 10, 10] (centre 5, size 10)
// for gt [1, 1, 11, 11] (label 2) and gt [0, 0, 20, 10] (label 0); a negative [30, 30, 40, 40].
SamplingResult OneImage() {
  SamplingResult s;
  s.pos_bboxes = torch::tensor({{0.f, 0.f, 10.f, 10.f}, {0.f, 0.f, 10.f, 10.f}});
  s.neg_bboxes = torch::tensor({{30.f, 30.f, 40.f, 40.f}});
  s.pos_gt_bboxes = torch::tensor({{1.f, 1.f, 11.f, 11.f}, {0.f, 0.f, 20.f, 10.f}});
  s.pos_gt_labels = torch::tensor({2, 0}, torch::kInt64);
  s.pos_assigned_gt_inds = torch::tensor({0, 1}, torch::kInt64);
  s.pos_inds = torch::tensor({0, 1}, torch::kInt64);
  s.neg_inds = torch::tensor({2}, torch::kInt64);
  return s;
}

TEST(BBoxHeadTest, TargetsByHand) {
  auto head = Build(kHead);
  ASSERT_NE(head, nullptr);
  const auto t = head->GetTargets({OneImage()}, config::AssignConfig());
  EXPECT_TRUE(torch::equal(t.labels, torch::tensor({2, 0, 3}, torch::kInt64))) << t.labels;
  EXPECT_TRUE(torch::equal(t.label_weights, torch::tensor({1.f, 1.f, 1.f})));
  // dx = (6 - 5) / 10 / 0.1 = 1, dw = log(1) = 0; second: dx = (10 - 5) / 10 / 0.1 = 5,
  // dw = log(20 / 10) / 0.2.
  const torch::Tensor expected = torch::tensor(
      {{1.f, 1.f, 0.f, 0.f}, {5.f, 0.f, static_cast<float>(std::log(2.0) / 0.2), 0.f},
       {0.f, 0.f, 0.f, 0.f}});
  EXPECT_TRUE(torch::allclose(t.bbox_targets, expected, 1e-5, 1e-5)) << t.bbox_targets;
  EXPECT_TRUE(torch::equal(t.bbox_weights.select(1, 0), torch::tensor({1.f, 1.f, 0.f})));
  // pos_weight scales the positives' label weights.
  config::AssignConfig weighted;
  weighted.set_pos_weight(2);
  EXPECT_TRUE(torch::equal(head->GetTargets({OneImage()}, weighted).label_weights,
                           torch::tensor({2.f, 2.f, 1.f})));
}

TEST(BBoxHeadTest, LossesByHand) {
  auto head = Build(kHead);
  ASSERT_NE(head, nullptr);
  const auto t = head->GetTargets({OneImage()}, config::AssignConfig());
  // All-zero scores and deltas: CE = log 4 for each of the 3 RoIs; top-1 is class 0 for all,
  // right for the second only (33.3%); smooth L1 (beta 1) of the positives' class deltas:
  // (0.5 + 0.5) + (4.5 + (log 2 / 0.2 - 0.5)), over the 3 sampled RoIs.
  const LossMap losses = head->Loss(torch::zeros({3, 4}), torch::zeros({3, 12}), t);
  ASSERT_EQ(losses.size(), 3u);
  EXPECT_EQ(losses[0].first, "loss_cls");
  EXPECT_NEAR(losses[0].second.item<double>(), std::log(4.0), 1e-6);
  EXPECT_EQ(losses[1].first, "acc");
  EXPECT_NEAR(losses[1].second.item<double>(), 100.0 / 3, 1e-4);
  EXPECT_EQ(losses[2].first, "loss_bbox");
  EXPECT_NEAR(losses[2].second.item<double>(), (1.0 + 4.5 + std::log(2.0) / 0.2 - 0.5) / 3,
              1e-5);
  // Deltas in the other classes' slots do not count: only each positive's own class does.
  torch::Tensor other = torch::full({3, 12}, 7.f);
  other.narrow(1, 8, 4)[0].zero_();  // positive 0, class 2
  other.narrow(1, 0, 4)[1].zero_();  // positive 1, class 0
  EXPECT_NEAR(head->Loss(torch::zeros({3, 4}), other, t)[2].second.item<double>(),
              losses[2].second.item<double>(), 1e-5);
}

TEST(BBoxHeadTest, DecodedBoxesByHand) {
  auto head = Build(kHead);
  ASSERT_NE(head, nullptr);
  ImageMeta meta;
  meta.img_shape = {20, 20, 3};
  meta.scale_factor = {2, 2, 2, 2};
  // One RoI [0, 0, 10, 10]; class 1 scores e^5 / (e^5 + 3), its deltas (1, 1, 0, 0) move it
  // by (0.1 * 1 * 10) to [1, 1, 11, 11], then / 2 for the original image; class 2's deltas
  // (0, 0, log 3 / 0.2, 0) would triple its width it past the image (clipped to 20) but score too low.
  const torch::Tensor rois = torch::tensor({{0.f, 0.f, 0.f, 10.f, 10.f}});
  const torch::Tensor scores = torch::tensor({{0.f, 5.f, 0.f, 0.f}});
  torch::Tensor deltas = torch::zeros({1, 12});
  deltas[0][4] = 1;
  deltas[0][5] = 1;
  deltas[0][10] = static_cast<float>(std::log(3.0) / 0.2);
  config::DetectionTestConfig cfg;
  cfg.set_score_thr(0.05);
  cfg.set_max_per_img(100);
  const Detections det = head->GetBBoxes(rois, scores, deltas, meta, /*rescale=*/true, cfg);
  ASSERT_EQ(det.dets.size(0), 1);
  const double p = std::exp(5.0) / (std::exp(5.0) + 3);
  EXPECT_TRUE(torch::allclose(det.dets, torch::tensor({{0.5f, 0.5f, 5.5f, 5.5f,
                                                        static_cast<float>(p)}}),
                              1e-5, 1e-5))
      << det.dets;
  EXPECT_EQ(det.labels[0].item<int64_t>(), 1);
  // Without rescale, in the network input's frame; with score_thr 0 class 2 appears, its
  // width 10 * 3 = 30 centred at 5 clipped to [0, 20].
  cfg.set_score_thr(0.0);
  const Detections all = head->GetBBoxes(rois, scores, deltas, meta, /*rescale=*/false, cfg);
  ASSERT_EQ(all.dets.size(0), 3);
  const torch::Tensor cls2 = all.dets.index({all.labels == 2});
  ASSERT_EQ(cls2.size(0), 1);
  EXPECT_TRUE(torch::allclose(cls2.narrow(1, 0, 4), torch::tensor({{0.f, 0.f, 20.f, 10.f}}),
                              1e-4, 1e-4))
      << cls2;
}

TEST(BBoxHeadTest, ConfigErrorsNameTheField) {
  config::BBoxHead cfg;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      "shared2fc_bbox_head { num_classes: 0 }", &cfg));
  auto zero = BuildBBoxHead(cfg, "roi_head.bbox_head");
  ASSERT_FALSE(zero.ok());
  EXPECT_THAT(std::string(zero.status().message()),
              HasSubstr("roi_head.bbox_head.shared2fc_bbox_head.num_classes"));
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      "shared2fc_bbox_head { loss_cls { cross_entropy_loss { use_sigmoid: true } } }", &cfg));
  auto sigmoid = BuildBBoxHead(cfg, "roi_head.bbox_head");
  ASSERT_FALSE(sigmoid.ok());
  EXPECT_THAT(std::string(sigmoid.status().message()), HasSubstr("softmax"));
}

}  // namespace
}  // namespace mmdet::models

namespace mmdet::models {
namespace {

// MMDetection's Shared4Conv1FCBBoxHead with GN: its state_dict names and shapes, and the
// forward's: 4 x (3x3 conv without bias, GN) -> flatten -> fc -> fc_cls / fc_reg.
TEST(ConvFCBBoxHeadTest, Shared4Conv1FcNamesShapesAndForward) {
  auto head = Build(
      "convfc_bbox_head { in_channels: 8 num_shared_convs: 4 num_shared_fcs: 1 "
      "conv_out_channels: 16 fc_out_channels: 32 roi_feat_size: 7 num_classes: 3 "
      "norm_cfg { type: GN num_groups: 4 } }");
  ASSERT_NE(head, nullptr);
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& item : head->named_parameters()) {
    shapes[item.key()] = item.value().sizes().vec();
  }
  const std::map<std::string, std::vector<int64_t>> expected = {
      {"shared_convs.0.conv.weight", {16, 8, 3, 3}}, {"shared_convs.0.gn.weight", {16}},
      {"shared_convs.0.gn.bias", {16}},             {"shared_convs.1.conv.weight", {16, 16, 3, 3}},
      {"shared_convs.1.gn.weight", {16}},           {"shared_convs.1.gn.bias", {16}},
      {"shared_convs.2.conv.weight", {16, 16, 3, 3}}, {"shared_convs.2.gn.weight", {16}},
      {"shared_convs.2.gn.bias", {16}},             {"shared_convs.3.conv.weight", {16, 16, 3, 3}},
      {"shared_convs.3.gn.weight", {16}},           {"shared_convs.3.gn.bias", {16}},
      {"shared_fcs.0.weight", {32, 16 * 49}},       {"shared_fcs.0.bias", {32}},
      {"fc_cls.weight", {4, 32}},                   {"fc_cls.bias", {4}},
      {"fc_reg.weight", {12, 32}},                  {"fc_reg.bias", {12}}};
  EXPECT_EQ(shapes, expected);
  auto [scores, deltas] = head->forward(torch::randn({5, 8, 7, 7}));
  EXPECT_EQ(scores.sizes(), (std::vector<int64_t>{5, 4}));
  EXPECT_EQ(deltas.sizes(), (std::vector<int64_t>{5, 12}));

  // The defaults are Shared2FCBBoxHead's layers and names.
  auto fc_only = Build("convfc_bbox_head { in_channels: 2 fc_out_channels: 8 roi_feat_size: 2 "
                       "num_classes: 3 }");
  ASSERT_NE(fc_only, nullptr);
  std::vector<std::string> names;
  for (const auto& item : fc_only->named_parameters()) names.push_back(item.key());
  EXPECT_EQ(names, (std::vector<std::string>{"shared_fcs.0.weight", "shared_fcs.0.bias",
                                             "shared_fcs.1.weight", "shared_fcs.1.bias",
                                             "fc_cls.weight", "fc_cls.bias", "fc_reg.weight",
                                             "fc_reg.bias"}));
  config::BBoxHead bad;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      "convfc_bbox_head { num_shared_convs: -1 }", &bad));
  auto error = BuildBBoxHead(bad, "roi_head.bbox_head");
  ASSERT_FALSE(error.ok());
  EXPECT_THAT(error.status().message(), HasSubstr("roi_head.bbox_head"));
}

}  // namespace
}  // namespace mmdet::models
