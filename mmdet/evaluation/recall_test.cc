// eval_recalls and bbox_overlaps against hand-computed cases, with numpy's float32 and arange
// semantics.
#include "mmdet/evaluation/recall.h"

#include <cmath>

#include "gtest/gtest.h"
#include "mmdet/evaluation/numpy_compat.h"

namespace mmdet::evaluation {
namespace {

TEST(NumpyCompatTest, ArangeFillsWithTheFirstStep) {
  // np.arange(0.5, 0.96, 0.05) (MMDetection's proposal_fast thresholds).
  const std::vector<double> t = Arange(0.5, 0.96, 0.05);
  const std::vector<double> numpy = {0.5,
                                     0.55,
                                     0.6000000000000001,
                                     0.6500000000000001,
                                     0.7000000000000002,
                                     0.7500000000000002,
                                     0.8000000000000003,
                                     0.8500000000000003,
                                     0.9000000000000004,
                                     0.9500000000000004};
  EXPECT_EQ(t, numpy);
}

TEST(RecallTest, BboxOverlapsInFloat32) {
  const auto ious = BboxOverlaps({{0, 0, 10, 10}}, {{5, 5, 15, 15}, {20, 20, 30, 30}});
  ASSERT_EQ(ious.size(), 1u);
  EXPECT_EQ(ious[0][0], 25.f / 175.f);
  EXPECT_EQ(ious[0][1], 0.f);
  EXPECT_TRUE(BboxOverlaps({}, {{0, 0, 1, 1}}).empty());
}

TEST(RecallTest, GreedyPairingByHand) {
  // Image 1: gts A [0, 0, 10, 10], B [20, 20, 30, 30]; proposals by score: p3 (IoU 0.81 with B),
  // p1 (IoU 1 with A), p2 (IoU 0.5 with B). Image 2: proposals, no gt. Image 3: a gt, no
  // proposal (always missed).
  const std::vector<std::vector<FloatBox>> gts = {
      {{0, 0, 10, 10}, {20, 20, 30, 30}}, {}, {{0, 0, 5, 5}}};
  const std::vector<std::vector<Proposal>> props = {
      {{{0, 0, 10, 10}, 0.9f}, {{20, 20, 30, 25}, 0.8f}, {{21, 21, 30, 30}, 0.95f}},
      {{{0, 0, 3, 3}, 0.5f}},
      {}};
  const auto r = EvalRecalls(gts, props, {1, 2, 3}, {0.5, 0.75, 0.9});
  ASSERT_EQ(r.size(), 3u);
  // 1 proposal (p3): B at 0.81, A unpaired.
  EXPECT_EQ(r[0], (std::vector<double>{1.0 / 3, 1.0 / 3, 0.0}));
  // 2 (p3, p1): A takes p1 first (IoU 1 is the best remaining), then B takes p3.
  EXPECT_EQ(r[1], (std::vector<double>{2.0 / 3, 2.0 / 3, 1.0 / 3}));
  EXPECT_EQ(r[2], r[1]);
  const auto ar = AverageRecalls(r);
  EXPECT_DOUBLE_EQ(ar[1], (2.0 / 3 + 2.0 / 3 + 1.0 / 3) / 3);
}

TEST(RecallTest, ThresholdsCompareInFloat32) {
  // IoU 70 / 100 = float32(0.7); np.arange's 0.7000000000000002 is float32(0.7) too, so the gt
  // counts as recalled at that threshold (a double comparison would miss it).
  const std::vector<double> thrs = Arange(0.5, 0.96, 0.05);
  const auto r = EvalRecalls({{{0, 0, 10, 10}}}, {{{{0, 0, 10, 7}, 1.f}}}, {1}, thrs);
  EXPECT_EQ(r[0][4], 1.0);
  EXPECT_EQ(r[0][5], 0.0);
}

TEST(RecallTest, NoGtAtAllIsNan) {
  const auto r = EvalRecalls({{}}, {{{{0, 0, 1, 1}, 1.f}}}, {1}, {0.5});
  EXPECT_TRUE(std::isnan(r[0][0]));
}

}  // namespace
}  // namespace mmdet::evaluation
