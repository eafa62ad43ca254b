// The inference API on a shapes Mask R-CNN trained by `train`: InitDetector takes the
// checkpoint's classes; InferenceDetector(path) == InferenceDetector(cv::Mat) == a batch's
// row == what `test --out` saved for that image == the async API's result at any concurrency;
// image_demo, video_demo, inference_demo (the GETTING_STARTED snippet), webcam_demo without a
// display, async_benchmark and benchmark; ShowResult's pixels at a known box.
#include "mmdet/apis/inference.h"

#include <unistd.h>

#include <algorithm>
#include <future>
#include <string>
#include <vector>

#include "ATen/Parallel.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mmdet/apis/async_inference.h"
#include "mmdet/apis/show_result.h"
#include "mmdet/core/file_io.h"
#include "mmdet/evaluation/results.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "opencv2/videoio.hpp"
#include "tests/cli_util.h"
#include "torch/cuda.h"
#include "torch/types.h"

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

// The same detections: same count per class, boxes within 1e-3 px and scores within 1e-5
// (the golden tests' tolerances), the same masks. Not bit for bit: a batch of two pads both
// images to one shape, and oneDNN may then block the convolutions differently, which moves
// float results in the last bits on some CPUs (seen on AVX2-only machines, not on AVX-512).
void ExpectSameRow(const evaluation::DetectionResults& a, size_t i,
                   const evaluation::DetectionResults& b, size_t j) {
  ASSERT_EQ(a.bboxes[i].size(), b.bboxes[j].size());
  for (size_t c = 0; c < a.bboxes[i].size(); ++c) {
    const torch::Tensor& x = a.bboxes[i][c];
    const torch::Tensor& y = b.bboxes[j][c];
    ASSERT_EQ(x.sizes(), y.sizes()) << "class " << c;
    if (x.numel() > 0) {
      EXPECT_LE((x.narrow(1, 0, 4) - y.narrow(1, 0, 4)).abs().max().item<float>(), 1e-3f)
          << "class " << c;
      EXPECT_LE((x.narrow(1, 4, 1) - y.narrow(1, 4, 1)).abs().max().item<float>(), 1e-5f)
          << "class " << c;
    }
    ASSERT_EQ(a.segms[i][c].size(), b.segms[j][c].size());
    for (size_t k = 0; k < a.segms[i][c].size(); ++k) {
      EXPECT_EQ(a.segms[i][c][k].counts, b.segms[j][c][k].counts);
    }
  }
}

class InferenceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto r = testing::MakeTinyShapes(Tmp() + "/shapes", 4, 3);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = testing::TrainOneEpoch(kConfig, Tmp() + "/train", Root());
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
  // Float results depend on the thread count (oneDNN and reductions split the work), so the
  // tool runs on as many threads as this process.
  std::vector<std::string> args = {kConfig, Checkpoint(), "--out", Tmp() + "/r.pkl",
                                   "--threads", std::to_string(at::get_num_threads()),
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

TEST_F(InferenceTest, AsyncResultsDoNotDependOnTheConcurrency) {
  auto detector = apis::InitDetector(kConfig, Checkpoint(), "cpu", Overrides());
  ASSERT_TRUE(detector.ok()) << detector.status();
  const std::vector<cv::Mat> images = {cv::imread(Root() + "val/000000.jpg", cv::IMREAD_COLOR),
                                       cv::imread(Root() + "val/000001.jpg", cv::IMREAD_COLOR),
                                       cv::imread(Root() + "val/000002.jpg", cv::IMREAD_COLOR)};
  auto sync = apis::InferenceDetector(**detector, images);
  ASSERT_TRUE(sync.ok()) << sync.status();
  // A second model in flight at the same time (the same weights, its own Detector).
  auto other = apis::InitDetector(kConfig, Checkpoint(), "cpu", Overrides());
  ASSERT_TRUE(other.ok()) << other.status();
  for (const int concurrency : {1, 4}) {
    apis::InferencePool pool(concurrency);
    EXPECT_EQ(pool.concurrency(), concurrency);
    std::vector<std::future<absl::StatusOr<evaluation::DetectionResults>>> futures;
    for (int round = 0; round < 2; ++round) {
      for (size_t i = 0; i < images.size(); ++i) {
        apis::Detector& d = (round == 0 ? **detector : **other);
        futures.push_back(apis::AsyncInferenceDetector(pool, d, images[i]));
      }
    }
    for (size_t k = 0; k < futures.size(); ++k) {
      auto r = futures[k].get();
      ASSERT_TRUE(r.ok()) << r.status();
      ExpectSameRow(*r, 0, *sync, k % images.size());
    }
  }
  apis::InferencePool pool(2);
  auto bad = apis::AsyncInferenceDetector(pool, **detector, cv::Mat(8, 8, CV_32FC1)).get();
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("8-bit 3-channel BGR"));
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

TEST_F(InferenceTest, VideoDemoWritesEveryFrameAnnotated) {
  const std::string video = Tmp() + "/in.avi";
  {
    cv::VideoWriter writer(video, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 5, {96, 80});
    ASSERT_TRUE(writer.isOpened());
    for (const char* name : {"000000.jpg", "000001.jpg", "000002.jpg"}) {
      cv::Mat frame;
      cv::resize(cv::imread(Root() + "val/" + name, cv::IMREAD_COLOR), frame, {96, 80});
      writer.write(frame);
    }
  }
  std::vector<std::string> args = {video, kConfig, Checkpoint(), "--device", "cpu", "--out",
                                   Tmp() + "/out.avi", "--cfg-options"};
  for (const std::string& o : Overrides()) args.push_back(o);
  auto r = RunCli("demo/video_demo", args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("wrote 3 frames to "));
  cv::VideoCapture written(Tmp() + "/out.avi");
  ASSERT_TRUE(written.isOpened());
  int frames = 0;
  cv::Mat frame;
  while (written.read(frame)) {
    EXPECT_EQ(frame.size(), cv::Size(96, 80));
    ++frames;
  }
  EXPECT_EQ(frames, 3);
  auto nothing = RunCli("demo/video_demo", {video, kConfig, Checkpoint(), "--device", "cpu"});
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_THAT(nothing.err, HasSubstr("with --out or --show"));
  auto missing = RunCli("demo/video_demo", {Tmp() + "/none.avi", kConfig, Checkpoint(),
                                            "--device", "cpu", "--out", Tmp() + "/o.avi"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("none.avi: no such file"));
  EXPECT_EQ(std::count(missing.err.begin(), missing.err.end(), '\n'), 1) << missing.err;
  // The GETTING_STARTED snippet headless: result.jpg saved, the video's frames tested.
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  std::string snippet = "cd " + Tmp() + " && env -u DISPLAY -u WAYLAND_DISPLAY " +
                        std::string(cwd) + "/demo/inference_demo " + std::string(cwd) + "/" +
                        kConfig + " " + Checkpoint() + " " + Root() + "val/000001.jpg " + video +
                        " --device cpu";
  auto demo = RunCli("/bin/sh", {"-c", snippet});
  ASSERT_EQ(demo.exit_code, 0) << demo.err;
  EXPECT_THAT(demo.err, HasSubstr("tested 3 video frames"));
  EXPECT_FALSE(cv::imread(Tmp() + "/result.jpg", cv::IMREAD_COLOR).empty());
  auto webcam = RunCli("/usr/bin/env", {"-u", "DISPLAY", "-u", "WAYLAND_DISPLAY", "demo/webcam_demo",
                                        kConfig, Checkpoint(), "--device", "0"});
  EXPECT_EQ(webcam.exit_code, 2);
  EXPECT_THAT(webcam.err, HasSubstr("no display (DISPLAY is not set); the webcam demo needs a display"));
}

TEST_F(InferenceTest, BenchmarksPrintTheirFigures) {
  std::vector<std::string> args = {kConfig, Checkpoint(), Root() + "val/000001.jpg", "--device",
                                   "cpu", "--num-images", "3", "--concurrency", "2",
                                   "--cfg-options"};
  for (const std::string& o : Overrides()) args.push_back(o);
  auto r = RunCli("tools/async_benchmark", args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("async: 3 images in "));
  EXPECT_THAT(r.out, HasSubstr("(concurrency 2)\nsync:  3 images in "));
  EXPECT_THAT(r.out, HasSubstr("same results: yes"));

  // tools:benchmark over a 9-image test set: 4 timed after the 5 warm-up images.
  ASSERT_EQ(testing::MakeTinyShapes(Tmp() + "/bench", 1, 9).exit_code, 0);
  auto b = RunCli("tools/benchmark", {kConfig, Checkpoint(), "--device", "cpu", "--log-interval",
                                      "2", "--cfg-options",
                                      "data.test.coco_dataset.data_root=" + Tmp() + "/bench/"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_THAT(b.out, ::testing::MatchesRegex(
                         "Done image \\[6  / 2000\\], fps: [0-9.]+ img / s\n"
                         "Done image \\[8  / 2000\\], fps: [0-9.]+ img / s\n"
                         "Overall fps: [0-9.]+ img / s\n"
                         "Overall fps with data loading: [0-9.]+ img / s\n"));
  auto small = RunCli("tools/benchmark", {kConfig, Checkpoint(), "--device", "cpu",
                                          "--cfg-options", Overrides()[1]});
  EXPECT_EQ(small.exit_code, 2);
  EXPECT_THAT(small.err, HasSubstr("data.test has 3 images: more than 5 are needed"));
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
