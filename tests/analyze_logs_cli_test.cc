// analyze_logs on committed logs in MMDetection v2.0's log.json format (mmcv 0.5 key order,
// a meta first line, val lines) and in a later mmcv's (time last, no "mode"): cal_train_time's
// block with hand-computed figures, plot_curve's PNG / PDF / SVG, and one-line errors.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mmdet/core/file_io.h"
#include "opencv2/imgcodecs.hpp"
#include "tests/cli_util.h"

namespace mmdet {
namespace {

using ::mmdet::testing::RunCli;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kV2[] = "tests/testdata/mmdet_v2_train.log.json";
constexpr char kLater[] = "tests/testdata/later_mmcv.log.json";

std::string Tmp() { return std::getenv("TEST_TMPDIR"); }

TEST(AnalyzeLogsCliTest, CalTrainTimePrintsMmdetectionsBlock) {
  // Epoch 1 times 0.9 | 0.5 0.7, epoch 2 1.0 | 0.4 0.6 (the first of each epoch dropped).
  auto r = RunCli("tools/analyze_logs", {"cal_train_time", kV2, kLater});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string("-----Analyze train time of ") + kV2 + "-----\n" +
                       "slowest epoch 1, average time is 0.6000\n"
                       "fastest epoch 2, average time is 0.5000\n"
                       "time std over epochs is 0.0500\n"
                       "average iter time: 0.5500 s/iter\n\n"
                       "-----Analyze train time of " + kLater + "-----\n" +
                       "slowest epoch 1, average time is 0.2500\n"
                       "fastest epoch 2, average time is 0.1500\n"
                       "time std over epochs is 0.0500\n"
                       "average iter time: 0.2000 s/iter\n\n");
  auto all = RunCli("tools/analyze_logs", {"cal_train_time", kV2, "--include-outliers"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_THAT(all.out, HasSubstr("slowest epoch 1, average time is 0.7000\n"
                                 "fastest epoch 2, average time is 0.6667\n"
                                 "time std over epochs is 0.0167\n"
                                 "average iter time: 0.6833 s/iter\n"));
}

TEST(AnalyzeLogsCliTest, PlotCurveWritesPngPdfAndSvg) {
  const std::string png = Tmp() + "/loss.png";
  auto r = RunCli("tools/analyze_logs", {"plot_curve", kV2, kLater, "--keys", "loss_cls",
                                         "loss_bbox", "--title", "losses", "--out", png});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string("plot curve of ") + kV2 + ", metric is loss_cls\n" +
                       "plot curve of " + kV2 + ", metric is loss_bbox\n" + "plot curve of " +
                       kLater + ", metric is loss_cls\n" + "plot curve of " + kLater +
                       ", metric is loss_bbox\nsave curve to: " + png + "\n");
  const cv::Mat image = cv::imread(png, cv::IMREAD_COLOR);
  ASSERT_EQ(image.cols, 640);
  ASSERT_EQ(image.rows, 480);
  // seaborn's "dark" axes background somewhere left of the middle, white around the axes.
  EXPECT_EQ(image.at<cv::Vec3b>(240, 150), cv::Vec3b(242, 234, 234));
  EXPECT_EQ(image.at<cv::Vec3b>(2, 2), cv::Vec3b(255, 255, 255));
  for (const char* ext : {".pdf", ".svg"}) {
    const std::string out = Tmp() + "/map" + ext;
    auto m = RunCli("tools/analyze_logs", {"plot_curve", kV2, "--keys", "bbox_mAP", "--legend",
                                           "faster", "--style", "whitegrid", "--out", out});
    ASSERT_EQ(m.exit_code, 0) << m.err;
    auto bytes = ReadFile(out);
    ASSERT_TRUE(bytes.ok());
    EXPECT_THAT(*bytes, StartsWith(ext[1] == 'p' ? "%PDF" : "<?xml")) << ext;
  }
}

TEST(AnalyzeLogsCliTest, BadInputIsOneLineAndExitTwo) {
  const std::string bad = Tmp() + "/bad.log.json";
  ASSERT_TRUE(WriteFileAtomically(bad, "{\"epoch\": 1, \"iter\": 5, \"time\": 0.1}\n{\"epoch\": 1,\n")
                  .ok());
  struct Case {
    std::vector<std::string> args;
    const char* message;
  } cases[] = {
      {{"plot_curve", kV2, "--keys", "segm_mAP", "--out", Tmp() + "/x.png"},
       "mmdet_v2_train.log.json does not contain metric segm_mAP (its keys: mode, iter, lr, time"},
      {{"plot_curve", kV2, "--legend", "a", "b", "--out", Tmp() + "/x.png"},
       "--legend: 2 entries for 1 curves"},
      {{"plot_curve", kV2, "--style", "neon", "--out", Tmp() + "/x.png"}, "--style neon"},
      {{"plot_curve", kV2, "--out", Tmp() + "/x.jpg"}, "x.jpg: expected a .png, .pdf or .svg"},
      {{"cal_train_time", Tmp() + "/missing.log.json"}, "missing.log.json"},
      {{"cal_train_time", bad}, "bad.log.json:2: malformed JSON"},
      {{"histogram", kV2}, "expected a task: plot_curve or cal_train_time"},
  };
  for (const Case& c : cases) {
    auto r = RunCli("tools/analyze_logs", c.args);
    EXPECT_EQ(r.exit_code, 2) << c.message << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.message));
    EXPECT_THAT(r.err, HasSubstr("analyze_logs: error: "));
  }
  auto window = RunCli("/usr/bin/env", {"-u", "DISPLAY", "-u", "WAYLAND_DISPLAY",
                                        "tools/analyze_logs", "plot_curve", kV2});
  EXPECT_EQ(window.exit_code, 2);
  EXPECT_THAT(window.err, HasSubstr("write the figure with --out"));
}

}  // namespace
}  // namespace mmdet
