#include <filesystem>
#include <string>
#include <vector>

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "mmdet/core/file_io.h"
#include "mmdet/datasets/pipelines/image_util.h"
#include "mmdet/datasets/pipelines/transform.h"
#include "mmdet/ops/mask_util.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace mmdet::datasets {
namespace {

// A pipeline from text: `transforms { ... }` entries of a MultiScaleFlipAug message.
Pipeline Build(const std::string& text) {
  config::MultiScaleFlipAug holder;  // any message with `repeated Transform transforms`
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &holder)) << text;
  auto pipeline = BuildPipeline(holder.transforms(), "pipeline");
  EXPECT_TRUE(pipeline.ok()) << pipeline.status();
  return pipeline.ok() ? *pipeline : Pipeline();
}

std::string BuildError(const std::string& text) {
  config::MultiScaleFlipAug holder;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &holder)) << text;
  auto pipeline = BuildPipeline(holder.transforms(), "pipeline");
  return pipeline.ok() ? "" : std::string(pipeline.status().message());
}

class PipelinesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::path(::testing::TempDir()) / "pipelines_test").string();
    std::filesystem::create_directories(dir_);
    // 640 x 480 grey image with a white box at (100, 50)-(300, 250).
    cv::Mat img(480, 640, CV_8UC3, cv::Scalar(50, 100, 150));
    cv::rectangle(img, cv::Rect(100, 50, 200, 200), cv::Scalar(255, 255, 255), cv::FILLED);
    ASSERT_TRUE(cv::imwrite(dir_ + "/a.png", img));
  }

  Results Sample() const {
    Results r;
    r.img_prefix = dir_;
    r.img_info = {"a.png", 640, 480, 1};
    r.has_ann_info = true;
    r.ann_info.bboxes = {{100, 50, 300, 250}, {600, 400, 640, 480}};
    r.ann_info.labels = {0, 2};
    r.ann_info.bboxes_ignore = {{0, 0, 10, 10}};
    Segmentation square;
    square.kind = Segmentation::Kind::kPolygons;
    square.polygons = {{100, 50, 300, 50, 300, 250, 100, 250}};
    Segmentation corner = square;
    corner.polygons = {{600, 400, 640, 400, 640, 480, 600, 480}};
    r.ann_info.masks = {square, corner};
    return r;
  }

  std::string dir_;
  Rng rng_{0};
};

constexpr char kLoad[] = R"pb(
  transforms { load_image_from_file {} }
  transforms { load_annotations { with_bbox: true with_mask: true } }
)pb";

TEST_F(PipelinesTest, LoadReadsImageAndDecodesMasks) {
  auto out = Build(kLoad).Run(Sample(), rng_);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 1u);
  const Results& r = (*out)[0];
  EXPECT_EQ(r.meta.filename, JoinPath(dir_, "a.png"));
  EXPECT_EQ(r.meta.ori_filename, "a.png");
  EXPECT_EQ(r.meta.ori_shape, (std::array<int64_t, 3>{480, 640, 3}));
  ASSERT_EQ(r.gt_masks.size(), 2u);
  // The mask equals pycocotools' rasterisation (ops::FromPolygons + Decode).
  torch::Tensor expected =
      ops::Decode(ops::FromPolygons({{100, 50, 300, 50, 300, 250, 100, 250}}, 480, 640));
  EXPECT_TRUE(torch::equal(MatToTensor2d(r.gt_masks[0]), expected));
  EXPECT_EQ(r.gt_labels, (std::vector<int64_t>{0, 2}));
}

TEST_F(PipelinesTest, ResizeMatchesMmcvImrescale) {
  auto out = Build(std::string(kLoad) + R"pb(
    transforms { resize { img_scale { w: 1333 h: 800 } keep_ratio: true } })pb")
                 .Run(Sample(), rng_);
  ASSERT_TRUE(out.ok()) << out.status();
  const Results& r = (*out)[0];
  // scale = min(1333 / 640, 800 / 480) = 5/3; new size int(640 * 5/3 + 0.5) = 1067 x 800.
  EXPECT_EQ(r.meta.img_shape, (std::array<int64_t, 3>{800, 1067, 3}));
  EXPECT_EQ(r.meta.pad_shape, r.meta.img_shape);
  EXPECT_FLOAT_EQ(r.meta.scale_factor[0], 1067.f / 640);
  EXPECT_FLOAT_EQ(r.meta.scale_factor[1], 800.f / 480);
  EXPECT_FLOAT_EQ(r.gt_bboxes[0][0], 100 * 1067.f / 640);
  EXPECT_FLOAT_EQ(r.gt_bboxes[0][3], 250 * 800.f / 480);
  EXPECT_FLOAT_EQ(r.gt_bboxes[1][2], 1067);  // clipped to the image
  EXPECT_EQ(r.gt_masks[0].rows, 800);
  EXPECT_EQ(r.gt_masks[0].cols, 1067);
}

TEST_F(PipelinesTest, ResizeWithoutKeepRatioAndRange) {
  auto out = Build(std::string(kLoad) + R"pb(
    transforms { resize { img_scale { w: 320 h: 320 } keep_ratio: false } })pb")
                 .Run(Sample(), rng_);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].meta.img_shape, (std::array<int64_t, 3>{320, 320, 3}));
  EXPECT_FLOAT_EQ((*out)[0].meta.scale_factor[1], 320.f / 480);
  // range mode: long edge in [1333, 1333], short edge in [640, 800].
  Pipeline range = Build(std::string(kLoad) + R"pb(
    transforms { resize { img_scale { w: 1333 h: 640 } img_scale { w: 1333 h: 800 }
                          multiscale_mode: "range" keep_ratio: true } })pb");
  for (int i = 0; i < 20; ++i) {
    auto r = range.Run(Sample(), rng_);
    ASSERT_TRUE(r.ok());
    const auto scale = *(*r)[0].scale;
    EXPECT_EQ(scale[0], 1333);
    EXPECT_GE(scale[1], 640);
    EXPECT_LE(scale[1], 800);
  }
}

TEST_F(PipelinesTest, FlipMovesBoxesMasksAndPixelsTogether) {
  auto out = Build(std::string(kLoad) + R"pb(
    transforms { random_flip { flip_ratio: 1.0 } })pb")
                 .Run(Sample(), rng_);
  ASSERT_TRUE(out.ok());
  const Results& r = (*out)[0];
  EXPECT_TRUE(r.meta.flip);
  EXPECT_EQ(r.meta.flip_direction, "horizontal");
  // v2: x1' = w - x2, x2' = w - x1 (no -1).
  EXPECT_EQ(r.gt_bboxes[0], (Box{340, 50, 540, 250}));
  EXPECT_EQ(r.gt_bboxes_ignore[0], (Box{630, 0, 640, 10}));
  EXPECT_EQ(r.img.at<cv::Vec3b>(150, 440), cv::Vec3b(255, 255, 255));
  EXPECT_EQ(r.gt_masks[0].at<uint8_t>(150, 440), 1);
  EXPECT_EQ(r.gt_masks[0].at<uint8_t>(150, 200), 0);

  auto kept = Build(std::string(kLoad) + R"pb(transforms { random_flip { flip_ratio: 0 } })pb")
                  .Run(Sample(), rng_);
  EXPECT_FALSE((*kept)[0].meta.flip);
  EXPECT_EQ((*kept)[0].gt_bboxes[0], (Box{100, 50, 300, 250}));
}

TEST_F(PipelinesTest, NormalizePadBundleCollect) {
  auto out = Build(std::string(kLoad) + R"pb(
    transforms { normalize { mean: [123.675, 116.28, 103.53] std: [58.395, 57.12, 57.375]
                             to_rgb: true } }
    transforms { pad { size_divisor: 32 } }
    transforms { default_format_bundle {} }
    transforms { collect { keys: ["img", "gt_bboxes", "gt_labels", "gt_masks"] } })pb")
                 .Run(Sample(), rng_);
  ASSERT_TRUE(out.ok()) << out.status();
  const Results& r = (*out)[0];
  EXPECT_EQ(r.meta.pad_shape, (std::array<int64_t, 3>{480, 640, 3}));  // already multiples
  ASSERT_TRUE(r.img_tensor.defined());
  EXPECT_EQ(r.img_tensor.sizes(), (std::vector<int64_t>{3, 480, 640}));
  EXPECT_EQ(r.img_tensor.scalar_type(), torch::kFloat32);
  // Pixel (0, 0) is BGR (50, 100, 150): RGB channel 0 = (150 - 123.675) / 58.395.
  EXPECT_NEAR(r.img_tensor[0][0][0].item<float>(), (150 - 123.675) / 58.395, 1e-5);
  EXPECT_NEAR(r.img_tensor[2][0][0].item<float>(), (50 - 103.53) / 57.375, 1e-5);
  EXPECT_EQ(r.gt_bboxes_tensor.sizes(), (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(r.gt_labels_tensor.scalar_type(), torch::kInt64);
  EXPECT_EQ(r.gt_masks_tensor.sizes(), (std::vector<int64_t>{2, 480, 640}));
  EXPECT_FALSE(r.gt_bboxes_ignore_tensor.defined());  // not collected
  EXPECT_TRUE(r.meta.img_norm_cfg.to_rgb);
  EXPECT_TRUE(r.img.empty());  // the OpenCV copy is released

  auto padded = Build(std::string(kLoad) + R"pb(
    transforms { resize { img_scale { w: 1333 h: 800 } keep_ratio: true } }
    transforms { pad { size_divisor: 32 } })pb")
                    .Run(Sample(), rng_);
  EXPECT_EQ((*padded)[0].meta.pad_shape, (std::array<int64_t, 3>{800, 1088, 3}));
  EXPECT_EQ((*padded)[0].meta.img_shape, (std::array<int64_t, 3>{800, 1067, 3}));
  EXPECT_EQ((*padded)[0].gt_masks[0].cols, 1088);
}

TEST_F(PipelinesTest, MultiScaleFlipAugYieldsEveryCombination) {
  Results r = Sample();
  r.has_ann_info = false;
  auto out = Build(R"pb(
    transforms { load_image_from_file {} }
    transforms { multi_scale_flip_aug {
      img_scale { w: 1333 h: 800 } img_scale { w: 666 h: 400 } flip: true
      transforms { resize { keep_ratio: true } }
      transforms { random_flip {} }
      transforms { image_to_tensor { keys: ["img"] } }
      transforms { collect { keys: ["img"] } } } })pb")
                 .Run(r, rng_);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 4u);
  EXPECT_FALSE((*out)[0].meta.flip);
  EXPECT_EQ((*out)[0].meta.flip_direction, "");
  EXPECT_TRUE((*out)[1].meta.flip);
  EXPECT_EQ((*out)[1].meta.flip_direction, "horizontal");
  EXPECT_EQ((*out)[0].img_tensor.size(1), 800);
  EXPECT_EQ((*out)[2].img_tensor.size(1), 400);
  EXPECT_EQ((*out)[3].img_tensor.size(2), 533);  // int(640 * 400/480 + 0.5)
}

TEST_F(PipelinesTest, RandomCropDropsSamplesWithoutBoxes) {
  Results r = Sample();
  r.ann_info.bboxes = {{0, 0, 5, 5}};
  r.ann_info.labels = {1};
  r.ann_info.masks.resize(1);
  Pipeline crop = Build(R"pb(
    transforms { load_image_from_file {} }
    transforms { load_annotations {} }
    transforms { random_crop { crop_size { w: 100 h: 100 } } })pb");
  int dropped = 0;
  for (int i = 0; i < 30; ++i) {
    auto out = crop.Run(r, rng_);
    ASSERT_TRUE(out.ok());
    if (out->empty()) {
      ++dropped;
      continue;
    }
    const Results& kept = (*out)[0];
    EXPECT_EQ(kept.meta.img_shape, (std::array<int64_t, 3>{100, 100, 3}));
    for (const Box& b : kept.gt_bboxes) EXPECT_TRUE(b[2] > b[0] && b[3] > b[1]);
  }
  EXPECT_GT(dropped, 20);  // the box survives only crops that start within 5 px of (0, 0)
}

TEST_F(PipelinesTest, MinIoURandomCropKeepsCentresInside) {
  Pipeline crop = Build(std::string(kLoad) + R"pb(
    transforms { min_iou_random_crop {} })pb");
  for (int i = 0; i < 30; ++i) {
    auto out = crop.Run(Sample(), rng_);
    ASSERT_TRUE(out.ok());
    const Results& r = (*out)[0];
    ASSERT_EQ(r.gt_bboxes.size(), r.gt_labels.size());
    ASSERT_EQ(r.gt_bboxes.size(), r.gt_masks.size());
    for (const Box& b : r.gt_bboxes) {
      EXPECT_GE(b[0], 0);
      EXPECT_LE(b[2], r.img.cols);
      EXPECT_LE(b[3], r.img.rows);
    }
    ASSERT_FALSE(r.gt_bboxes.empty());
  }
}

TEST_F(PipelinesTest, ExpandKeepsBoxesOnTheirPixels) {
  Pipeline expand = Build(std::string(kLoad) + R"pb(
    transforms { expand { mean: [0, 0, 0] prob: 1.0 ratio_range: [2, 3] } })pb");
  for (int i = 0; i < 5; ++i) {
    auto out = expand.Run(Sample(), rng_);
    ASSERT_TRUE(out.ok());
    const Results& r = (*out)[0];
    EXPECT_GE(r.img.cols, 1280);
    const Box& b = r.gt_bboxes[0];
    const int cx = static_cast<int>((b[0] + b[2]) / 2), cy = static_cast<int>((b[1] + b[3]) / 2);
    EXPECT_EQ(r.img.at<cv::Vec3b>(cy, cx), cv::Vec3b(255, 255, 255));
    EXPECT_EQ(r.gt_masks[0].at<uint8_t>(cy, cx), 1);
    EXPECT_EQ(r.img.at<cv::Vec3b>(0, 0) == cv::Vec3b(0, 0, 0) ||
                  r.img.at<cv::Vec3b>(r.img.rows - 1, r.img.cols - 1) == cv::Vec3b(0, 0, 0),
              true);
  }
}

TEST_F(PipelinesTest, PhotoMetricDistortionNeedsFloat) {
  auto out = Build(R"pb(transforms { load_image_from_file {} }
                        transforms { photo_metric_distortion {} })pb")
                 .Run(Sample(), rng_);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(std::string(out.status().message()).find("to_float32"), std::string::npos);
  auto ok = Build(R"pb(transforms { load_image_from_file { to_float32: true } }
                       transforms { photo_metric_distortion {} })pb")
                .Run(Sample(), rng_);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)[0].img.type(), CV_32FC3);
}

TEST_F(PipelinesTest, BadImagesAreNamed) {
  Results missing = Sample();
  missing.img_info.filename = "nope.jpg";
  auto out = Build(kLoad).Run(missing, rng_);
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(absl::IsNotFound(out.status()));
  EXPECT_NE(std::string(out.status().message()).find("nope.jpg"), std::string::npos);

  ASSERT_TRUE(WriteFileAtomically(dir_ + "/corrupt.jpg", "\xff\xd8\xff garbage").ok());
  Results corrupt = Sample();
  corrupt.img_info.filename = "corrupt.jpg";
  out = Build(kLoad).Run(corrupt, rng_);
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(absl::IsDataLoss(out.status())) << out.status();
  EXPECT_NE(std::string(out.status().message()).find("LoadImageFromFile: cannot decode image"),
            std::string::npos);
}

TEST(PipelineConfigTest, ErrorsNameTheField) {
  EXPECT_EQ(BuildError(R"pb(transforms { load_image_from_file {} }
                            transforms { collect { keys: ["img", "gt_box"] } })pb")
                .substr(0, 44),
            "pipeline[1].collect.keys: unknown key 'gt_bo");
  EXPECT_EQ(BuildError(R"pb(transforms { pad { size_divisor: 32 size { w: 1 h: 1 } } })pb"),
            "pipeline[0].pad: set exactly one of size and size_divisor");
  EXPECT_EQ(BuildError(R"pb(transforms { normalize { mean: [1, 2] } })pb"),
            "pipeline[0].normalize.mean: expected 3 values, got 2");
  EXPECT_EQ(BuildError(R"pb(transforms {})pb").substr(0, 26), "pipeline[0]: no type set (");
  EXPECT_EQ(BuildError(R"pb(transforms { multi_scale_flip_aug {
                              img_scale { w: 10 h: 10 }
                              transforms { resize { multiscale_mode: "x" } } } })pb")
                .substr(0, 64),
            "pipeline[0].multi_scale_flip_aug.transforms[0].resize.multiscale");
}

TEST(ImageUtilTest, ImageToChwTensorMatchesAPermutedCopy) {
  for (int type : {CV_8UC3, CV_32FC3, CV_8UC1, CV_32FC1}) {
    cv::Mat img(37, 53, type);
    cv::randu(img, cv::Scalar::all(0), cv::Scalar::all(255));
    torch::Tensor hwc = torch::from_blob(img.data, {img.rows, img.cols, img.channels()},
                                         img.depth() == CV_8U ? torch::kUInt8 : torch::kFloat32);
    torch::Tensor chw = ImageToChwTensor(img);
    EXPECT_TRUE(torch::equal(chw, hwc.permute({2, 0, 1}))) << "type " << type;
    cv::Mat roi = img(cv::Rect(3, 4, 20, 10));  // not continuous
    torch::Tensor roi_chw = ImageToChwTensor(roi);
    EXPECT_TRUE(torch::equal(roi_chw, chw.narrow(1, 4, 10).narrow(2, 3, 20))) << "type " << type;
  }
}

// Every transform in the schema has a linked factory (a forgotten registration or
// alwayslink fails here, not in a user's run).
TEST(TransformRegistryTest, EveryConfigTypeHasAFactory) {
  EXPECT_TRUE(MissingFactories(config::Transform::descriptor(), TransformRegistry::Global()).empty());
  EXPECT_GE(TransformRegistry::Global().Names().size(), 14u);
}

}  // namespace
}  // namespace mmdet::datasets
