// COCOeval on hand-built cases with known answers, and the numpy semantics it depends on.
#include "mmdet/evaluation/coco_eval.h"

#include <cmath>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mmdet/datasets/coco_api.h"
#include "mmdet/evaluation/coco_results.h"
#include "mmdet/evaluation/numpy_compat.h"

namespace mmdet::evaluation {
namespace {

TEST(NumpyCompatTest, LinspaceGivesNumpysDoubles) {
  const std::vector<double> iou = Linspace(.5, 0.95, 10);
  ASSERT_EQ(iou.size(), 10u);
  EXPECT_EQ(iou[0], 0.5);
  EXPECT_EQ(iou[5], 0.75);
  EXPECT_EQ(iou[8], 0.8999999999999999);  // not 0.9
  EXPECT_EQ(iou[9], 0.95);
  const std::vector<double> rec = Linspace(0, 1, 101);
  ASSERT_EQ(rec.size(), 101u);
  // The ten values one ulp above i / 100, as numpy gives them.
  const std::vector<std::pair<int, double>> high = {
      {35, 0.35000000000000003}, {41, 0.41000000000000003}, {47, 0.47000000000000003},
      {57, 0.5700000000000001},  {69, 0.6900000000000001},  {70, 0.7000000000000001},
      {82, 0.8200000000000001},  {83, 0.8300000000000001},  {94, 0.9400000000000001},
      {95, 0.9500000000000001}};
  int one_ulp_high = 0;
  for (int i = 0; i <= 100; ++i) {
    if (rec[i] != i / 100.0) {
      ++one_ulp_high;
      EXPECT_EQ(rec[i], std::nextafter(i / 100.0, 2.0)) << i;
    }
  }
  EXPECT_EQ(one_ulp_high, 10);
  for (const auto& [i, v] : high) EXPECT_EQ(rec[i], v) << i;
  EXPECT_EQ(rec[100], 1.0);
}

TEST(NumpyCompatTest, PairwiseSumOrder) {
  // Below 8 values: left to right. 1e16 + 1 + 1 loses both ones that way.
  const double few[] = {1e16, 1.0, 1.0};
  EXPECT_EQ(PairwiseSum(few, 3), 1e16);
  // 8..128 values: 8 running sums combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)):
  // the 1s at positions 1..7 each start their own accumulator and survive as a group.
  std::vector<double> v(16, 0.0);
  v[0] = 1e16;
  for (int i = 1; i < 8; ++i) v[i] = 1.0;
  // r0 = 1e16, r1..r7 = 1: (1e16 + 1) + 2 -> 1e16 + 2 (1e16 + 1 rounds to 1e16), + 4 -> ...
  const double r0r1 = 1e16 + 1.0, r2r3 = 2.0, r4r5 = 2.0, r6r7 = 2.0;
  EXPECT_EQ(PairwiseSum(v.data(), v.size()), (r0r1 + r2r3) + (r4r5 + r6r7));
  double naive = 0;
  for (double x : v) naive += x;
  EXPECT_NE(PairwiseSum(v.data(), v.size()), naive);
}

TEST(NumpyCompatTest, ReductionAddsPairwiseSumsOfBuffers) {
  // numpy 1.24: v = [(i * 7919) % 10007 / 10007 for i in range(20000)];
  // np.add.reduce(v[v > -1]) = 9999.091336064754, np.mean = 0.4999545668032377, while one
  // pairwise sum over all 20000 values gives 9999.091336064756.
  std::vector<double> v;
  for (int64_t i = 0; i < 20000; ++i) v.push_back(static_cast<double>((i * 7919) % 10007) / 10007.0);
  EXPECT_EQ(ReduceSum(v.data(), v.size()), 9999.091336064754);
  EXPECT_EQ(PairwiseSum(v.data(), v.size()), 9999.091336064756);
  EXPECT_EQ(Mean(v), 0.4999545668032377);
}

// One image, one category unless given; boxes xywh.
CocoObject Gt(int64_t id, std::array<double, 4> box, bool crowd = false, int64_t image = 1,
              int64_t cat = 1) {
  CocoObject o;
  o.id = id;
  o.image_id = image;
  o.category_id = cat;
  o.bbox = box;
  o.area = box[2] * box[3];
  o.iscrowd = crowd;
  return o;
}

CocoObject Dt(int64_t id, std::array<double, 4> box, double score, int64_t image = 1,
              int64_t cat = 1) {
  CocoObject o = Gt(id, box, false, image, cat);
  o.score = score;
  return o;
}

std::array<double, 12> Stats(std::vector<CocoObject> gts, std::vector<CocoObject> dts,
                             std::vector<int64_t> images = {1}, std::vector<int64_t> cats = {1},
                             std::vector<std::string>* lines = nullptr) {
  CocoEval eval(std::move(gts), std::move(dts),
                CocoEvalParams::Defaults(CocoEvalParams::kBbox, images, cats));
  eval.Evaluate();
  eval.Accumulate();
  return eval.Summarize(lines);
}

TEST(CocoEvalTest, PerfectDetectionsScoreOne) {
  std::vector<std::string> lines;
  const auto s = Stats({Gt(1, {10, 10, 100, 100}), Gt(2, {200, 10, 20, 20})},
                       {Dt(1, {10, 10, 100, 100}, 0.9), Dt(2, {200, 10, 20, 20}, 0.8)}, {1},
                       {1}, &lines);
  EXPECT_EQ(s[0], 1.0);
  EXPECT_EQ(s[1], 1.0);
  EXPECT_EQ(s[2], 1.0);
  // One true positive alone: pycocotools' precision 1 / (1 + np.spacing(1)), one ulp below 1.
  EXPECT_EQ(s[3], 1.0 / (1.0 + kSpacingOfOne));  // the 20x20 box is small
  EXPECT_EQ(s[3], 0.9999999999999998);
  EXPECT_EQ(s[4], -1.0);  // no medium gt
  EXPECT_EQ(s[5], 0.9999999999999998);
  EXPECT_EQ(s[6], 0.5);  // maxDets 1: one of the two gts
  EXPECT_EQ(s[8], 1.0);
  ASSERT_EQ(lines.size(), 12u);
  EXPECT_EQ(lines[0],
            " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000");
  EXPECT_EQ(lines[1],
            " Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 1.000");
  EXPECT_EQ(lines[4],
            " Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = -1.000");
  EXPECT_EQ(lines[6],
            " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.500");
}

TEST(CocoEvalTest, NoDetectionsScoreZeroAndNoGtIsMinusOne) {
  const auto none = Stats({Gt(1, {10, 10, 100, 100})}, {});
  EXPECT_EQ(none[0], 0.0);
  EXPECT_EQ(none[8], 0.0);
  // Detections on an image without ground truth (and no gt anywhere): nothing to measure.
  const auto no_gt = Stats({}, {Dt(1, {10, 10, 50, 50}, 0.9)});
  for (double v : no_gt) EXPECT_EQ(v, -1.0);
}

TEST(CocoEvalTest, HalfMatchedAndAFalsePositiveFirst) {
  // Two gts; dts by score: a false positive, then a perfect match of gt 1. Recall 1/2.
  // Precision at recall <= 0.5 is 1/2 (tp 1 of 2 dts), 0 above: AP = 51 / 101 * 0.5.
  const auto s = Stats({Gt(1, {0, 0, 100, 100}), Gt(2, {300, 300, 100, 100})},
                       {Dt(1, {600, 600, 50, 50}, 0.9), Dt(2, {0, 0, 100, 100}, 0.8)});
  EXPECT_DOUBLE_EQ(s[0], 51.0 / 101 * 0.5);
  EXPECT_DOUBLE_EQ(s[8], 0.5);
}

TEST(CocoEvalTest, RecallOnAOneUlpHighThreshold) {
  // 20 gts, 7 found with precision 1: recall 7/20 = 0.35 exactly, but recThrs[35] is
  // 0.35000000000000003 > 0.35, so searchsorted puts it past the last recall: only 35
  // thresholds (0.00 .. 0.34) get precision 1 and AP@0.5 is 35 / 101, not 36 / 101.
  std::vector<CocoObject> gts, dts;
  for (int i = 0; i < 20; ++i) gts.push_back(Gt(i + 1, {i * 200.0, 0, 100, 100}));
  for (int i = 0; i < 7; ++i) dts.push_back(Dt(i + 1, {i * 200.0, 0, 100, 100}, 0.9 - i * 0.01));
  const auto s = Stats(gts, dts);
  EXPECT_DOUBLE_EQ(s[1], 35.0 / 101);
}

TEST(CocoEvalTest, CrowdGtAbsorbsDetectionsAndIsIgnored) {
  // A crowd region over the image: dts inside it match it (IoU = intersection / dt area)
  // and are ignored, not false positives; a regular gt is matched by its own dt.
  const auto s = Stats({Gt(1, {0, 0, 400, 400}, /*crowd=*/true), Gt(2, {500, 500, 100, 100})},
                       {Dt(1, {10, 10, 50, 50}, 0.95), Dt(2, {100, 100, 50, 50}, 0.94),
                        Dt(3, {500, 500, 100, 100}, 0.5)});
  EXPECT_DOUBLE_EQ(s[0], 1.0);
  EXPECT_DOUBLE_EQ(s[8], 1.0);
  // Without the crowd flag the two small dts are false positives ahead of the match.
  const auto plain = Stats({Gt(1, {0, 0, 400, 400}), Gt(2, {500, 500, 100, 100})},
                           {Dt(1, {10, 10, 50, 50}, 0.95), Dt(2, {100, 100, 50, 50}, 0.94),
                            Dt(3, {500, 500, 100, 100}, 0.5)});
  EXPECT_LT(plain[0], 0.5);
}

TEST(CocoEvalTest, AreaRangesAreClosedAt32And96Squared) {
  // A gt of area exactly 32^2 is both small and medium; one of 96^2 both medium and large.
  const auto s = Stats({Gt(1, {0, 0, 32, 32}), Gt(2, {100, 100, 96, 96})},
                       {Dt(1, {0, 0, 32, 32}, 0.9), Dt(2, {100, 100, 96, 96}, 0.8)});
  EXPECT_DOUBLE_EQ(s[3], 1.0);  // small: the 32x32 one
  EXPECT_DOUBLE_EQ(s[4], 1.0);  // medium: both
  EXPECT_DOUBLE_EQ(s[5], 1.0);  // large: the 96x96 one
  EXPECT_DOUBLE_EQ(s[9], 1.0);
  EXPECT_DOUBLE_EQ(s[10], 1.0);
  EXPECT_DOUBLE_EQ(s[11], 1.0);
}

TEST(CocoEvalTest, MaxDetsTruncatesPerImage) {
  // 12 gts, 12 perfect dts in one image: maxDets 10 sees the 10 best (recall 10/12).
  std::vector<CocoObject> gts, dts;
  for (int i = 0; i < 12; ++i) {
    gts.push_back(Gt(i + 1, {i * 150.0, 0, 100, 100}));
    dts.push_back(Dt(i + 1, {i * 150.0, 0, 100, 100}, 0.99 - i * 0.01));
  }
  const auto s = Stats(gts, dts);
  EXPECT_DOUBLE_EQ(s[6], 1.0 / 12);
  EXPECT_DOUBLE_EQ(s[7], 10.0 / 12);
  EXPECT_EQ(s[8], 1.0);
}

TEST(CocoEvalTest, ImageWithDetectionsButNoGtCountsFalsePositives) {
  // Image 2 has no gt; its better-scoring dt is a false positive before the true match.
  const auto s = Stats({Gt(1, {0, 0, 100, 100}, false, 1)},
                       {Dt(1, {0, 0, 100, 100}, 0.5, 1), Dt(2, {0, 0, 100, 100}, 0.9, 2)},
                       {1, 2});
  EXPECT_DOUBLE_EQ(s[0], 0.5);  // precision 1/2 at recall 1
  EXPECT_EQ(s[8], 1.0);
}

TEST(CocoEvalTest, IgnoredGtStopsTheSearchOnceARegularOneMatched) {
  // Two gts overlapping one dt: a regular one (IoU 0.6) and an out-of-range... the break rule:
  // gts are sorted with ignored last; a dt matched to a regular gt never moves to an ignored
  // one even with a higher IoU. Here the crowd gt (ignored) has IoU 1 with the dt as
  // intersection over dt area, the regular gt 0.64: the dt matches the regular gt.
  const auto s = Stats({Gt(1, {0, 0, 100, 100}, /*crowd=*/true), Gt(2, {0, 0, 80, 80})},
                       {Dt(1, {0, 0, 80, 80}, 0.9)});
  EXPECT_DOUBLE_EQ(s[1], 1.0);  // matched the regular gt at IoU 1 (same box)
}

TEST(CocoEvalTest, ProposalModeIgnoresCategories) {
  CocoEvalParams p = CocoEvalParams::Defaults(CocoEvalParams::kBbox, {1}, {1, 2});
  p.use_cats = false;
  p.max_dets = {100, 300, 1000};
  // A box of category 2 matches a gt of category 1 when categories are not used.
  CocoEval eval({Gt(1, {0, 0, 100, 100}, false, 1, 1)}, {Dt(1, {0, 0, 100, 100}, 0.9, 1, 2)}, p);
  eval.Evaluate();
  eval.Accumulate();
  std::vector<std::string> lines;
  const auto s = eval.Summarize(&lines);
  EXPECT_DOUBLE_EQ(s[0], 1.0);  // maxDets 100 is in the list
  EXPECT_DOUBLE_EQ(s[8], 1.0);  // AR@1000
  EXPECT_EQ(lines[8],
            " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=1000 ] = 1.000");
}

constexpr char kGt[] = R"({
  "images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10},
             {"id": 2, "file_name": "b.jpg", "width": 10, "height": 10}],
  "categories": [{"id": 3, "name": "cat"}, {"id": 7, "name": "dog"}],
  "annotations": [
    {"id": 1, "image_id": 1, "category_id": 3, "bbox": [1, 1, 4, 4], "area": 16, "iscrowd": 0,
     "segmentation": [[1, 1, 5, 1, 5, 5, 1, 5]]}
  ]})";

TEST(CocoResultsTest, LoadResRules) {
  auto gt = datasets::ParseCocoJson(kGt, "gt.json");
  ASSERT_TRUE(gt.ok()) << gt.status();
  // A bbox file: area w * h, ids i + 1.
  auto boxes = ParseCocoResults(
      R"([{"image_id": 1, "category_id": 3, "bbox": [1, 1, 4, 2], "score": 0.5},
          {"image_id": 2, "category_id": 7, "bbox": [0, 0, 3, 3], "score": 0.25}])",
      "res.json", *gt, CocoEvalParams::kBbox);
  ASSERT_TRUE(boxes.ok()) << boxes.status();
  ASSERT_EQ(boxes->size(), 2u);
  EXPECT_EQ((*boxes)[0].id, 1);
  EXPECT_EQ((*boxes)[1].id, 2);
  EXPECT_EQ((*boxes)[0].area, 8);
  // A segm file without boxes: area from the RLE, bbox = toBbox.
  const std::string counts = ops::ToString(ops::FromPolygons({{2, 2, 6, 2, 6, 6, 2, 6}}, 10, 10));
  auto masks = ParseCocoResults(
      R"([{"image_id": 1, "category_id": 3, "segmentation": {"size": [10, 10], "counts": ")" +
          counts + R"("}, "score": 0.5}])",
      "res.json", *gt, CocoEvalParams::kSegm);
  ASSERT_TRUE(masks.ok()) << masks.status();
  const ops::Rle rle = ops::FromPolygons({{2, 2, 6, 2, 6, 6, 2, 6}}, 10, 10);
  EXPECT_EQ((*masks)[0].area, static_cast<double>(ops::Area(rle)));
  EXPECT_EQ((*masks)[0].bbox, ops::ToBbox(rle));
  // MMDetection's segm.json has both: the first result's bbox decides, area = w * h.
  auto both = ParseCocoResults(
      R"([{"image_id": 1, "category_id": 3, "bbox": [1, 1, 4, 2], "segmentation": {"size": [10, 10], "counts": ")" +
          counts + R"("}, "score": 0.5}])",
      "res.json", *gt, CocoEvalParams::kSegm);
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ((*both)[0].area, 8);
  EXPECT_EQ(ops::Area((*both)[0].rle), ops::Area(rle));
}

TEST(CocoResultsTest, BadResultsNameTheElement) {
  auto gt = datasets::ParseCocoJson(kGt, "gt.json");
  ASSERT_TRUE(gt.ok());
  auto error = [&](const std::string& json) {
    auto r = ParseCocoResults(json, "res.json", *gt, CocoEvalParams::kBbox);
    return r.ok() ? std::string() : std::string(r.status().message());
  };
  EXPECT_EQ(error(R"([{"image_id": 9, "category_id": 3, "bbox": [1, 1, 4, 2], "score": 0.5}])"),
            "res.json: [0].image_id: 9 is not an image of the annotation file");
  EXPECT_EQ(error(R"([{"image_id": 1, "category_id": 4, "bbox": [1, 1, 4, 2], "score": 0.5}])"),
            "res.json: [0].category_id: 4 is not a category of the annotation file");
  EXPECT_NE(error(R"([{"image_id": 1, "category_id": 3, "bbox": [1, 1, 4, 2]}])").find("score"),
            std::string::npos);
  EXPECT_NE(error(R"([{"image_id": 1, "category_id": 3, "bbox": [1, 1, 4], "score": 1}])")
                .find("[0].bbox"),
            std::string::npos);
  EXPECT_NE(error("[{").find("malformed JSON"), std::string::npos);
  EXPECT_NE(error("{}").find("top level"), std::string::npos);
}

}  // namespace
}  // namespace mmdet::evaluation
