// coco_eval end to end: pycocotools' summary lines on stdout, --out stats, stdin, classwise,
// proposal mode, and one-line errors with exit code 2.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mmdet/core/file_io.h"
#include "tests/cli_util.h"

namespace mmdet {
namespace {

using ::mmdet::testing::RunCli;
using ::mmdet::testing::WriteTempFile;
using ::testing::HasSubstr;

constexpr char kTool[] = "tools/coco_eval";

constexpr char kGt[] = R"({
  "images": [{"id": 1, "file_name": "a.jpg", "width": 200, "height": 200},
             {"id": 2, "file_name": "b.jpg", "width": 200, "height": 200}],
  "categories": [{"id": 1, "name": "person"}, {"id": 5, "name": "car"}],
  "annotations": [
    {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 100, 100], "area": 10000,
     "iscrowd": 0},
    {"id": 2, "image_id": 2, "category_id": 5, "bbox": [20, 20, 50, 50], "area": 2500,
     "iscrowd": 0}]})";

// Both gts found (one score each), plus a false positive below them.
constexpr char kResults[] = R"([
  {"image_id": 1, "category_id": 1, "bbox": [10, 10, 100, 100], "score": 0.9},
  {"image_id": 2, "category_id": 5, "bbox": [20, 20, 50, 50], "score": 0.8},
  {"image_id": 2, "category_id": 1, "bbox": [120, 120, 30, 30], "score": 0.1}])";

TEST(CocoEvalCliTest, PrintsSummaryLinesAndWritesStats) {
  const std::string gt = WriteTempFile("gt.json", kGt);
  const std::string res = WriteTempFile("res.json", kResults);
  const std::string out = WriteTempFile("stats.json", "");
  auto r = RunCli(kTool, {res, "--ann", gt, "--types", "bbox", "proposal", "--out", out,
                          "--classwise"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Evaluating bbox\n Average Precision  (AP) @[ IoU=0.50:0.95 | "
                               "area=   all | maxDets=100 ] = 1.000\n"));
  EXPECT_THAT(r.out, HasSubstr(" Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | "
                               "maxDets=1000 ] = 1.000\n"));
  // MMDetection's classwise table.
  EXPECT_THAT(r.out, HasSubstr("| category | AP    | category | AP    |"));
  EXPECT_THAT(r.out, HasSubstr("| person   | 1.000 | car      | 1.000 |"));
  auto stats = ReadFile(out);
  ASSERT_TRUE(stats.ok());
  EXPECT_THAT(*stats, HasSubstr("\"bbox\": [0.99999999999999978, "));  // 1 / (1 + 2^-52)
  EXPECT_THAT(*stats, HasSubstr("\"proposal\": ["));
}

TEST(CocoEvalCliTest, ProposalFastPrintsAverageRecalls) {
  const std::string gt = WriteTempFile("gt4.json", kGt);
  const std::string res = WriteTempFile("res4.json", kResults);
  auto r = RunCli(kTool, {res, "--ann", gt, "--types", "proposal_fast", "--max-dets", "1", "2",
                          "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Both gts are found exactly by each image's best proposal.
  EXPECT_THAT(r.out, HasSubstr("Evaluating proposal_fast\nAR@1\t= 1.0000\nAR@2\t= 1.0000\n"));
}

// results.pkl as MMDetection's test.py writes it (mmdet/core/pth/testdata, written by Python):
// 2 images x 3 classes of boxes; the gt has one box that image 0's class-0 detection hits.
TEST(CocoEvalCliTest, ReadsMmdetectionResultsPkl) {
  const std::string gt = WriteTempFile("gt_pkl.json", R"({
    "images": [{"id": 5, "file_name": "a", "width": 200, "height": 200},
               {"id": 9, "file_name": "b", "width": 200, "height": 200}],
    "categories": [{"id": 1, "name": "x"}, {"id": 3, "name": "y"}, {"id": 7, "name": "z"}],
    "annotations": [{"id": 1, "image_id": 5, "category_id": 1, "bbox": [10.5, 20.25, 19.5, 19.75],
                     "area": 385.125, "iscrowd": 0}]})");
  auto r = RunCli(kTool, {"mmdet/core/pth/testdata/results_bbox_p2.pkl", "--ann", gt});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(" Average Precision  (AP) @[ IoU=0.50      | area=   all | "
                               "maxDets=100 ] = 1.000"));
  const std::string two_cats = WriteTempFile("gt_pkl2.json", R"({
    "images": [{"id": 5, "file_name": "a", "width": 200, "height": 200},
               {"id": 9, "file_name": "b", "width": 200, "height": 200}],
    "categories": [{"id": 1, "name": "x"}, {"id": 3, "name": "y"}], "annotations": []})");
  auto bad = RunCli(kTool, {"mmdet/core/pth/testdata/results_bbox_p2.pkl", "--ann", two_cats});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("[0] has 3 classes but the annotation file has 2 categories"));
}

// Our results.json (the same content as the pkl) from stdin, as `test --out -` pipes it.
TEST(CocoEvalCliTest, ReadsOurResultsJsonFromStdin) {
  const std::string gt = WriteTempFile("gt_json.json", R"({
    "images": [{"id": 5, "file_name": "a", "width": 200, "height": 200},
               {"id": 9, "file_name": "b", "width": 200, "height": 200}],
    "categories": [{"id": 1, "name": "x"}, {"id": 3, "name": "y"}],
    "annotations": [{"id": 1, "image_id": 9, "category_id": 3, "bbox": [100, 100, 50, 99],
                     "area": 4950, "iscrowd": 0}]})");
  const std::string res = WriteTempFile("ours.json", R"({"type": "bbox", "results": [
    [[[0, 0, 5, 5, 0.125]], []],
    [[], [[100, 100, 150, 199, 0.75]]]]})");
  auto r = RunCli("/bin/sh", {"-c", std::string(kTool) + " - --ann " + gt + " < " + res});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(" Average Precision  (AP) @[ IoU=0.50      | area=   all | "
                               "maxDets=100 ] = 1.000"));
}

TEST(CocoEvalCliTest, ReadsResultsFromStdin) {
  const std::string gt = WriteTempFile("gt2.json", kGt);
  const std::string res = WriteTempFile("res2.json", kResults);
  auto r = RunCli("/bin/sh", {"-c", std::string(kTool) + " - --ann " + gt + " < " + res});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Evaluating bbox\n"));
  EXPECT_THAT(r.out, HasSubstr("= 1.000"));
}

TEST(CocoEvalCliTest, BadInputIsOneLineAndExitTwo) {
  const std::string gt = WriteTempFile("gt3.json", kGt);
  const std::string res = WriteTempFile("res3.json", kResults);
  auto no_ann = RunCli(kTool, {res});
  EXPECT_EQ(no_ann.exit_code, 2);
  EXPECT_THAT(no_ann.err, HasSubstr("--ann"));
  auto bad_type = RunCli(kTool, {res, "--ann", gt, "--types", "keypoints"});
  EXPECT_EQ(bad_type.exit_code, 2);
  EXPECT_THAT(bad_type.err, HasSubstr("allowed: bbox, segm, proposal"));
  const std::string bad_image = WriteTempFile(
      "bad_image.json", R"([{"image_id": 3, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1}])");
  auto image = RunCli(kTool, {bad_image, "--ann", gt});
  EXPECT_EQ(image.exit_code, 2);
  EXPECT_THAT(image.err, HasSubstr("bad_image.json: [0].image_id: 3 is not an image"));
  const std::string broken = WriteTempFile("broken.json", "[{\"image_id\": ");
  auto malformed = RunCli(kTool, {broken, "--ann", gt});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_THAT(malformed.err, HasSubstr("broken.json: malformed JSON"));
  auto missing = RunCli(kTool, {res, "--ann", "/nonexistent/gt.json"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("/nonexistent/gt.json"));
}

}  // namespace
}  // namespace mmdet
