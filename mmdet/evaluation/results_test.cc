// results.pkl (written by Python: mmdet/core/pth/testdata/make_results_pkl.py) read as
// MMDetection's results and turned into its COCO results JSON, field by field.
#include "mmdet/evaluation/results.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include <ATen/ATen.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mmdet/datasets/coco_api.h"
#include "mmdet/evaluation/coco_results.h"

namespace mmdet::evaluation {
namespace {

using ::testing::HasSubstr;

constexpr char kDir[] = "mmdet/core/pth/testdata/";

TEST(ResultsTest, BoxResultsToCocoJson) {
  auto r = LoadResultsPickle(std::string(kDir) + "results_bbox_p2.pkl");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind, DetectionResults::kBoxes);
  ASSERT_EQ(r->bboxes.size(), 2u);
  auto json = ResultsToCocoJson(*r, {5, 9}, {1, 3, 7}, "bbox", "r.pkl");
  ASSERT_TRUE(json.ok()) << json.status();
  // xyxy2xywh in double from the float32 values; float(score) of a float32 0.9.
  EXPECT_THAT(*json, HasSubstr("{\"image_id\": 5, \"bbox\": [10.5, 20.25, 19.5, 19.75], "
                               "\"score\": 0.8999999761581421, \"category_id\": 1}"));
  EXPECT_THAT(*json, HasSubstr("{\"image_id\": 5, \"bbox\": [0, 0, 5, 5], \"score\": 0.125, "
                               "\"category_id\": 7}"));
  EXPECT_THAT(*json, HasSubstr("{\"image_id\": 9, \"bbox\": [100, 100, 50.5, 99], "
                               "\"score\": 0.75, \"category_id\": 3}"));
  // The JSON loads back as COCO results against a matching annotation file.
  auto gt = datasets::ParseCocoJson(R"({"images": [
      {"id": 5, "file_name": "a", "width": 200, "height": 200},
      {"id": 9, "file_name": "b", "width": 200, "height": 200}],
    "categories": [{"id": 1, "name": "x"}, {"id": 3, "name": "y"}, {"id": 7, "name": "z"}],
    "annotations": []})", "gt.json");
  ASSERT_TRUE(gt.ok());
  auto dts = ParseCocoResults(*json, "json", *gt, CocoEvalParams::kBbox);
  ASSERT_TRUE(dts.ok()) << dts.status();
  EXPECT_EQ(dts->size(), 4u);
  // Wrong counts are errors naming the file.
  auto classes = ResultsToCocoJson(*r, {5, 9}, {1, 3}, "bbox", "r.pkl");
  ASSERT_FALSE(classes.ok());
  EXPECT_THAT(std::string(classes.status().message()),
              HasSubstr("r.pkl: [0] has 3 classes but the annotation file has 2 categories"));
  auto images = ResultsToCocoJson(*r, {5}, {1, 3, 7}, "bbox", "r.pkl");
  ASSERT_FALSE(images.ok());
  EXPECT_THAT(std::string(images.status().message()), HasSubstr("2 images of results for 1"));
}

TEST(ResultsTest, MaskResultsToCocoJson) {
  auto r = LoadResultsPickle(std::string(kDir) + "results_mask_p4.pkl");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind, DetectionResults::kMasks);
  ASSERT_EQ(r->segms.size(), 2u);
  ASSERT_EQ(r->segms[0][0].size(), 2u);
  EXPECT_EQ(ops::Area(r->segms[0][2][0]), 3u);  // runs 5, 3, 16: three pixels
  auto json = ResultsToCocoJson(*r, {5, 9}, {1, 3, 7}, "segm", "m.pkl");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, HasSubstr("\"category_id\": 7, \"segmentation\": {\"size\": [4, 6], "
                               "\"counts\": \"53`0\"}}"));
  auto bbox = ResultsToCocoJson(*r, {5, 9}, {1, 3, 7}, "bbox", "m.pkl");
  ASSERT_TRUE(bbox.ok());
  EXPECT_THAT(*bbox, ::testing::Not(HasSubstr("segmentation")));
  // A box-only pkl has no masks to give.
  auto boxes = LoadResultsPickle(std::string(kDir) + "results_bbox_p2.pkl");
  ASSERT_TRUE(boxes.ok());
  EXPECT_FALSE(ResultsToCocoJson(*boxes, {5, 9}, {1, 3, 7}, "segm", "r.pkl").ok());
}

// What we write reads back the same (and, checked by hand with Python, pickle.load reads it
// with numpy and no torch: test.log has the path).
TEST(ResultsTest, SavedPickleRoundTrips) {
  for (const char* fixture : {"results_bbox_p2.pkl", "results_mask_p4.pkl"}) {
    auto r = LoadResultsPickle(std::string(kDir) + fixture);
    ASSERT_TRUE(r.ok()) << r.status();
    const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/ours_" + fixture;
    ASSERT_TRUE(SaveResultsPickle(path, *r).ok());
    std::printf("wrote %s\n", path.c_str());
    auto back = LoadResultsPickle(path);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->kind, r->kind);
    ASSERT_EQ(back->bboxes.size(), r->bboxes.size());
    for (size_t i = 0; i < r->bboxes.size(); ++i) {
      for (size_t c = 0; c < r->bboxes[i].size(); ++c) {
        EXPECT_TRUE(at::equal(back->bboxes[i][c], r->bboxes[i][c])) << fixture << i << c;
        if (r->kind == DetectionResults::kMasks) {
          ASSERT_EQ(back->segms[i][c].size(), r->segms[i][c].size());
          for (size_t k = 0; k < r->segms[i][c].size(); ++k) {
            EXPECT_EQ(ops::ToString(back->segms[i][c][k]), ops::ToString(r->segms[i][c][k]));
          }
        }
      }
    }
  }
}

TEST(ResultsTest, ResultsJsonRoundTrips) {
  for (const char* fixture : {"results_bbox_p2.pkl", "results_mask_p4.pkl"}) {
    auto r = LoadResultsPickle(std::string(kDir) + fixture);
    ASSERT_TRUE(r.ok()) << r.status();
    const std::string json = ResultsToJson(*r);
    auto back = ParseResultsJson(json, "results.json");
    ASSERT_TRUE(back.ok()) << back.status() << json;
    EXPECT_EQ(back->kind, r->kind);
    ASSERT_EQ(back->bboxes.size(), r->bboxes.size());
    for (size_t i = 0; i < r->bboxes.size(); ++i) {
      ASSERT_EQ(back->bboxes[i].size(), r->bboxes[i].size());
      for (size_t c = 0; c < r->bboxes[i].size(); ++c) {
        EXPECT_TRUE(at::equal(back->bboxes[i][c], r->bboxes[i][c])) << fixture;  // exact floats
        if (r->kind == DetectionResults::kMasks) {
          ASSERT_EQ(back->segms[i][c].size(), r->segms[i][c].size());
          for (size_t k = 0; k < r->segms[i][c].size(); ++k) {
            EXPECT_EQ(ops::ToString(back->segms[i][c][k]), ops::ToString(r->segms[i][c][k]));
          }
        }
      }
    }
  }
  EXPECT_THAT(ResultsToJson(*LoadResultsPickle(std::string(kDir) + "results_bbox_p2.pkl")),
              HasSubstr("{\"type\": \"bbox\", \"results\": [[[[10.5, 20.25, 30, 40, 0.9], "));
  auto bad = ParseResultsJson(R"({"type": "bbox", "results": [[[[1, 2, 3]]]]})", "r.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("r.json: results[0][0][0]"));
}

TEST(ResultsTest, MalformedResultsNameTheElement) {
  auto bad = ResultsFromValue(pth::Value::List({pth::Value::List({pth::Value::Int(3)})}), "x.pkl");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(std::string(bad.status().message()), "x.pkl: [0][0]: expected an (n, 5) array");
  EXPECT_FALSE(ResultsFromValue(pth::Value::Dict(), "x.pkl").ok());
}

}  // namespace
}  // namespace mmdet::evaluation
