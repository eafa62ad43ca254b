// RPNHead and RetinaHead on hand-checkable inputs: zeroed weights make every logit 0 and every
// delta 0, so targets, averaging and proposals can be computed by hand.
#include "mmdet/models/dense_heads/dense_head.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "mmdet/models/dense_heads/anchor_head.h"

#include <cmath>

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace mmdet::models {
namespace {

template <typename Message>
Message Parse(const std::string& text) {
  Message m;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &m)) << text;
  return m;
}

std::shared_ptr<DenseHeadImpl> Zeroed(const std::string& text) {
  auto head = BuildDenseHead(Parse<config::DenseHead>(text), "head");
  EXPECT_TRUE(head.ok()) << head.status();
  if (!head.ok()) return nullptr;
  torch::NoGradGuard no_grad;
  for (auto& p : (*head)->parameters()) p.zero_();
  return *head;
}

std::vector<ImageMeta> Metas(int64_t h, int64_t w) {
  ImageMeta meta;
  meta.ori_shape = meta.img_shape = meta.pad_shape = {h, w, 3};
  return {meta};
}

// One level, stride 16, one 16x16 anchor per location over a 2x2 map of a 32x32 image:
// anchors [-8,-8,8,8], [8,-8,24,8], [-8,8,8,24], [8,8,24,24].
constexpr char kRpn[] = R"(rpn_head {
  in_channels: 4 feat_channels: 4
  anchor_generator { anchor_generator { strides: [16] ratios: [1.0] scales: [1] } }
  loss_bbox { l1_loss {} }
})";

TEST(RPNHeadTest, TargetsAveragingAndProposals) {
  auto head = Zeroed(kRpn);
  ASSERT_NE(head, nullptr);
  const DenseOutputs out = head->forward({torch::randn({1, 4, 2, 2})});
  ASSERT_EQ(out.cls_scores[0].sizes(), (std::vector<int64_t>{1, 1, 2, 2}));
  GroundTruth gt;
  gt.bboxes = {torch::tensor({{8.f, 8.f, 24.f, 24.f}})};  // exactly the last anchor
  const config::AssignConfig cfg = Parse<config::AssignConfig>(R"(
    assigner { max_iou_assigner { pos_iou_thr: 0.7 neg_iou_thr: 0.3 min_pos_iou: 0.3 } }
    sampler { random_sampler { num: 256 pos_fraction: 0.5 add_gt_as_proposals: false } }
  )");
  auto losses = head->Loss(out, gt, Metas(32, 32), cfg);
  ASSERT_TRUE(losses.ok()) << losses.status();
  ASSERT_EQ(losses->size(), 2u);
  EXPECT_EQ((*losses)[0].first, "loss_rpn_cls");
  // 1 positive + 3 negatives sampled, every logit 0: mean BCE = log 2.
  EXPECT_NEAR((*losses)[0].second.item<double>(), std::log(2.0), 1e-6);
  EXPECT_NEAR((*losses)[1].second.item<double>(), 0.0, 1e-6);  // the positive's target is 0

  // Zero deltas: proposals are the anchors clipped to the image, all scoring 0.5.
  const auto proposals = head->GetProposals(out, Metas(32, 32), Parse<config::ProposalConfig>(
      "nms_pre: 1000 nms_post: 1000 max_num: 1000 nms_thr: 0.7"));
  ASSERT_EQ(proposals.size(), 1u);
  ASSERT_EQ(proposals[0].size(0), 4);
  EXPECT_TRUE(torch::allclose(proposals[0].select(1, 4), torch::full({4}, 0.5f)));
  const auto areas = (proposals[0].select(1, 2) - proposals[0].select(1, 0)) *
                     (proposals[0].select(1, 3) - proposals[0].select(1, 1));
  EXPECT_NEAR(areas.sum().item<double>(), 64 + 128 + 128 + 256, 1e-4);
  // min_bbox_size drops the clipped 8x8 one.
  const auto filtered = head->GetProposals(out, Metas(32, 32), Parse<config::ProposalConfig>(
      "nms_pre: 1000 nms_post: 1000 max_num: 1000 nms_thr: 0.7 min_bbox_size: 10"));
  EXPECT_EQ(filtered[0].size(0), 1);
}

// MMDetection v2.0's proposals: one NMS keyed by level (a box never suppresses an identical
// box of another level), then the top nms_post of the whole image; max_num only bounds the
// v1-style nms_across_levels path.
TEST(RPNHeadTest, ProposalsAreOneBatchedNmsOverLevelsThenTopNmsPost) {
  auto head = Zeroed(R"(rpn_head {
    in_channels: 4 feat_channels: 4
    anchor_generator { anchor_generator { strides: [16, 16] ratios: [1.0] scales: [1] } }
  })");
  ASSERT_NE(head, nullptr);
  const torch::Tensor x = torch::randn({1, 4, 2, 2});
  const DenseOutputs out = head->forward({x, x});  // two levels, the same 4 anchors each
  auto count = [&](const std::string& cfg) {
    return head->GetProposals(out, Metas(32, 32), Parse<config::ProposalConfig>(cfg))[0].size(0);
  };
  EXPECT_EQ(count("nms_pre: 1000 nms_post: 1000 max_num: 1000 nms_thr: 0.7"), 8);
  EXPECT_EQ(count("nms_pre: 1000 nms_post: 3 max_num: 1000 nms_thr: 0.7"), 3);
  EXPECT_EQ(count("nms_pre: 1000 nms_post: 1000 max_num: 6 nms_thr: 0.7"), 8);
  EXPECT_EQ(count("nms_across_levels: true nms_pre: 1000 nms_post: 1 max_num: 1000 nms_thr: 0.7"),
            4);
  EXPECT_EQ(count("nms_across_levels: true nms_pre: 1000 nms_post: 1000 max_num: 2 nms_thr: 0.7"),
            2);
}

TEST(RetinaHeadTest, FocalLossAveragesOverPositives) {
  auto head = Zeroed(R"(retina_head {
    num_classes: 2 in_channels: 4 feat_channels: 4 stacked_convs: 1
    anchor_generator { anchor_generator { strides: [16] ratios: [1.0] scales: [1] } }
  })");
  ASSERT_NE(head, nullptr);
  const DenseOutputs out = head->forward({torch::randn({1, 4, 2, 2})});
  GroundTruth gt;
  gt.bboxes = {torch::tensor({{8.f, 8.f, 24.f, 24.f}})};
  gt.labels = {torch::tensor({1}, torch::kInt64)};
  const config::AssignConfig cfg = Parse<config::AssignConfig>(
      "assigner { max_iou_assigner { pos_iou_thr: 0.5 neg_iou_thr: 0.4 min_pos_iou: 0 } }");
  auto losses = head->Loss(out, gt, Metas(32, 32), cfg);
  ASSERT_TRUE(losses.ok()) << losses.status();
  EXPECT_EQ((*losses)[0].first, "loss_cls");
  // p = 0.5 everywhere; 4 anchors x 2 classes, one (anchor 3, class 1) positive:
  // positive term 0.25 * 0.25 * log 2, 7 negative terms 0.75 * 0.25 * log 2; / 1 positive.
  const double expected = (0.25 * 0.25 + 7 * 0.75 * 0.25) * std::log(2.0);
  EXPECT_NEAR((*losses)[0].second.item<double>(), expected, 1e-5);
  // Test: score 0.5 for both classes at each anchor, above score_thr 0.05.
  auto dets = head->GetBBoxes(out, Metas(32, 32), Parse<config::DetectionTestConfig>(
      "score_thr: 0.05 nms { iou_thr: 0.5 } max_per_img: 100"), false);
  ASSERT_EQ(dets.size(), 1u);
  EXPECT_EQ(dets[0].dets.size(0), 8);  // 4 boxes x 2 classes, none overlapping
}

// Two levels over a 40x40 image, one anchor per location (scale 2): level 0 stride 8 (4x4 map,
// 16x16 anchors [8x-8, 8y-8, 8x+8, 8y+8]), level 1 stride 16 (2x2 map, 32x32 anchors
// [16x-16, 16y-16, 16x+16, 16y+16]); anchors index y * w + x. With allowed_border 0 (v2.0's
// anchor_inside_flags: x1 >= 0, y1 >= 0, x2 < w, y2 < h) only 9 level-0 anchors (x, y in 1..3)
// and level-1 anchor 3 ([0, 0, 32, 32]) are inside. Gts:
// A = [0, 0, 16, 16] (level-0 anchor 5 exactly) and B = [0, 0, 32, 32] (level-1 anchor 3).
// IoUs by hand: level-0 anchors 6 and 9 overlap A by 128 / 384 = 1/3 (between the thresholds:
// ignored); every other inside level-0 anchor has max IoU 0.25 (with B) or less: negative.
constexpr char kTwoLevelAnchors[] =
    "anchor_generator { anchor_generator { strides: [8, 16] ratios: [1.0] scales: [2] } }";
constexpr char kRpnAssign[] = R"(
  assigner { max_iou_assigner { pos_iou_thr: 0.7 neg_iou_thr: 0.3 min_pos_iou: 0.3 } }
  allowed_border: 0
)";

std::vector<torch::Tensor> TwoLevelFeats() {
  return {torch::randn({1, 4, 4, 4}), torch::randn({1, 4, 2, 2})};
}

GroundTruth TwoGts(bool with_labels) {
  GroundTruth gt;
  gt.bboxes = {torch::tensor({{0.f, 0.f, 16.f, 16.f}, {0.f, 0.f, 32.f, 32.f}})};
  if (with_labels) gt.labels = {torch::tensor({1, 0}, torch::kInt64)};
  return gt;
}

std::vector<int64_t> Ints(const torch::Tensor& t) {
  const torch::Tensor c = t.reshape(-1).to(torch::kInt64).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

TEST(AnchorHeadTest, MultiLevelTargetsByHand) {
  auto head = Zeroed(absl::StrCat("rpn_head { in_channels: 4 feat_channels: 4 ",
                                  kTwoLevelAnchors, " }"));
  ASSERT_NE(head, nullptr);
  auto* anchor_head = dynamic_cast<AnchorHeadImpl*>(head.get());
  ASSERT_NE(anchor_head, nullptr);
  // No sampler: every inside anchor (PseudoSampler), averaged over positives + negatives.
  auto t = anchor_head->GetTargets({{4, 4}, {2, 2}}, torch::kCPU, TwoGts(false), Metas(40, 40),
                                   Parse<config::AssignConfig>(kRpnAssign));
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->labels.size(), 2u);
  ASSERT_EQ(t->labels[0].sizes(), (std::vector<int64_t>{1, 16}));
  ASSERT_EQ(t->labels[1].sizes(), (std::vector<int64_t>{1, 4}));
  // Labels: 0 = object (class-agnostic), 1 = background.
  EXPECT_EQ(Ints(t->labels[0]), (std::vector<int64_t>{1, 1, 1, 1, 1, 0, 1, 1,  //
                                                      1, 1, 1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(Ints(t->labels[1]), (std::vector<int64_t>{1, 1, 1, 0}));
  // Weights: the positive and the six negatives; 6 and 9 ignored; outside anchors 0.
  EXPECT_EQ(Ints(t->label_weights[0]), (std::vector<int64_t>{0, 0, 0, 0, 0, 1, 0, 1,  //
                                                             0, 0, 1, 1, 0, 1, 1, 1}));
  EXPECT_EQ(Ints(t->label_weights[1]), (std::vector<int64_t>{0, 0, 0, 1}));
  EXPECT_EQ(Ints(t->bbox_weights[0].select(2, 0)),
            (std::vector<int64_t>{0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(Ints(t->bbox_weights[1].select(2, 0)), (std::vector<int64_t>{0, 0, 0, 1}));
  EXPECT_EQ(t->num_total_pos, 2);
  EXPECT_EQ(t->num_total_neg, 6);
  EXPECT_DOUBLE_EQ(t->num_total_samples, 8);
  // Every logit 0: log 2 per weighted anchor over 8 samples, summed over levels.
  const DenseOutputs out = head->forward(TwoLevelFeats());
  auto losses = head->Loss(out, TwoGts(false), Metas(40, 40),
                           Parse<config::AssignConfig>(kRpnAssign));
  ASSERT_TRUE(losses.ok()) << losses.status();
  EXPECT_NEAR((*losses)[0].second.item<double>(), std::log(2.0), 1e-6);

  // In a 32x32 image the border is strict: anchors ending at x2 = 32 or y2 = 32 are outside,
  // leaving level-0 anchors 5, 6, 9, 10 (6 and 9 ignored) and no level-1 anchor, so B (best
  // inside IoU 0.25 < min_pos_iou) gets no positive.
  auto border = anchor_head->GetTargets({{4, 4}, {2, 2}}, torch::kCPU, TwoGts(false),
                                        Metas(32, 32), Parse<config::AssignConfig>(kRpnAssign));
  ASSERT_TRUE(border.ok()) << border.status();
  EXPECT_EQ(Ints(border->label_weights[0]), (std::vector<int64_t>{0, 0, 0, 0, 0, 1, 0, 0,  //
                                                                  0, 0, 1, 0, 0, 0, 0, 0}));
  EXPECT_EQ(Ints(border->label_weights[1]), (std::vector<int64_t>{0, 0, 0, 0}));
  EXPECT_EQ(border->num_total_pos, 1);

  // RandomSampler (num 4, half positive, no gts added): both positives and 2 of the 6
  // negatives, averaged over the 4 samples.
  auto sampled = anchor_head->GetTargets(
      {{4, 4}, {2, 2}}, torch::kCPU, TwoGts(false), Metas(40, 40),
      Parse<config::AssignConfig>(absl::StrCat(
          kRpnAssign,
          "sampler { random_sampler { num: 4 pos_fraction: 0.5 add_gt_as_proposals: false } }")));
  ASSERT_TRUE(sampled.ok()) << sampled.status();
  EXPECT_DOUBLE_EQ(sampled->num_total_samples, 4);
  const auto w0 = Ints(sampled->label_weights[0]), w1 = Ints(sampled->label_weights[1]);
  EXPECT_EQ(w0[5], 1);
  EXPECT_EQ(w1[3], 1);
  EXPECT_EQ(w0[6] + w0[9], 0);
  int64_t sum = 0;
  for (int64_t w : w0) sum += w;
  for (int64_t w : w1) sum += w;
  EXPECT_EQ(sum, 4);
}

// MMDetection's RandomSampler default adds the gts as proposals, which a dense head cannot use
// (v2.0 indexed its anchor targets with the shifted indices): a config error naming the field.
TEST(AnchorHeadTest, RpnWithTheDefaultRandomSamplerIsAConfigError) {
  auto head = Zeroed(absl::StrCat("rpn_head { in_channels: 4 feat_channels: 4 ",
                                  kTwoLevelAnchors, " }"));
  ASSERT_NE(head, nullptr);
  auto losses = head->Loss(head->forward(TwoLevelFeats()), TwoGts(false), Metas(40, 40),
                           Parse<config::AssignConfig>(absl::StrCat(
                               kRpnAssign, "sampler { random_sampler {} }")));
  ASSERT_FALSE(losses.ok());
  EXPECT_THAT(std::string(losses.status().message()),
              ::testing::HasSubstr(
                  "train_cfg.rpn.sampler.random_sampler.add_gt_as_proposals: must be false"));
}

TEST(AnchorHeadTest, MultiLevelClassLabelsOfASingleStageHead) {
  auto head = Zeroed(absl::StrCat(
      "retina_head { num_classes: 2 in_channels: 4 feat_channels: 4 stacked_convs: 1 ",
      kTwoLevelAnchors, " }"));
  ASSERT_NE(head, nullptr);
  auto* anchor_head = dynamic_cast<AnchorHeadImpl*>(head.get());
  ASSERT_NE(anchor_head, nullptr);
  auto t = anchor_head->GetTargets({{4, 4}, {2, 2}}, torch::kCPU, TwoGts(true), Metas(40, 40),
                                   Parse<config::AssignConfig>(kRpnAssign));
  ASSERT_TRUE(t.ok()) << t.status();
  // A (label 1) at level-0 anchor 5, B (label 0) at level-1 anchor 3; background = 2.
  EXPECT_EQ(Ints(t->labels[0]), (std::vector<int64_t>{2, 2, 2, 2, 2, 1, 2, 2,  //
                                                      2, 2, 2, 2, 2, 2, 2, 2}));
  EXPECT_EQ(Ints(t->labels[1]), (std::vector<int64_t>{2, 2, 2, 0}));
  // Focal loss: every anchor, averaged over the positives only.
  EXPECT_DOUBLE_EQ(t->num_total_samples, 2);
}

}  // namespace
}  // namespace mmdet::models
