// robustness_eval on result files written by Python's pickle (tests/testdata, protocol 2 with
// numpy scalars and arrays, as mmcv.dump writes test_robustness's FILE_results.pkl):
//   COCO: clean AP 0.4 (AP50 0.6) for every metric; the 15 benchmark corruptions at severity s
//   0.4 - 0.02 s (AP50 + 0.2); the 4 holdout ones 0.1; segm 0.05 lower. So mPC(AP) = 0.34,
//   rPC = 85 %, and with --aggregate all mPC = (15 * 0.34 + 4 * 0.1) / 19 = 0.289.
//   VOC: 20 classes, clean AP 0.8, severity s 0.8 - 0.1 s: P 0.800, mPC 0.500, rPC 62.5 %.
// And tools:corrupt writes what the library computes, with one-line errors.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mmdet/datasets/corruptions/corruptions.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "tests/cli_util.h"

namespace mmdet {
namespace {

using ::mmdet::testing::RunCli;
using ::testing::HasSubstr;

constexpr char kCoco[] = "tests/testdata/robustness_coco_results.pkl";
constexpr char kVoc[] = "tests/testdata/robustness_voc_results.pkl";

std::string Tmp() { return std::getenv("TEST_TMPDIR"); }

TEST(RobustnessEvalCliTest, CocoSummaryLayoutAndMetricLines) {
  auto r = RunCli("tools/robustness_eval", {kCoco, "--prints", "P", "mPC", "rPC"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\nmodel: robustness_coco_results.pkl\n"
                               "Performance on Clean Data [P] (bbox)\n"
                               " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.400\n"
                               " Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.600\n"));
  EXPECT_THAT(r.out, HasSubstr("Mean Performance under Corruption [mPC] (bbox)\n"
                               " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.340\n"
                               " Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.540\n"));
  EXPECT_THAT(r.out, HasSubstr("Realtive Performance under Corruption [rPC] (bbox)\n"
                               " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.850\n"));
  EXPECT_THAT(r.out, HasSubstr(" Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = 0.850\n"));

  auto lines = RunCli("tools/robustness_eval", {kCoco, "--task", "bbox", "segm", "--metric", "AP",
                                                "AP50", "--prints", "mPC", "rPC", "--aggregate",
                                                "benchmark"});
  ASSERT_EQ(lines.exit_code, 0) << lines.err;
  EXPECT_THAT(lines.out, HasSubstr("Mean Performance under Corruption [mPC] (bbox)\nAP    =  0.340\nAP50  =  0.540\n"
                                   "Relative Performance under Corruption [rPC] (bbox)\nAP    => 85.0 %\nAP50  => 90.0 %\n"));
  EXPECT_THAT(lines.out, HasSubstr("Mean Performance under Corruption [mPC] (segm)\nAP    =  0.290\n"));
  auto all = RunCli("tools/robustness_eval", {kCoco, "--metric", "AP", "--aggregate", "all"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_THAT(all.out, HasSubstr("AP    =  0.289\n"));
}

TEST(RobustnessEvalCliTest, VocMeanAp50) {
  auto r = RunCli("tools/robustness_eval", {kVoc, "--dataset", "voc", "--prints", "P", "mPC", "rPC"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Performance on Clean Data [P] in AP50 = 0.800\n"
                               "Mean Performance under Corruption [mPC] in AP50 = 0.500\n"
                               "Realtive Performance under Corruption [rPC] in % = 62.5\n"));
}

TEST(RobustnessEvalCliTest, BadInputIsOneLineAndExitTwo) {
  struct Case {
    std::vector<std::string> args;
    const char* message;
  } cases[] = {
      {{kCoco, "--task", "keypoints"}, "--task keypoints"},
      {{kCoco, "--metric", "mAP"}, "--metric mAP"},
      {{kCoco, "--prints", "all"}, "--prints all"},
      {{kCoco, "--dataset", "voc"}, "expected 20 per-class results"},
      {{Tmp() + "/none.pkl"}, "none.pkl"},
  };
  for (const Case& c : cases) {
    auto r = RunCli("tools/robustness_eval", c.args);
    EXPECT_EQ(r.exit_code, 2) << c.message << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.message));
  }
}

TEST(CorruptCliTest, WritesWhatTheLibraryComputes) {
  cv::Mat img(48, 64, CV_8UC3);
  cv::randu(img, cv::Scalar(0, 0, 0), cv::Scalar(256, 256, 256));
  cv::GaussianBlur(img, img, {5, 5}, 2);
  const std::string in = Tmp() + "/photo.jpg";
  ASSERT_TRUE(cv::imwrite(in, img));
  auto r = RunCli("tools/corrupt", {in, "--corruption", "fog", "--severity", "2", "--seed", "3",
                                    "--out", Tmp() + "/out"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, Tmp() + "/out/photo.png\n");
  const cv::Mat written = cv::imread(Tmp() + "/out/photo.png", cv::IMREAD_COLOR);
  const cv::Mat loaded = cv::imread(in, cv::IMREAD_COLOR);
  datasets::CorruptionRng rng =
      datasets::MakeCorruptionRng(3, datasets::CorruptionImageKey("photo.jpg"), "fog", 2);
  auto want = datasets::Corrupt(loaded, "fog", 2, rng);
  ASSERT_TRUE(want.ok()) << want.status();
  EXPECT_EQ(cv::norm(written, *want, cv::NORM_INF), 0);  // PNG is lossless
  auto unknown = RunCli("tools/corrupt", {in, "--corruption", "rain", "--out", Tmp() + "/o"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("unknown corruption 'rain'"));
  auto missing = RunCli("tools/corrupt", {Tmp() + "/none.jpg", "--corruption", "fog", "--out", Tmp() + "/o"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("none.jpg"));
  auto frost = RunCli("/usr/bin/env", {"-u", "IMAGECORRUPTIONS_FROST", "tools/corrupt", in,
                                       "--corruption", "frost", "--out", Tmp() + "/o"});
  EXPECT_EQ(frost.exit_code, 2);
  EXPECT_THAT(frost.err, HasSubstr("--frost-dir"));
}

}  // namespace
}  // namespace mmdet
