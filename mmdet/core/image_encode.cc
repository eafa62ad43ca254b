#include "mmdet/core/image_encode.h"

#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
#include <csetjmp>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace mmdet {
namespace {

struct TjDestroy {
  void operator()(void* handle) const { tjDestroy(handle); }
};

void AppendBytes(png_structp png, png_bytep data, png_size_t n) {
  auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + n);
}
void NoFlush(png_structp) {}

struct WriteStruct {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  ~WriteStruct() { png_destroy_write_struct(&png, &info); }
};

// OpenCV's PngEncoder::write with no parameters; libpng errors longjmp here (no C++ objects).
bool WritePng(WriteStruct& s, const cv::Mat& img, png_bytepp rows, std::vector<uint8_t>* out) {
  if (setjmp(png_jmpbuf(s.png))) return false;
  png_set_write_fn(s.png, out, AppendBytes, NoFlush);
  png_set_filter(s.png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
  png_set_compression_level(s.png, 1);     // Z_BEST_SPEED
  png_set_compression_strategy(s.png, 3);  // Z_RLE (zlib.h's values, fixed by its format)
  const int channels = img.channels();
  png_set_IHDR(s.png, s.info, static_cast<png_uint_32>(img.cols),
               static_cast<png_uint_32>(img.rows), img.depth() == CV_8U ? 8 : 16,
               channels == 1   ? PNG_COLOR_TYPE_GRAY
               : channels == 3 ? PNG_COLOR_TYPE_RGB
                               : PNG_COLOR_TYPE_RGBA,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(s.png, s.info);
  png_set_bgr(s.png);
  png_set_swap(s.png);  // 16-bit samples from the (little-endian) host order
  png_write_image(s.png, rows);
  png_write_end(s.png, s.info);
  return true;
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> EncodeJpeg(const cv::Mat& img, int quality) {
  if (img.empty() || img.depth() != CV_8U || (img.channels() != 1 && img.channels() != 3)) {
    return absl::InvalidArgumentError(
        "JPEG encoding takes an 8-bit gray or BGR image, got " +
        absl::StrCat(img.channels(), " channels of depth ", img.depth()));
  }
  // OpenCV clamps to 0..100 and libjpeg reads 0 as 1; TurboJPEG wants 1..100.
  quality = std::clamp(quality, 1, 100);
  std::unique_ptr<void, TjDestroy> tj(tjInitCompress());
  if (!tj) return absl::InternalError("TurboJPEG: cannot create a compressor");
  const bool gray = img.channels() == 1;
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  // The accurate (ISLOW) DCT as libjpeg's defaults, which OpenCV keeps; TurboJPEG's own
  // compression default is the fast one.
  const int rc = tjCompress2(tj.get(), img.data, img.cols, static_cast<int>(img.step[0]),
                             img.rows, gray ? TJPF_GRAY : TJPF_BGR, &buf, &size,
                             gray ? TJSAMP_GRAY : TJSAMP_420, quality, TJFLAG_ACCURATEDCT);
  if (rc != 0) {
    const std::string error = tjGetErrorStr2(tj.get());
    tjFree(buf);
    return absl::InternalError("TurboJPEG: " + error);
  }
  std::vector<uint8_t> out(buf, buf + size);
  tjFree(buf);
  return out;
}

absl::StatusOr<std::vector<uint8_t>> EncodePng(const cv::Mat& img) {
  if (img.empty() || (img.depth() != CV_8U && img.depth() != CV_16U) ||
      (img.channels() != 1 && img.channels() != 3 && img.channels() != 4)) {
    return absl::InvalidArgumentError(
        "PNG encoding takes an 8- or 16-bit image with 1, 3 or 4 channels, got " +
        absl::StrCat(img.channels(), " channels of depth ", img.depth()));
  }
  WriteStruct s;
  if (s.png == nullptr || s.info == nullptr) return absl::InternalError("libpng: out of memory");
  std::vector<png_bytep> rows(img.rows);
  for (int y = 0; y < img.rows; ++y) rows[y] = const_cast<png_bytep>(img.ptr<uint8_t>(y));
  std::vector<uint8_t> out;
  if (!WritePng(s, img, rows.data(), &out)) return absl::InternalError("libpng: encoding failed");
  return out;
}

absl::StatusOr<std::vector<uint8_t>> EncodeImage(const std::string& ext, const cv::Mat& img) {
  const std::string e = absl::AsciiStrToLower(ext);
  if (e == ".jpg" || e == ".jpeg" || e == ".jpe") return EncodeJpeg(img, 95);
  if (e == ".png") return EncodePng(img);
  return absl::InvalidArgumentError("cannot encode images as '" + ext +
                                    "' (this build writes .jpg and .png)");
}

}  // namespace mmdet
