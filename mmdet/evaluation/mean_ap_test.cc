// eval_map against hand-computed PR curves: area and 11-point AP, duplicates and ignored gts,
// classes without gts, scale ranges.
#include "mmdet/evaluation/mean_ap.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmdet::evaluation {
namespace {

// One class, one image: two gts; by score a match, a false positive, a match.
// tp [1, 0, 1], recall [0.5, 0.5, 1], precision [1, 0.5, 2/3].
MeanApResult TwoGtsThreeDets(bool voc07) {
  MapAnnotation ann;
  ann.bboxes = {{0, 0, 10, 10}, {20, 20, 30, 30}};
  ann.labels = {0, 0};
  std::vector<std::vector<std::vector<Detection>>> dets = {
      {{{{0, 0, 10, 10}, 0.9f}, {{50, 50, 60, 60}, 0.8f}, {{20, 20, 30, 30}, 0.7f}}}};
  MapOptions options;
  options.voc07 = voc07;
  return EvalMap(dets, {ann}, options);
}

TEST(MeanApTest, AreaUnderTheEnvelope) {
  const MeanApResult r = TwoGtsThreeDets(false);
  ASSERT_EQ(r.classes.size(), 1u);
  const ClassMapResult& c = r.classes[0];
  EXPECT_EQ(c.num_gts[0], 2);
  EXPECT_EQ(c.num_dets, 3);
  EXPECT_EQ(c.recall[0], (std::vector<double>{0.5, 0.5, 1.0}));
  EXPECT_EQ(c.precision[0], (std::vector<float>{1.f, 0.5f, 2.f / 3.f}));
  // (0.5 - 0) * 1 + (1 - 0.5) * 2/3 (the envelope after recall 0.5 is 2/3).
  const float expected = static_cast<float>(0.5 * 1.0 + 0.5 * static_cast<double>(2.f / 3.f));
  EXPECT_EQ(c.ap[0], expected);
  EXPECT_EQ(r.mean_ap[0], expected);
}

TEST(MeanApTest, ElevenPointsForVoc2007) {
  const MeanApResult r = TwoGtsThreeDets(true);
  // Recall >= 0, 0.1, ..., 0.5: best precision 1; >= 0.6 ... 1.0: 2/3 (float32 sums).
  float sum = 0.f;
  for (int i = 0; i < 6; ++i) sum += 1.f;
  for (int i = 0; i < 5; ++i) sum += 2.f / 3.f;
  EXPECT_EQ(r.classes[0].ap[0], sum / 11);
}

TEST(MeanApTest, DuplicatesAreFalsePositivesAndIgnoredGtsCountNeither) {
  MapAnnotation ann;
  ann.bboxes = {{0, 0, 10, 10}};
  ann.labels = {0};
  ann.bboxes_ignore = {{40, 40, 50, 50}};
  ann.labels_ignore = {0};
  // Class 1 has detections but no gt anywhere: left out of the mean.
  std::vector<std::vector<std::vector<Detection>>> dets = {
      {{{{0, 0, 10, 10}, 0.9f}, {{0, 0, 10, 9}, 0.8f}, {{40, 40, 50, 50}, 0.95f}},
       {{{5, 5, 8, 8}, 0.5f}}}};
  const MeanApResult r = EvalMap(dets, {ann}, MapOptions());
  const ClassMapResult& c = r.classes[0];
  EXPECT_EQ(c.num_gts[0], 1);  // the ignored box is not counted
  // Sorted: the ignored-gt hit (tp 0, fp 0), the match, the duplicate (fp).
  EXPECT_EQ(c.recall[0], (std::vector<double>{0.0, 1.0, 1.0}));
  EXPECT_EQ(c.precision[0][0], 0.f);  // 0 / max(0, eps)
  EXPECT_EQ(c.precision[0][1], 1.f);
  EXPECT_EQ(c.precision[0][2], 0.5f);
  EXPECT_EQ(c.ap[0], 1.f);
  EXPECT_EQ(r.classes[1].num_gts[0], 0);
  EXPECT_EQ(r.mean_ap[0], 1.f);  // class 1 has no gt
}

TEST(MeanApTest, ScaleRangesSelectGtsAndDetections) {
  MapAnnotation ann;
  ann.bboxes = {{0, 0, 10, 10}, {100, 100, 200, 200}};  // areas 100 and 10000
  ann.labels = {0, 0};
  // A false positive of area 16 (small) and a match of the large gt.
  std::vector<std::vector<std::vector<Detection>>> dets = {
      {{{{300, 300, 304, 304}, 0.9f}, {{100, 100, 200, 200}, 0.8f}}}};
  MapOptions options;
  options.scale_ranges = {{0, 32}, {32, 1e5}};
  const MeanApResult r = EvalMap(dets, {ann}, options);
  const ClassMapResult& c = r.classes[0];
  EXPECT_EQ(c.num_gts, (std::vector<int64_t>{1, 1}));
  // Small: the fp counts, the large match is ignored there; the small gt is never found.
  EXPECT_EQ(c.ap[0], 0.f);
  // Large: the small fp is outside the range, so precision 1 at recall 1.
  EXPECT_EQ(c.ap[1], 1.f);
  EXPECT_EQ(r.mean_ap, (std::vector<float>{0.f, 1.f}));
}

TEST(MeanApTest, SummaryTable) {
  const MeanApResult r = TwoGtsThreeDets(false);
  const std::string table = MapSummaryTable(r, {"aeroplane"});
  EXPECT_THAT(table, ::testing::HasSubstr("| class     | gts | dets | recall | ap    |"));
  EXPECT_THAT(table, ::testing::HasSubstr("| aeroplane | 2   | 3    | 1.000  | 0.833 |"));
  EXPECT_THAT(table, ::testing::HasSubstr("| mAP       |     |      |        | 0.833 |"));
}

}  // namespace
}  // namespace mmdet::evaluation
