// bbox_flip / bbox_mapping(_back) and merge_aug_* on hand-checkable numbers, with MMDetection
// v2.0's conventions (no +1 in flips; views averaged).
#include "mmdet/models/post_processing/merge_augs.h"

#include "gtest/gtest.h"
#include "mmdet/models/task_modules/bbox_transforms.h"
#include "torch/types.h"

namespace mmdet::models {
namespace {

ImageMeta View(float scale, bool flip, const std::string& direction, int64_t h, int64_t w) {
  ImageMeta m;
  m.ori_shape = {50, 100, 3};
  m.img_shape = {h, w, 3};
  m.scale_factor = {scale, scale, scale, scale};
  m.flip = flip;
  m.flip_direction = flip ? direction : "";
  return m;
}

TEST(BboxMappingTest, FlipsWithoutThePlusOneAndRoundTrips) {
  const torch::Tensor box = torch::tensor({{10.f, 20.f, 30.f, 40.f}});
  EXPECT_TRUE(torch::equal(BboxFlip(box, {50, 100, 3}, "horizontal"),
                           torch::tensor({{70.f, 20.f, 90.f, 40.f}})));
  EXPECT_TRUE(torch::equal(BboxFlip(box, {50, 100, 3}, "vertical"),
                           torch::tensor({{10.f, 10.f, 30.f, 30.f}})));
  // Scaled 2x then flipped in the 200x100 view.
  EXPECT_TRUE(torch::equal(BboxMapping(box, {100, 200, 3}, {2, 2, 2, 2}, true, "horizontal"),
                           torch::tensor({{140.f, 40.f, 180.f, 80.f}})));
  for (const char* direction : {"horizontal", "vertical"}) {
    const torch::Tensor there = BboxMapping(box, {100, 200, 3}, {2, 2, 2, 2}, true, direction);
    EXPECT_TRUE(torch::allclose(BboxMappingBack(there, {100, 200, 3}, {2, 2, 2, 2}, true, direction),
                                box))
        << direction;
  }
  // Per-class boxes [n, 4C] map back column block by block.
  const torch::Tensor two = torch::tensor({{140.f, 40.f, 180.f, 80.f, 0.f, 0.f, 200.f, 100.f}});
  EXPECT_TRUE(torch::equal(BboxMappingBack(two, {100, 200, 3}, {2, 2, 2, 2}, true, "horizontal"),
                           torch::tensor({{10.f, 20.f, 30.f, 40.f, 0.f, 0.f, 100.f, 50.f}})));
}

TEST(MergeAugsTest, BboxesAndScoresAreAveragedInTheOriginalFrame) {
  const std::vector<ImageMeta> metas = {View(2, false, "", 100, 200),
                                        View(1, true, "horizontal", 50, 100)};
  // Both views see the original box [10, 20, 30, 40] (up to a 2 px disagreement in x1).
  const std::vector<torch::Tensor> bboxes = {torch::tensor({{20.f, 40.f, 60.f, 80.f}}),
                                             torch::tensor({{70.f, 20.f, 88.f, 40.f}})};
  const std::vector<torch::Tensor> scores = {torch::tensor({{0.6f, 0.4f}}),
                                             torch::tensor({{0.8f, 0.2f}})};
  auto [b, s] = MergeAugBboxes(bboxes, scores, metas);
  EXPECT_TRUE(torch::allclose(b, torch::tensor({{11.f, 20.f, 30.f, 40.f}})));
  EXPECT_TRUE(torch::allclose(s, torch::tensor({{0.7f, 0.3f}})));
}

TEST(MergeAugsTest, MasksOfFlippedViewsAreFlippedBack) {
  const torch::Tensor m = torch::arange(8, torch::kFloat32).reshape({1, 1, 2, 4});
  const std::vector<ImageMeta> metas = {View(1, false, "", 50, 100),
                                        View(1, true, "horizontal", 50, 100)};
  EXPECT_TRUE(torch::equal(MergeAugMasks({m, m.flip({3})}, metas), m));
  const std::vector<ImageMeta> vertical = {View(1, false, "", 50, 100),
                                           View(1, true, "vertical", 50, 100)};
  EXPECT_TRUE(torch::equal(MergeAugMasks({m, m.flip({2})}, vertical), m));
  EXPECT_TRUE(torch::allclose(MergeAugMasks({m, m}, {metas[0], metas[0]}), m));
}

TEST(MergeAugsTest, ProposalsAreOneNmsOverEveryViewThenTheTopMaxNum) {
  const std::vector<ImageMeta> metas = {View(2, false, "", 100, 200),
                                        View(1, true, "horizontal", 50, 100)};
  // The same box seen by both views (suppressed once), and a second box only in view 0.
  const std::vector<torch::Tensor> proposals = {
      torch::tensor({{20.f, 40.f, 60.f, 80.f, 0.9f}, {100.f, 0.f, 160.f, 40.f, 0.5f}}),
      torch::tensor({{70.f, 20.f, 90.f, 40.f, 0.8f}})};
  config::ProposalConfig cfg;
  cfg.set_nms_thr(0.7f);
  cfg.set_max_num(10);
  const torch::Tensor merged = MergeAugProposals(proposals, metas, cfg);
  EXPECT_TRUE(torch::allclose(
      merged, torch::tensor({{10.f, 20.f, 30.f, 40.f, 0.9f}, {50.f, 0.f, 80.f, 20.f, 0.5f}})));
  cfg.set_max_num(1);
  EXPECT_EQ(MergeAugProposals(proposals, metas, cfg).size(0), 1);
}

}  // namespace
}  // namespace mmdet::models
