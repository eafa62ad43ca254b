// browse_dataset end to end on a freshly generated shapes dataset: one drawn image per
// dataset image, paths on stdout, one-line errors with exit 2.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/imgcodecs.hpp"
#include "tests/cli_util.h"

namespace mmdet {
namespace {

using ::mmdet::testing::RunCli;
using ::testing::HasSubstr;

constexpr char kTool[] = "tools/browse_dataset";
constexpr char kConfig[] = "configs/_base_/datasets/shapes_instance.pbtxt";

class BrowseDatasetCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::string(std::getenv("TEST_TMPDIR")) + "/shapes";
    auto made = RunCli("tools/make_shapes_dataset",
                       {"-o", root_, "--num_train=3", "--num_val=2", "--min_size=40",
                        "--max_size=64"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }
  std::string root_;
};

TEST_F(BrowseDatasetCliTest, DrawsEveryTrainingImage) {
  const std::string out = std::string(std::getenv("TEST_TMPDIR")) + "/browse";
  auto result = RunCli(kTool, {kConfig, "--output-dir", out, "--out_ext=png", "--options",
                               "data.train.coco_dataset.data_root=" + root_ + "/"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::string> lines = absl::StrSplit(result.out, '\n', absl::SkipEmpty());
  ASSERT_FALSE(lines.empty());
  EXPECT_LE(lines.size(), 3u);  // images left without a shape are filtered out
  for (const std::string& path : lines) {
    cv::Mat image = cv::imread(path, cv::IMREAD_COLOR);
    ASSERT_FALSE(image.empty()) << path;
    EXPECT_EQ(image.cols % 32, 0);  // Pad ran; Normalize was skipped (displayable colours)
  }

  // The test split goes through MultiScaleFlipAug with ImageToTensor skipped.
  result = RunCli(kTool, {"--config", kConfig, "--output_dir", out, "--split", "test",
                          "--skip_type", "Normalize,ImageToTensor,Collect", "--max_images=1",
                          "--options", "data.test.coco_dataset.data_root=" + root_ + "/"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, out + "/000000.jpg\n");
}

TEST_F(BrowseDatasetCliTest, BadInputExitsTwoWithOneLine) {
  const std::string root = "data.train.coco_dataset.data_root=" + root_ + "/";
  auto result = RunCli(kTool, {kConfig, "--options", root});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("browse_dataset: error: --output_dir is required"));

  result = RunCli(kTool, {kConfig, "--output_dir=/tmp/x", "--split=trian", "--options", root});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("--split: expected train, val or test, got 'trian'"));

  ASSERT_EQ(std::remove((root_ + "/train/000000.jpg").c_str()), 0);
  ASSERT_EQ(std::remove((root_ + "/train/000001.jpg").c_str()), 0);
  ASSERT_EQ(std::remove((root_ + "/train/000002.jpg").c_str()), 0);
  result = RunCli(kTool, {kConfig, "--output_dir", std::string(std::getenv("TEST_TMPDIR")) + "/b",
                          "--options", root});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("instances_train.json: image 0 (0000"));
  EXPECT_THAT(result.err, HasSubstr("LoadImageFromFile"));
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1);
}

}  // namespace
}  // namespace mmdet
