// The inference API on a shapes Mask R-CNN trained by `train`: InitDetector takes the
// checkpoint's classes; InferenceDetector(path) == InferenceDetector(cv::Mat) == a batch's
// row == what `test --out` saved for that image; ShowResult's pixels at a known box.
#include "mmdet/apis/inference.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mmdet/apis/show_result.h"
#include "mmdet/core/file_io.h"
#include "mmdet/evaluation/results.h"
#include "opencv2/imgcodecs.hpp"
#include "tests/cli_util.h"
#include "torch/cuda.h"
#include "torch/torch.h"

namespace mmdet {
namespace {

using ::mmdet::testing::RunCli;
using ::testing::HasSubstr;

constexpr char kConfig[] = "configs/shapes/mask_rcnn_r18_fpn_shapes.pbtxt";

std::string Tmp() { return std::getenv("TEST_TMPDIR"); }
std::string Checkpoint() { return Tmp() + "/train/epoch_1.pth"; }
std::string Root() { return Tmp() + "/shapes/"; }
std::vector<std::string> Overrides() {
  return {"data.train.coco_dataset.data_root=" + Root(),
          "data.test.coco_dataset.data_root=" + Root(), "test_cfg.rcnn.score_thr=0.0"};
}

void ExpectSameRow(const evaluation::DetectionResults& a, size_t i,
                   const evaluation::DetectionResults& b, size_t j) {
  ASSERT_EQ(a.bboxes[i].size(), b.bboxes[j].size());
  for (size_t c = 0; c < a.bboxes[i].size(); ++c) {
    EXPECT_TRUE(torch::equal(a.bboxes[i][c], b.bboxes[j][c])) << "class " << c;
    ASSERT_EQ(a.segms[i][c].size(), b.segms[j][c].size());
    for (size_t k = 0; k < a.segms[i][c].size(); ++k) {
      EXPECT_EQ(a.segms[i][c][k].counts, b.segms[j][c][k].counts);
    }
  }
}

class InferenceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto r = RunCli("tools/make_shapes_dataset", {"-o", Tmp() + "/shapes", "--num_train=4",
                                                  "--num_val=3", "--min_size=64",
                                                  "--max_size=96"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = RunCli("tools/train", {kConfig, "--work-dir", Tmp() + "/train", "--seed", "0",
                               "--no-validate", "--options", "total_epochs=1", "--cfg-options",
                               "data.train.coco_dataset.data_root=" + Root(),
                               "data.workers_per_gpu=1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
};

TEST_F(InferenceTest, PathMatAndBatchGiveWhatTestSaved) {
  auto detector = apis::InitDetector(kConfig, Checkpoint(), "cpu", Overrides());
  ASSERT_TRUE(detector.ok()) << detector.status();
  EXPECT_EQ((*detector)->classes, (std::vector<std::string>{"rectangle", "circle", "triangle"}));
  const std::string image = Root() + "val/000001.jpg";
  auto from_path = apis::InferenceDetector(**detector, image);
  ASSERT_TRUE(from_path.ok()) << from_path.status();
  ASSERT_EQ(from_path->bboxes.size(), 1u);
  ASSERT_EQ(from_path->kind, evaluation::DetectionResults::kMasks);
  const cv::Mat mat = cv::imread(image, cv::IMREAD_COLOR);
  auto from_mat = apis::InferenceDetector(**detector, mat);
  ASSERT_TRUE(from_mat.ok()) << from_mat.status();
  ExpectSameRow(*from_path, 0, *from_mat, 0);
  const cv::Mat other = cv::imread(Root() + "val/000000.jpg", cv::IMREAD_COLOR);
  auto batch = apis::InferenceDetector(**detector, std::vector<cv::Mat>{other, mat});
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->bboxes.size(), 2u);
  ExpectSameRow(*batch, 1, *from_path, 0);

  // tools/test over the same images: its row for 000001.jpg is the API's result.
  std::vector<std::string> args = {kConfig, Checkpoint(), "--out", Tmp() + "/r.pkl",
                                   "--cfg-options"};
  for (const std::string& o : Overrides()) args.push_back(o);
  auto r = RunCli("tools/test", args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto saved = evaluation::LoadResultsPickle(Tmp() + "/r.pkl");
  ASSERT_TRUE(saved.ok()) << saved.status();
  ASSERT_EQ(saved->bboxes.size(), 3u);
  ExpectSameRow(*saved, 1, *from_path, 0);  // the val images in file order
  EXPECT_GT(from_path->bboxes[0][0].size(0) + from_path->bboxes[0][1].size(0) +
                from_path->bboxes[0][2].size(0),
            0);
}

TEST_F(InferenceTest, BadInputIsAnError) {
  auto bad_device = apis::InitDetector(kConfig, Checkpoint(), "gpu", Overrides());
  ASSERT_FALSE(bad_device.ok());
  EXPECT_THAT(std::string(bad_device.status().message()), HasSubstr("expected cpu, cuda or cuda:N"));
  auto missing = apis::InitDetector(kConfig, Tmp() + "/none.pth", "cpu", Overrides());
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("none.pth"));
  auto detector = apis::InitDetector(kConfig, Checkpoint(), "cpu", Overrides());
  ASSERT_TRUE(detector.ok()) << detector.status();
  auto no_image = apis::InferenceDetector(**detector, Tmp() + "/nothing.jpg");
  ASSERT_FALSE(no_image.ok());
  EXPECT_THAT(std::string(no_image.status().message()), HasSubstr("nothing.jpg"));
  auto gray = apis::InferenceDetector(**detector, cv::Mat(32, 32, CV_8UC1, cv::Scalar(0)));
  ASSERT_FALSE(gray.ok());
  EXPECT_THAT(std::string(gray.status().message()), HasSubstr("8-bit 3-channel BGR"));
}

TEST_F(InferenceTest, ImageDemoWritesThePictureOrNeedsADisplay) {
  std::vector<std::string> args = {Root() + "val/000001.jpg", kConfig, Checkpoint(), "--device",
                                   "cpu", "--out", Tmp() + "/demo.jpg", "--cfg-options"};
  for (const std::string& o : Overrides()) args.push_back(o);
  auto r = RunCli("demo/image_demo", args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const cv::Mat written = cv::imread(Tmp() + "/demo.jpg", cv::IMREAD_COLOR);
  const cv::Mat input = cv::imread(Root() + "val/000001.jpg", cv::IMREAD_COLOR);
  ASSERT_EQ(written.size(), input.size());
  auto shown = RunCli("/usr/bin/env", {"-u", "DISPLAY", "-u", "WAYLAND_DISPLAY", "demo/image_demo",
                                       Root() + "val/000001.jpg", kConfig, Checkpoint(),
                                       "--device", "cpu"});
  EXPECT_EQ(shown.exit_code, 2);
  EXPECT_THAT(shown.err, HasSubstr("no display (DISPLAY is not set); write the picture with --out"));
  auto gpu = RunCli("demo/image_demo", {Root() + "val/000001.jpg", kConfig, Checkpoint(), "--out",
                                        Tmp() + "/x.jpg", "--device", "cuda:0"});
  if (!torch::cuda::is_available()) {
    EXPECT_EQ(gpu.exit_code, 2);
    EXPECT_THAT(gpu.err, HasSubstr("CUDA is not available here (use --device cpu)"));
  }
}

TEST(ShowResultTest, DrawsGreenBoxesAboveTheThresholdOnly) {
  evaluation::DetectionResults result;
  result.kind = evaluation::DetectionResults::kBoxes;
  result.bboxes = {{torch::tensor({{10.f, 20.f, 60.f, 70.f, 0.9f}}),
                    torch::tensor({{70.f, 70.f, 90.f, 90.f, 0.25f}})}};  // not > 0.3
  const cv::Mat black(100, 120, CV_8UC3, cv::Scalar(0, 0, 0));
  const std::string out = Tmp() + "/drawn.png";
  auto drawn = apis::ShowResult(black, result, {"a", "b"}, 0.3, out);
  ASSERT_TRUE(drawn.ok()) << drawn.status();
  EXPECT_EQ(drawn->at<cv::Vec3b>(45, 10), cv::Vec3b(0, 255, 0));   // the left edge
  EXPECT_EQ(drawn->at<cv::Vec3b>(70, 35), cv::Vec3b(0, 255, 0));   // the bottom edge
  EXPECT_EQ(drawn->at<cv::Vec3b>(45, 35), cv::Vec3b(0, 0, 0));     // inside: no mask
  EXPECT_EQ(drawn->at<cv::Vec3b>(80, 70), cv::Vec3b(0, 0, 0));     // its left edge: not drawn
  const cv::Mat written = cv::imread(out, cv::IMREAD_COLOR);
  ASSERT_FALSE(written.empty());
  EXPECT_EQ(cv::norm(written, *drawn, cv::NORM_INF), 0);
  EXPECT_EQ(black.at<cv::Vec3b>(45, 10), cv::Vec3b(0, 0, 0));  // the input is left alone
}

}  // namespace
}  // namespace mmdet
