// DecodeJpeg against OpenCV itself (cv::imdecode / cv::imread on the same bytes, the decoder
// mmcv.imread uses): equal pixels on every encoding, the same EXIF turns including OpenCV's
// quirks, and OpenCV's own answer wherever the fast path steps aside.
#include "mmdet/datasets/pipelines/jpeg_decode.h"

#include <gtest/gtest.h>
#include <turbojpeg.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "mmdet/datasets/pipelines/image_util.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace mmdet::datasets {
namespace {

using Bytes = std::vector<uint8_t>;

cv::Mat Textured(int h, int w, int seed) {
  cv::Mat img(h, w, CV_8UC3);
  cv::RNG rng(seed);
  rng.fill(img, cv::RNG::UNIFORM, 0, 255);
  cv::GaussianBlur(img, img, cv::Size(3, 3), 1.5);
  cv::circle(img, {w / 3, h / 2}, std::min(h, w) / 4, cv::Scalar(20, 200, 240), cv::FILLED);
  cv::rectangle(img, cv::Rect(w / 2, h / 5, w / 3, h / 2), cv::Scalar(250, 40, 90), cv::FILLED);
  return img;
}

Bytes CvJpeg(const cv::Mat& img, std::vector<int> params = {}) {
  Bytes out;
  EXPECT_TRUE(cv::imencode(".jpg", img, out, params));
  return out;
}

// TurboJPEG's encoder for the chroma subsamplings OpenCV's imencode does not offer.
Bytes TjJpeg(const cv::Mat& img, int subsampling, int pixel_format = TJPF_BGR) {
  tjhandle tj = tjInitCompress();
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  EXPECT_EQ(tjCompress2(tj, img.data, img.cols, static_cast<int>(img.step[0]), img.rows,
                        pixel_format, &buf, &size, subsampling, 90, 0),
            0)
      << tjGetErrorStr2(tj);
  Bytes out(buf, buf + size);
  tjFree(buf);
  tjDestroy(tj);
  return out;
}

// `jpeg` with an APP1 segment holding `payload` right after SOI.
Bytes WithApp1(const Bytes& jpeg, const Bytes& payload) {
  Bytes out(jpeg.begin(), jpeg.begin() + 2);
  const size_t length = payload.size() + 2;
  out.insert(out.end(), {0xFF, 0xE1, static_cast<uint8_t>(length >> 8),
                         static_cast<uint8_t>(length & 0xFF)});
  out.insert(out.end(), payload.begin(), payload.end());
  out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
  return out;
}

struct Entry {
  uint16_t tag, type;
  uint32_t count, value;  // a SHORT value sits in the first two bytes of the field
};

// "Exif\0\0" + a TIFF block: header, IFD0 with `entries`, then `extra` bytes.
Bytes Exif(bool little, const std::vector<Entry>& entries, const Bytes& extra = {},
           const std::string& ident = std::string("Exif\0\0", 6)) {
  Bytes t;
  auto u16 = [&](uint32_t v) {
    if (little) t.insert(t.end(), {uint8_t(v), uint8_t(v >> 8)});
    else t.insert(t.end(), {uint8_t(v >> 8), uint8_t(v)});
  };
  auto u32 = [&](uint32_t v) {
    if (little) t.insert(t.end(), {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)});
    else t.insert(t.end(), {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)});
  };
  t.insert(t.end(), little ? std::initializer_list<uint8_t>{'I', 'I'}
                           : std::initializer_list<uint8_t>{'M', 'M'});
  u16(0x2A);
  u32(8);
  u16(static_cast<uint32_t>(entries.size()));
  for (const Entry& e : entries) {
    u16(e.tag);
    u16(e.type);
    u32(e.count);
    if (e.type == 3 && e.count == 1) {
      u16(e.value);
      u16(0);
    } else {
      u32(e.value);
    }
  }
  u32(0);  // no IFD1
  t.insert(t.end(), extra.begin(), extra.end());
  Bytes out(ident.begin(), ident.end());
  out.insert(out.end(), t.begin(), t.end());
  return out;
}

// Offset in the TIFF block of `extra` for `n` entries (header 8 + count 2 + 12n + next 4).
uint32_t ExtraAt(size_t n) { return static_cast<uint32_t>(8 + 2 + 12 * n + 4); }

void ExpectSameAsOpenCv(const Bytes& bytes, int flags, const std::string& what) {
  SCOPED_TRACE(what);
  const cv::Mat ref = cv::imdecode(bytes, flags);
  ASSERT_FALSE(ref.empty());
  std::optional<cv::Mat> ours = DecodeJpeg(bytes.data(), bytes.size(), flags);
  ASSERT_TRUE(ours.has_value()) << "the TurboJPEG path stepped aside";
  ASSERT_EQ(ours->size(), ref.size());
  ASSERT_EQ(ours->type(), ref.type());
  EXPECT_EQ(cv::norm(*ours, ref, cv::NORM_INF), 0.0);
}

TEST(DecodeJpegTest, EqualsOpenCvOnEveryEncoding) {
  const cv::Mat img = Textured(75, 121, 1);  // odd sizes: partial MCUs at both edges
  cv::Mat gray;
  cv::cvtColor(img, gray, cv::COLOR_BGR2GRAY);
  const std::vector<std::pair<std::string, Bytes>> cases = {
      {"opencv q95 4:2:0", CvJpeg(img)},
      {"opencv q60", CvJpeg(img, {cv::IMWRITE_JPEG_QUALITY, 60})},
      {"opencv progressive", CvJpeg(img, {cv::IMWRITE_JPEG_PROGRESSIVE, 1})},
      {"opencv optimized + restart", CvJpeg(img, {cv::IMWRITE_JPEG_OPTIMIZE, 1,
                                                  cv::IMWRITE_JPEG_RST_INTERVAL, 3})},
      {"opencv grayscale", CvJpeg(gray)},
      {"turbojpeg 4:4:4", TjJpeg(img, TJSAMP_444)},
      {"turbojpeg 4:2:2", TjJpeg(img, TJSAMP_422)},
      {"turbojpeg 4:4:0", TjJpeg(img, TJSAMP_440)},
      {"turbojpeg 4:1:1", TjJpeg(img, TJSAMP_411)},
      {"turbojpeg grayscale", TjJpeg(gray, TJSAMP_GRAY, TJPF_GRAY)},
  };
  for (const auto& [name, bytes] : cases) {
    ExpectSameAsOpenCv(bytes, cv::IMREAD_COLOR, name + ", color");
    ExpectSameAsOpenCv(bytes, cv::IMREAD_GRAYSCALE, name + ", grayscale");
  }
}

TEST(DecodeJpegTest, TurnsByExifOrientationAsOpenCv) {
  const Bytes jpeg = CvJpeg(Textured(40, 64, 2));
  const Bytes make = {'m', 'm', 'd', 'e', 't', '-', 'c', 'p', 'p', 0};
  for (bool little : {true, false}) {
    for (uint32_t orientation = 0; orientation <= 9; ++orientation) {
      const std::vector<Entry> entries = {{0x010F, 2, 10, ExtraAt(3)},  // Make, at `extra`
                                          {0x0112, 3, 1, orientation},
                                          {0x011A, 5, 1, ExtraAt(3) + 10}};  // XResolution
      Bytes extra = make;
      extra.insert(extra.end(), {0, 0, 0, 72, 0, 0, 0, 1});
      const Bytes bytes = WithApp1(jpeg, Exif(little, entries, extra));
      EXPECT_EQ(ReadJpegOrientation(bytes.data(), bytes.size()).value,
                static_cast<int>(orientation));
      const std::string what =
          std::string(little ? "II" : "MM") + " orientation " + std::to_string(orientation);
      ExpectSameAsOpenCv(bytes, cv::IMREAD_COLOR, what);
      ExpectSameAsOpenCv(bytes, cv::IMREAD_GRAYSCALE, what + " grayscale");
      // 5..8 swap the sides (OpenCV turns them too, so the comparison above means something).
      const cv::Mat ours = *DecodeJpeg(bytes.data(), bytes.size(), cv::IMREAD_COLOR);
      EXPECT_EQ(ours.rows, orientation >= 5 && orientation <= 8 ? 64 : 40) << what;
    }
  }
}

TEST(DecodeJpegTest, ReadsExifWhereOpenCvDoes) {
  const Bytes jpeg = CvJpeg(Textured(40, 64, 3));
  const Bytes turned = Exif(true, {{0x0112, 3, 1, 6}});
  // Only the first APP1 counts: an XMP packet first hides a later Exif block.
  const std::string xmp = "http://ns.adobe.com/xap/1.0/";
  Bytes bytes = WithApp1(WithApp1(jpeg, turned), Bytes(xmp.begin(), xmp.end()));
  EXPECT_EQ(ReadJpegOrientation(bytes.data(), bytes.size()).value, 1);
  ExpectSameAsOpenCv(bytes, cv::IMREAD_COLOR, "XMP before Exif");
  // The 6 identifier bytes are skipped unread.
  bytes = WithApp1(jpeg, Exif(true, {{0x0112, 3, 1, 6}}, {}, "Whatev"));
  EXPECT_EQ(ReadJpegOrientation(bytes.data(), bytes.size()).value, 6);
  ExpectSameAsOpenCv(bytes, cv::IMREAD_COLOR, "another identifier");
  // The first of two orientation entries wins.
  bytes = WithApp1(jpeg, Exif(false, {{0x0112, 3, 1, 3}, {0x0112, 3, 1, 8}}));
  EXPECT_EQ(ReadJpegOrientation(bytes.data(), bytes.size()).value, 3);
  ExpectSameAsOpenCv(bytes, cv::IMREAD_COLOR, "two orientation entries");
  // Not a TIFF block (no 0x2A mark): nothing turned.
  Bytes broken = turned;
  broken[6 + 2] = 0x2B;
  bytes = WithApp1(jpeg, broken);
  EXPECT_EQ(ReadJpegOrientation(bytes.data(), bytes.size()).value, 1);
  ExpectSameAsOpenCv(bytes, cv::IMREAD_COLOR, "no TIFF mark");
  // A COM segment and fill bytes before the APP1.
  Bytes com = {0xFF, 0xD8, 0xFF, 0xFF, 0xFE, 0x00, 0x05, 'a', 'b', 'c'};
  const Bytes with_exif = WithApp1(jpeg, turned);
  com.insert(com.end(), with_exif.begin() + 2, with_exif.end());
  EXPECT_EQ(ReadJpegOrientation(com.data(), com.size()).value, 6);
  ExpectSameAsOpenCv(com, cv::IMREAD_COLOR, "COM and fill bytes first");
}

std::string WriteFile(const std::string& name, const Bytes& bytes) {
  const std::string path = testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return path;
}

// ReadImage on a file the fast path steps aside for: OpenCV's own result (or its failure).
void ExpectReadImageIsOpenCvs(const std::string& path, int flags) {
  SCOPED_TRACE(path);
  const cv::Mat ref = cv::imread(path, flags);
  absl::StatusOr<cv::Mat> ours = ReadImage(path, flags);
  ASSERT_EQ(ours.ok(), !ref.empty()) << ours.status();
  if (!ref.empty()) {
    ASSERT_EQ(ours->size(), ref.size());
    ASSERT_EQ(ours->type(), ref.type());
    EXPECT_EQ(cv::norm(*ours, ref, cv::NORM_INF), 0.0);
  }
}

TEST(DecodeJpegTest, StepsAsideWhereOpenCvDecodesItsOwnWay) {
  const cv::Mat img = Textured(48, 80, 4);
  const Bytes jpeg = CvJpeg(img);
  // An Exif entry pointing outside its block, after the orientation entry: OpenCV stops there.
  const Bytes corrupt = WithApp1(jpeg, Exif(true, {{0x0112, 3, 1, 6}, {0x0110, 2, 40, 5000}}));
  EXPECT_FALSE(ReadJpegOrientation(corrupt.data(), corrupt.size()).decidable);
  // Truncated data (libjpeg warns and fills the rest), YCCK, PNG.
  const Bytes truncated(jpeg.begin(), jpeg.begin() + jpeg.size() / 2);
  cv::Mat cmyk(img.rows, img.cols, CV_8UC4);
  cv::RNG(5).fill(cmyk, cv::RNG::UNIFORM, 0, 255);
  const Bytes ycck = TjJpeg(cmyk, TJSAMP_444, TJPF_CMYK);
  Bytes png;
  ASSERT_TRUE(cv::imencode(".png", img, png));
  for (const auto& [name, bytes] : std::vector<std::pair<std::string, Bytes>>{
           {"corrupt_exif.jpg", corrupt}, {"truncated.jpg", truncated},
           {"ycck.jpg", ycck}, {"image.png", png}}) {
    for (int flags : {cv::IMREAD_COLOR, cv::IMREAD_GRAYSCALE}) {
      EXPECT_FALSE(DecodeJpeg(bytes.data(), bytes.size(), flags).has_value()) << name;
      ExpectReadImageIsOpenCvs(WriteFile(name, bytes), flags);
    }
  }
  // Flags other than color / grayscale are OpenCV's.
  EXPECT_FALSE(DecodeJpeg(jpeg.data(), jpeg.size(), cv::IMREAD_UNCHANGED).has_value());
  EXPECT_FALSE(DecodeJpeg(jpeg.data(), 2, cv::IMREAD_COLOR).has_value());
}

TEST(DecodeJpegTest, ReadImageGivesTheSameWithTheSwitchOffAndOn) {
  const Bytes bytes = WithApp1(CvJpeg(Textured(50, 70, 6)), Exif(false, {{0x0112, 3, 1, 7}}));
  const std::string path = WriteFile("turned.jpg", bytes);
  for (int flags : {cv::IMREAD_COLOR, cv::IMREAD_GRAYSCALE}) {
    SetTurboJpegEnabled(false);
    absl::StatusOr<cv::Mat> off = ReadImage(path, flags);
    SetTurboJpegEnabled(true);
    absl::StatusOr<cv::Mat> on = ReadImage(path, flags);
    ASSERT_TRUE(off.ok() && on.ok());
    ASSERT_EQ(on->size(), off->size());
    EXPECT_EQ(on->cols, 50);  // turned
    EXPECT_EQ(cv::norm(*on, *off, cv::NORM_INF), 0.0);
  }
}

}  // namespace
}  // namespace mmdet::datasets
