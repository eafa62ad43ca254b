// DecodePng against OpenCV itself (cv::imdecode on the same bytes) for every PNG colour type,
// bit depth, palette / tRNS, interlacing and the three imread modes the loader uses.
#include "mmdet/datasets/pipelines/png_decode.h"

#include <gtest/gtest.h>
#include <png.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "mmdet/datasets/pipelines/codec_free_read.h"
#include "mmdet/datasets/pipelines/image_util.h"
#include "opencv2/imgcodecs.hpp"

namespace mmdet::datasets {
namespace {

using Bytes = std::vector<uint8_t>;

struct PngSpec {
  std::string name;
  int color_type, bit_depth;
  bool interlaced = false, trns = false;
};

void Append(png_structp png, png_bytep data, png_size_t n) {
  auto* out = static_cast<Bytes*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + n);
}
void Flush(png_structp) {}

// A PNG written by libpng directly (the types OpenCV's encoder cannot make): random samples
// of the given type, a 16-entry palette, a tRNS chunk where asked.
Bytes WritePng(const PngSpec& spec, int w, int h, uint32_t seed) {
  Bytes out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    ADD_FAILURE() << "libpng failed writing " << spec.name;
    png_destroy_write_struct(&png, &info);
    return {};
  }
  png_set_write_fn(png, &out, Append, Flush);
  png_set_IHDR(png, info, w, h, spec.bit_depth, spec.color_type,
               spec.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  std::vector<png_color> palette(16);
  std::vector<png_byte> alphas(16);
  for (int i = 0; i < 16; ++i) {
    palette[i] = {static_cast<png_byte>(i * 16), static_cast<png_byte>(255 - i * 9),
                  static_cast<png_byte>(i * 37)};
    alphas[i] = static_cast<png_byte>(i * 17);
  }
  if (spec.color_type == PNG_COLOR_TYPE_PALETTE) {
    png_set_PLTE(png, info, palette.data(), 16);
    if (spec.trns) png_set_tRNS(png, info, alphas.data(), 16, nullptr);
  } else if (spec.trns) {
    png_color_16 key{};
    key.red = 7;
    key.green = 9;
    key.blue = 11;
    key.gray = 3;
    png_set_tRNS(png, info, nullptr, 0, &key);
  }
  png_write_info(png, info);
  const int channels = spec.color_type == PNG_COLOR_TYPE_RGB ? 3
                       : spec.color_type == PNG_COLOR_TYPE_RGB_ALPHA ? 4
                       : spec.color_type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : 1;
  const size_t row_bytes = (static_cast<size_t>(w) * channels * spec.bit_depth + 7) / 8;
  std::vector<Bytes> rows(h, Bytes(row_bytes));
  uint32_t state = seed;
  std::vector<png_bytep> pointers;
  for (auto& row : rows) {
    for (auto& b : row) {
      state = state * 1664525u + 1013904223u;
      b = static_cast<uint8_t>(state >> 24);
      if (spec.color_type == PNG_COLOR_TYPE_PALETTE && spec.bit_depth == 8) b &= 15;
    }
    pointers.push_back(row.data());
  }
  png_write_image(png, pointers.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

void ExpectSameAsOpenCv(const Bytes& bytes, const std::string& what) {
  for (int flags : {cv::IMREAD_COLOR, cv::IMREAD_GRAYSCALE, cv::IMREAD_UNCHANGED}) {
    SCOPED_TRACE(what + ", imread flags " + std::to_string(flags));
    const cv::Mat ref = cv::imdecode(bytes, flags);
    ASSERT_FALSE(ref.empty());
    std::optional<cv::Mat> ours = DecodePng(bytes.data(), bytes.size(), flags);
    ASSERT_TRUE(ours.has_value());
    ASSERT_EQ(ours->size(), ref.size());
    ASSERT_EQ(ours->type(), ref.type());
    EXPECT_EQ(cv::norm(*ours, ref, cv::NORM_INF), 0.0);
  }
}

TEST(DecodePngTest, EqualsOpenCvOnOpenCvsOwnPngs) {
  cv::RNG rng(1);
  for (int type : {CV_8UC1, CV_8UC3, CV_8UC4, CV_16UC1, CV_16UC3, CV_16UC4}) {
    cv::Mat img(23, 37, type);
    rng.fill(img, cv::RNG::UNIFORM, 0, CV_MAT_DEPTH(type) == CV_16U ? 65535 : 255);
    Bytes bytes;
    ASSERT_TRUE(cv::imencode(".png", img, bytes));
    ExpectSameAsOpenCv(bytes, "opencv type " + std::to_string(type));
  }
  cv::Mat bilevel(19, 29, CV_8UC1);
  rng.fill(bilevel, cv::RNG::UNIFORM, 0, 2);
  bilevel *= 255;
  Bytes bytes;
  ASSERT_TRUE(cv::imencode(".png", bilevel, bytes, {cv::IMWRITE_PNG_BILEVEL, 1}));
  ExpectSameAsOpenCv(bytes, "opencv bilevel");
}

TEST(DecodePngTest, EqualsOpenCvOnEveryColourTypeAndDepth) {
  const std::vector<PngSpec> specs = {
      {"gray 1-bit", PNG_COLOR_TYPE_GRAY, 1},
      {"gray 2-bit", PNG_COLOR_TYPE_GRAY, 2},
      {"gray 4-bit", PNG_COLOR_TYPE_GRAY, 4},
      {"gray 8-bit tRNS", PNG_COLOR_TYPE_GRAY, 8, false, true},
      {"gray 16-bit", PNG_COLOR_TYPE_GRAY, 16},
      {"gray+alpha 8-bit", PNG_COLOR_TYPE_GRAY_ALPHA, 8},
      {"gray+alpha 16-bit", PNG_COLOR_TYPE_GRAY_ALPHA, 16},
      {"rgb 8-bit", PNG_COLOR_TYPE_RGB, 8},
      {"rgb 8-bit tRNS", PNG_COLOR_TYPE_RGB, 8, false, true},
      {"rgb 16-bit tRNS", PNG_COLOR_TYPE_RGB, 16, false, true},
      {"rgb 8-bit interlaced", PNG_COLOR_TYPE_RGB, 8, true},
      {"rgba 8-bit", PNG_COLOR_TYPE_RGB_ALPHA, 8},
      {"rgba 16-bit interlaced", PNG_COLOR_TYPE_RGB_ALPHA, 16, true},
      {"palette 4-bit", PNG_COLOR_TYPE_PALETTE, 4},
      {"palette 8-bit", PNG_COLOR_TYPE_PALETTE, 8},
      {"palette 8-bit tRNS", PNG_COLOR_TYPE_PALETTE, 8, false, true},
  };
  uint32_t seed = 1;
  for (const PngSpec& spec : specs) {
    const Bytes bytes = WritePng(spec, 31, 17, seed++);
    ASSERT_FALSE(bytes.empty());
    ExpectSameAsOpenCv(bytes, spec.name);
  }
}

TEST(DecodePngTest, FailsWhereOpenCvFails) {
  cv::Mat img(20, 20, CV_8UC3, cv::Scalar(1, 2, 3));
  Bytes bytes;
  ASSERT_TRUE(cv::imencode(".png", img, bytes));
  const Bytes truncated(bytes.begin(), bytes.begin() + bytes.size() / 2);
  EXPECT_TRUE(cv::imdecode(truncated, cv::IMREAD_COLOR).empty());
  EXPECT_FALSE(DecodePng(truncated.data(), truncated.size(), cv::IMREAD_COLOR).has_value());
  Bytes corrupt = bytes;
  corrupt[40] ^= 0xFF;  // inside IDAT: a CRC error
  EXPECT_EQ(cv::imdecode(corrupt, cv::IMREAD_COLOR).empty(),
            !DecodePng(corrupt.data(), corrupt.size(), cv::IMREAD_COLOR).has_value());
  Bytes jpeg;
  ASSERT_TRUE(cv::imencode(".jpg", img, jpeg));
  EXPECT_FALSE(DecodePng(jpeg.data(), jpeg.size(), cv::IMREAD_COLOR).has_value());
  EXPECT_FALSE(DecodePng(bytes.data(), bytes.size(), cv::IMREAD_ANYDEPTH).has_value());
}

std::string WriteFile(const std::string& name, const Bytes& bytes) {
  const std::string path = testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return path;
}

// The builds without OpenCV's imgcodecs read JPEG and PNG files as ReadImage does here.
TEST(DecodePngTest, ReadingWithoutOpenCvCodecsGivesReadImagesResult) {
  cv::Mat img(30, 41, CV_8UC3);
  cv::RNG(3).fill(img, cv::RNG::UNIFORM, 0, 255);
  cv::Mat deep(12, 9, CV_16UC1);
  cv::RNG(4).fill(deep, cv::RNG::UNIFORM, 0, 65535);
  Bytes jpeg, png, png16, bmp;
  ASSERT_TRUE(cv::imencode(".jpg", img, jpeg));
  ASSERT_TRUE(cv::imencode(".png", img, png));
  ASSERT_TRUE(cv::imencode(".png", deep, png16));
  ASSERT_TRUE(cv::imencode(".bmp", img, bmp));
  const std::vector<std::pair<std::string, std::vector<int>>> files = {
      {WriteFile("read.jpg", jpeg), {cv::IMREAD_COLOR, cv::IMREAD_GRAYSCALE}},
      {WriteFile("read.png", png), {cv::IMREAD_COLOR, cv::IMREAD_GRAYSCALE, cv::IMREAD_UNCHANGED}},
      {WriteFile("read16.png", png16), {cv::IMREAD_COLOR, cv::IMREAD_UNCHANGED}},
  };
  for (const auto& [path, modes] : files) {
    for (int flags : modes) {
      SCOPED_TRACE(path + " flags " + std::to_string(flags));
      absl::StatusOr<cv::Mat> ours = ReadImageWithoutOpenCvCodecs(path, flags);
      absl::StatusOr<cv::Mat> ref = ReadImage(path, flags);
      ASSERT_TRUE(ours.ok() && ref.ok()) << ours.status();
      ASSERT_EQ(ours->type(), ref->type());
      EXPECT_EQ(cv::norm(*ours, *ref, cv::NORM_INF), 0.0);
    }
  }
  using ::testing::HasSubstr;
  const std::string bmp_path = WriteFile("read.bmp", bmp);
  absl::StatusOr<cv::Mat> r = ReadImageWithoutOpenCvCodecs(bmp_path, cv::IMREAD_COLOR);
  EXPECT_THAT(r.status().message(), HasSubstr("'" + bmp_path + "': not a JPEG or PNG"));
  const std::string cut = WriteFile("cut.jpg", Bytes(jpeg.begin(), jpeg.begin() + jpeg.size() / 2));
  r = ReadImageWithoutOpenCvCodecs(cut, cv::IMREAD_COLOR);
  EXPECT_THAT(r.status().message(), HasSubstr("'" + cut + "': corrupt"));
  r = ReadImageWithoutOpenCvCodecs(files[0].first, cv::IMREAD_UNCHANGED);
  EXPECT_THAT(r.status().message(), HasSubstr("reads JPEGs in colour or grayscale only"));
  r = ReadImageWithoutOpenCvCodecs(testing::TempDir() + "/missing.png", cv::IMREAD_COLOR);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace mmdet::datasets
