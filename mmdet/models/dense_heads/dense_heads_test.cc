// RPNHead and RetinaHead on hand-checkable inputs: zeroed weights make every logit 0 and every
// delta 0, so targets, averaging and proposals can be computed by hand.
#include "mmdet/models/dense_heads/dense_head.h"

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

}  // namespace
}  // namespace mmdet::models
