// EncodeJpeg / EncodePng against cv::imencode: the same bytes, for the images we write.
#include "mmdet/core/image_encode.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace mmdet {
namespace {

cv::Mat Noise(int h, int w, int type, int seed) {
  cv::Mat img(h, w, type);
  cv::RNG(seed).fill(img, cv::RNG::UNIFORM, 0, CV_MAT_DEPTH(type) == CV_16U ? 65535 : 255);
  if (CV_MAT_DEPTH(type) == CV_8U && CV_MAT_CN(type) != 4) cv::GaussianBlur(img, img, {5, 5}, 2);
  return img;
}

std::vector<uint8_t> OpenCv(const std::string& ext, const cv::Mat& img,
                            std::vector<int> params = {}) {
  std::vector<uint8_t> out;
  EXPECT_TRUE(cv::imencode(ext, img, out, params));
  return out;
}

TEST(ImageEncodeTest, JpegBytesAreOpenCvs) {
  for (int type : {CV_8UC3, CV_8UC1}) {
    const cv::Mat img = Noise(45, 77, type, type);
    for (int quality : {0, 1, 7, 25, 75, 95, 100}) {
      SCOPED_TRACE("type " + std::to_string(type) + " quality " + std::to_string(quality));
      auto ours = EncodeJpeg(img, quality);
      ASSERT_TRUE(ours.ok()) << ours.status();
      EXPECT_EQ(*ours, OpenCv(".jpg", img, {cv::IMWRITE_JPEG_QUALITY, quality}));
    }
  }
  auto by_ext = EncodeImage(".JPG", Noise(8, 8, CV_8UC3, 1));
  ASSERT_TRUE(by_ext.ok());
  EXPECT_EQ(*by_ext, OpenCv(".jpg", Noise(8, 8, CV_8UC3, 1)));
}

TEST(ImageEncodeTest, PngBytesAreOpenCvs) {
  for (int type : {CV_8UC1, CV_8UC3, CV_8UC4, CV_16UC1, CV_16UC3, CV_16UC4}) {
    SCOPED_TRACE("type " + std::to_string(type));
    const cv::Mat img = Noise(33, 51, type, type + 10);
    auto ours = EncodeImage(".png", img);
    ASSERT_TRUE(ours.ok()) << ours.status();
    EXPECT_EQ(*ours, OpenCv(".png", img));
  }
  // A non-continuous view (a crop) too.
  const cv::Mat big = Noise(40, 60, CV_8UC3, 5);
  const cv::Mat crop = big(cv::Rect(3, 4, 30, 20));
  auto ours = EncodePng(crop);
  ASSERT_TRUE(ours.ok());
  EXPECT_EQ(*ours, OpenCv(".png", crop));
}

TEST(ImageEncodeTest, RefusesWhatItDoesNotWrite) {
  EXPECT_FALSE(EncodeJpeg(cv::Mat(4, 4, CV_16UC3)).ok());
  EXPECT_FALSE(EncodeJpeg(cv::Mat(4, 4, CV_8UC4)).ok());
  EXPECT_FALSE(EncodePng(cv::Mat(4, 4, CV_32FC1)).ok());
  EXPECT_FALSE(EncodePng(cv::Mat()).ok());
  auto bmp = EncodeImage(".bmp", cv::Mat(4, 4, CV_8UC3));
  EXPECT_EQ(bmp.status().message(), "cannot encode images as '.bmp' (this build writes .jpg and .png)");
}

}  // namespace
}  // namespace mmdet
