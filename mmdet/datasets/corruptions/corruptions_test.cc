// The 19 corruptions on a fixed synthetic image: shape and type kept, severity ordering (more
// severe = farther from the input), determinism by seed, the deterministic ones' known values,
// and clear errors.
#include "mmdet/datasets/corruptions/corruptions.h"

#include <cmath>
#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace mmdet::datasets {
namespace {

using ::testing::HasSubstr;

// A 64x80 picture with gradients, edges and texture (so blurs and noise all change it).
cv::Mat TestImage() {
  cv::Mat img(64, 80, CV_8UC3);
  for (int y = 0; y < img.rows; ++y) {
    for (int x = 0; x < img.cols; ++x) {
      img.at<cv::Vec3b>(y, x) = cv::Vec3b(
          static_cast<uchar>(x * 3), static_cast<uchar>(y * 3),
          static_cast<uchar>(120 + 100 * std::sin(x * 0.35) * std::cos(y * 0.3)));
    }
  }
  cv::circle(img, {40, 32}, 14, cv::Scalar(250, 250, 250), cv::FILLED);
  return img;
}

double Distance(const cv::Mat& a, const cv::Mat& b) { return cv::norm(a, b, cv::NORM_L1) / a.total(); }

// Stand-in frost overlays (the package's own images are not redistributed with the tests).
std::string FrostDir() {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/frost";
  cv::Mat overlay(120, 150, CV_8UC3);
  cv::randu(overlay, cv::Scalar(0, 0, 0), cv::Scalar(256, 256, 256));
  cv::GaussianBlur(overlay, overlay, {9, 9}, 3);
  std::system(("mkdir -p " + dir).c_str());
  for (const char* name : {"frost1.png", "frost2.png", "frost3.png", "frost4.jpg", "frost5.jpg"}) {
    cv::imwrite(dir + "/" + name, overlay);
  }
  return dir;
}

TEST(CorruptionsTest, EveryCorruptionKeepsTheShapeAndGrowsWithSeverity) {
  const cv::Mat img = TestImage();
  CorruptOptions options;
  options.frost_dir = FrostDir();
  ASSERT_EQ(CorruptionNames().size(), 19u);
  for (const std::string& name : CorruptionNames()) {
    std::vector<double> distances;
    for (int s = 1; s <= 5; ++s) {
      CorruptionRng rng = MakeCorruptionRng(0, 0, name, s);
      auto out = Corrupt(img, name, s, rng, options);
      ASSERT_TRUE(out.ok()) << name << " " << s << ": " << out.status();
      ASSERT_EQ(out->type(), CV_8UC3) << name;
      ASSERT_EQ(out->size(), img.size()) << name;
      distances.push_back(Distance(*out, img));
    }
    EXPECT_GT(distances[0], 0) << name;
    // Severity 5 is farther from the input than severity 1 (some are not monotone at every
    // step, so compare the ends). saturate is not ordered by design: severities 1-2
    // desaturate, 3-5 oversaturate.
    if (name != "saturate") EXPECT_GT(distances[4], distances[0]) << name;
  }
}

TEST(CorruptionsTest, SameSeedSameImageOtherSeedOtherImage) {
  const cv::Mat img = TestImage();
  for (const char* name : {"gaussian_noise", "glass_blur", "fog", "snow", "elastic_transform"}) {
    CorruptionRng a = MakeCorruptionRng(7, 3, name, 3), b = MakeCorruptionRng(7, 3, name, 3),
                  c = MakeCorruptionRng(8, 3, name, 3);
    const cv::Mat x = *Corrupt(img, name, 3, a), y = *Corrupt(img, name, 3, b), z = *Corrupt(img, name, 3, c);
    EXPECT_EQ(cv::norm(x, y, cv::NORM_INF), 0) << name;
    EXPECT_GT(cv::norm(x, z, cv::NORM_INF), 0) << name;
  }
}

TEST(CorruptionsTest, DeterministicCorruptionsByHand) {
  // A flat grey image: contrast keeps it (the mean is the value), brightness adds 0.1 to V,
  // saturate keeps a grey (S = 0), pixelate and the blurs keep a constant image.
  const cv::Mat grey(40, 48, CV_8UC3, cv::Scalar(100, 100, 100));
  CorruptionRng rng(0);
  EXPECT_EQ(cv::norm(*Corrupt(grey, "contrast", 3, rng), grey, cv::NORM_INF), 0);
  EXPECT_EQ(cv::norm(*Corrupt(grey, "saturate", 3, rng), grey, cv::NORM_INF), 0);  // S * 2 + 0
  for (const char* name : {"pixelate", "gaussian_blur", "defocus_blur", "zoom_blur"}) {
    EXPECT_LE(cv::norm(*Corrupt(grey, name, 4, rng), grey, cv::NORM_INF), 1) << name;
  }
  // V = 100/255 + .1 -> 0.49215..., * 255 = 125.5 -> 125 (truncated).
  const cv::Mat bright = *Corrupt(grey, "brightness", 1, rng);
  EXPECT_EQ(bright.at<cv::Vec3b>(0, 0), cv::Vec3b(125, 125, 125));
  // pixelate of a 2-colour checkerboard of 2x2 cells at 0.5: PIL's BOX averages 2x2 cells.
  cv::Mat board(40, 40, CV_8UC3);
  for (int y = 0; y < 40; ++y) {
    for (int x = 0; x < 40; ++x) {
      board.at<cv::Vec3b>(y, x) = ((x + y) % 2) ? cv::Vec3b(200, 200, 200) : cv::Vec3b(0, 0, 0);
    }
  }
  const cv::Mat pix = *Corrupt(board, "pixelate", 2, rng);
  EXPECT_EQ(pix.at<cv::Vec3b>(10, 10), cv::Vec3b(100, 100, 100));
  // JPEG at quality 25 of a flat colour stays within a few levels.
  EXPECT_LE(cv::norm(*Corrupt(grey, "jpeg_compression", 1, rng), grey, cv::NORM_INF), 2);
}

TEST(CorruptionsTest, SetsAndErrors) {
  EXPECT_EQ(ResolveCorruptions({"benchmark"})->size(), 15u);
  EXPECT_EQ(ResolveCorruptions({"holdout"})->front(), "speckle_noise");
  EXPECT_EQ(ResolveCorruptions({"all"})->size(), 19u);
  EXPECT_THAT(std::string(ResolveCorruptions({"rain"}).status().message()),
              HasSubstr("unknown corruption 'rain'"));
  CorruptionRng rng(0);
  const cv::Mat img = TestImage();
  EXPECT_THAT(std::string(Corrupt(img, "fog", 6, rng).status().message()), HasSubstr("severity 6"));
  EXPECT_THAT(std::string(Corrupt(cv::Mat(20, 20, CV_8UC3), "fog", 1, rng).status().message()),
              HasSubstr("32x32"));
  CorruptOptions none;
  none.frost_dir = "/nonexistent";
  EXPECT_THAT(std::string(Corrupt(img, "frost", 1, rng, none).status().message()),
              HasSubstr("--frost-dir"));
  EXPECT_EQ(cv::norm(*Corrupt(img, "fog", 0, rng), img, cv::NORM_INF), 0);  // severity 0: clean
}

}  // namespace
}  // namespace mmdet::datasets
