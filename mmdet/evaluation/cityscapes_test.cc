// Cityscapes instance AP (cityscapesscripts' evalInstanceLevelSemanticLabeling) by hand.
#include "mmdet/evaluation/cityscapes.h"

#include <cmath>

#include <ATen/ATen.h>

#include "gtest/gtest.h"

namespace mmdet::evaluation {
namespace {

// 20 x 40 image: road (7) everywhere, void (0) in columns 30..39, a car 26001 (rows 0-9,
// cols 0-9: 100 px, just evaluated), a small person 24001 (rows 10-14, cols 0-9: 50 px, not
// evaluated) and a car group 26 (rows 10-19, cols 15-24).
at::Tensor Ids() {
  at::Tensor ids = at::full({20, 40}, 7, at::kInt);
  ids.narrow(1, 30, 10).fill_(0);
  ids.narrow(0, 0, 10).narrow(1, 0, 10).fill_(26001);
  ids.narrow(0, 10, 5).narrow(1, 0, 10).fill_(24001);
  ids.narrow(0, 10, 10).narrow(1, 15, 10).fill_(26);
  return ids;
}

at::Tensor Box(int64_t r, int64_t c, int64_t h, int64_t w) {
  at::Tensor m = at::zeros({20, 40}, at::kByte);
  m.narrow(0, r, h).narrow(1, c, w).fill_(1);
  return m;
}

CityscapesImage Image(double false_positive_score) {
  CityscapesImage image;
  image.instance_ids = Ids();
  image.predictions = {
      {Box(0, 0, 10, 10), 26, 0.9},                    // the car, exactly
      {Box(0, 12, 5, 10), 26, false_positive_score},   // a car on road: a false positive
      {Box(0, 30, 10, 10), 26, 0.97},                  // a car on void: ignored
      {Box(10, 15, 10, 10), 26, 0.99},                 // the car group: ignored
      {Box(10, 0, 5, 10), 24, 0.8},                    // the small person: ignored
      {Box(0, 0, 2, 2), 99, 0.5},                      // not an evaluated label: skipped
  };
  return image;
}

TEST(CityscapesTest, MatchesIgnoresAndAp) {
  const CityscapesAp r = EvaluateCityscapes({Image(0.3)});
  ASSERT_EQ(r.classes.size(), 8u);
  EXPECT_EQ(r.classes[2], "car");
  ASSERT_EQ(r.overlaps.size(), 10u);
  EXPECT_EQ(r.overlaps[2], 0.6000000000000001);  // np.arange(0.5, 1., 0.05)
  // car: the true positive outscores the only false positive: AP 1 at every overlap.
  for (double ap : r.ap[2]) EXPECT_EQ(ap, 1.0);
  // person: its only gt is below 100 px: no gt to evaluate -> NaN, left out of the means.
  EXPECT_TRUE(std::isnan(r.ap[0][0]));
  EXPECT_EQ(r.all_ap, 1.0);
  EXPECT_EQ(r.all_ap50, 1.0);
}

TEST(CityscapesTest, StepwiseIntegration) {
  // The false positive now scores above the match: precision 1/2 at recall 1, then 0 at
  // recall 0; the script's half-width steps give 0.5 * 0.5 = 0.25.
  const CityscapesAp r = EvaluateCityscapes({Image(0.95)});
  EXPECT_EQ(r.ap[2][0], 0.25);
  EXPECT_EQ(r.all_ap50, 0.25);
}

TEST(CityscapesTest, MissedGtsAreHardFalseNegatives) {
  CityscapesImage image;
  image.instance_ids = Ids();
  image.predictions = {{Box(0, 12, 5, 10), 26, 0.5}};  // only the false positive
  const CityscapesAp r = EvaluateCityscapes({image});
  EXPECT_EQ(r.ap[2][0], 0.0);  // recall 0 everywhere
  // With no prediction of a class that has gts, AP is 0 (not NaN).
  image.predictions.clear();
  EXPECT_EQ(EvaluateCityscapes({image}).ap[2][0], 0.0);
}

}  // namespace
}  // namespace mmdet::evaluation
