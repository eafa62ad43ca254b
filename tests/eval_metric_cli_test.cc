// eval_metric end to end on a results.pkl written by Python (mmdet/core/pth/testdata): COCO
// metrics with MMDetection's keys as JSON on stdout, --format-only files, --options and
// --cfg-options, and one-line errors with exit code 2.
#include <cstdlib>
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

constexpr char kTool[] = "tools/eval_metric";
constexpr char kPkl[] = "mmdet/core/pth/testdata/results_bbox_p2.pkl";

// Two images, three categories; image 5 has one gt that its class-0 detection hits exactly.
std::string Config() {
  const std::string dir = std::getenv("TEST_TMPDIR");
  WriteTempFile("ann.json", R"({
    "images": [{"id": 5, "file_name": "a.jpg", "width": 200, "height": 200},
               {"id": 9, "file_name": "b.jpg", "width": 200, "height": 200}],
    "categories": [{"id": 1, "name": "x"}, {"id": 3, "name": "y"}, {"id": 7, "name": "z"}],
    "annotations": [{"id": 1, "image_id": 5, "category_id": 1, "bbox": [10.5, 20.25, 19.5, 19.75],
                     "area": 385.125, "iscrowd": 0}]})");
  return WriteTempFile("eval.pbtxt", "data { test { coco_dataset { ann_file: 'ann.json' "
                                     "data_root: '" + dir + "' test_mode: true } } }\n");
}

TEST(EvalMetricCliTest, CocoMetricsWithMmdetectionKeys) {
  const std::string cfg = Config();
  auto r = RunCli(kTool, {cfg, kPkl, "--eval", "bbox", "proposal_fast", "--options",
                          "classwise=True", "proposal_nums=(1,2,3)"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"bbox_mAP_50\": 1.0,"));
  EXPECT_THAT(r.out, HasSubstr("\"bbox_mAP_copypaste\": \"1.000 1.000 1.000 1.000 -1.000 -1.000\""));
  EXPECT_THAT(r.out, HasSubstr("\"AR@1\": 1"));
  EXPECT_THAT(r.err, HasSubstr(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | "
                               "maxDets=100 ] = 1.000"));
  EXPECT_THAT(r.err, HasSubstr("| category | AP    |"));
}

TEST(EvalMetricCliTest, FormatOnlyWritesTheServerFiles) {
  const std::string cfg = Config();
  const std::string prefix = std::string(std::getenv("TEST_TMPDIR")) + "/out/results";
  ASSERT_TRUE(MakeDirs(std::string(std::getenv("TEST_TMPDIR")) + "/out").ok());
  auto r = RunCli(kTool, {cfg, kPkl, "--format-only", "--eval-options",
                          "jsonfile_prefix=" + prefix});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto json = ReadFile(prefix + ".bbox.json");
  ASSERT_TRUE(json.ok());
  EXPECT_THAT(*json, HasSubstr("{\"image_id\": 5, \"bbox\": [10.5, 20.25, 19.5, 19.75], "
                               "\"score\": 0.8999999761581421, \"category_id\": 1}"));
}

TEST(EvalMetricCliTest, BadInputIsOneLineAndExitTwo) {
  const std::string cfg = Config();
  auto none = RunCli(kTool, {cfg, kPkl});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_THAT(none.err, HasSubstr("--eval METRIC ... or --format-only"));
  auto both = RunCli(kTool, {cfg, kPkl, "--eval", "bbox", "--format-only"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_THAT(both.err, HasSubstr("cannot be both specified"));
  auto metric = RunCli(kTool, {cfg, kPkl, "--eval", "mAP"});
  EXPECT_EQ(metric.exit_code, 2);
  EXPECT_THAT(metric.err, HasSubstr("allowed: bbox, segm, proposal, proposal_fast"));
  auto option = RunCli(kTool, {cfg, kPkl, "--eval", "bbox", "--options", "iou_thrs=x"});
  EXPECT_EQ(option.exit_code, 2);
  auto prefix = RunCli(kTool, {cfg, kPkl, "--format-only"});
  EXPECT_EQ(prefix.exit_code, 2);
  EXPECT_THAT(prefix.err, HasSubstr("jsonfile_prefix"));
  // --cfg-options point the test set elsewhere.
  auto moved = RunCli(kTool, {cfg, kPkl, "--eval", "bbox", "--cfg-options",
                              "data.test.coco_dataset.ann_file=missing.json"});
  EXPECT_EQ(moved.exit_code, 2);
  EXPECT_THAT(moved.err, HasSubstr("missing.json"));
  const std::string broken = WriteTempFile("broken.pkl", "\x80\x02]q");
  auto pkl = RunCli(kTool, {cfg, broken, "--eval", "bbox"});
  EXPECT_EQ(pkl.exit_code, 2);
  EXPECT_THAT(pkl.err, HasSubstr("broken.pkl"));
}

}  // namespace
}  // namespace mmdet
