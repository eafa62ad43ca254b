#include "mmdet/datasets/pipelines/jpeg_decode.h"

#include <turbojpeg.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "opencv2/core.hpp"

namespace mmdet::datasets {
namespace {

// OpenCV's ExifReader over one TIFF block: its reads, bounds checks and byte order, so that
// the orientation comes out as OpenCV's does. A read past the end is where OpenCV throws and
// stops (keeping the entries before it); here that makes the answer undecidable.
class ExifBlock {
 public:
  ExifBlock(const uint8_t* data, size_t size) : d_(data), n_(size) {
    // OpenCV: "II" is little-endian; any other start (even "IM") reads big-endian.
    little_ = n_ >= 1 && (n_ == 1 || d_[0] == d_[1]) && d_[0] == 'I';
  }

  bool U16(size_t off, uint32_t* v) const {
    if (off + 1 >= n_) return false;
    *v = little_ ? d_[off] | d_[off + 1] << 8 : d_[off] << 8 | d_[off + 1];
    return true;
  }
  bool U32(size_t off, uint32_t* v) const {
    if (off + 3 >= n_) return false;
    *v = little_ ? uint32_t{d_[off]} | uint32_t{d_[off + 1]} << 8 |
                       uint32_t{d_[off + 2]} << 16 | uint32_t{d_[off + 3]} << 24
                 : uint32_t{d_[off]} << 24 | uint32_t{d_[off + 1]} << 16 |
                       uint32_t{d_[off + 2]} << 8 | uint32_t{d_[off + 3]};
    return true;
  }
  // `count` unsigned rationals at the offset stored in the entry (OpenCV reads them all).
  bool Rationals(size_t entry, int count) const {
    uint32_t at, v;
    if (!U32(entry + 8, &at)) return false;
    for (int i = 0; i < count; ++i, at += 8) {
      if (!U32(at, &v) || !U32(size_t{at} + 4, &v)) return false;
    }
    return true;
  }
  // An ASCII entry: inline when it fits 4 bytes (OpenCV then checks it against offset 8 of the
  // block, not of the entry), else at the stored offset.
  bool String(size_t entry) const {
    uint32_t size, at = 8;
    if (!U32(entry + 4, &size)) return false;
    if (size > 4 && !U32(entry + 8, &at)) return false;
    return at <= n_ && size_t{at} + size <= n_;
  }

  // The first orientation entry of IFD0, as OpenCV's parseExif + getTag(ORIENTATION).
  JpegOrientation Orientation() const {
    JpegOrientation out;
    bool found = false;
    uint32_t mark, offset, entries;
    if (!U16(2, &mark)) return {false, 1};
    if (mark != 0x002A) return out;  // not a TIFF block: no entries, nothing turned
    if (!U32(4, &offset) || !U16(offset, &entries)) return {false, 1};
    offset += 2;
    for (uint32_t i = 0; i < entries; ++i, offset += 12) {
      uint32_t tag, v;
      if (!U16(offset, &tag)) return {false, 1};
      bool ok = true;
      switch (tag) {
        case 0x010E: case 0x010F: case 0x0110: case 0x0131: case 0x0132: case 0x8298:
          ok = String(offset);  // description, make, model, software, date, copyright
          break;
        case 0x0112:  // orientation
          ok = U16(size_t{offset} + 8, &v);
          if (ok && !found) out.value = static_cast<int>(v), found = true;
          break;
        case 0x011A: case 0x011B: ok = Rationals(offset, 1); break;  // x / y resolution
        case 0x013E: ok = Rationals(offset, 2); break;                // white point
        case 0x013F: case 0x0214: ok = Rationals(offset, 6); break;   // primaries, ref B/W
        case 0x0211: ok = Rationals(offset, 3); break;                // YCbCr coefficients
        case 0x0128: case 0x0213: ok = U16(size_t{offset} + 8, &v); break;
        default: break;  // other tags are not read
      }
      if (!ok) return {false, out.value};
    }
    return out;
  }

 private:
  const uint8_t* d_;
  size_t n_;
  bool little_;
};

struct TjDestroy {
  void operator()(void* handle) const { tjDestroy(handle); }
};

void* Decompressor() {
  thread_local std::unique_ptr<void, TjDestroy> handle(tjInitDecompress());
  return handle.get();
}

// OpenCV's ExifTransform.
void Orient(int orientation, cv::Mat& img) {
  switch (orientation) {
    case 2: cv::flip(img, img, 1); break;
    case 3: cv::flip(img, img, -1); break;
    case 4: cv::flip(img, img, 0); break;
    case 5: cv::transpose(img, img); break;
    case 6: cv::transpose(img, img); cv::flip(img, img, 1); break;
    case 7: cv::transpose(img, img); cv::flip(img, img, -1); break;
    case 8: cv::transpose(img, img); cv::flip(img, img, 0); break;
    default: break;
  }
}

std::atomic<int> turbojpeg_enabled{-1};  // -1: not read from the environment yet

}  // namespace

JpegOrientation ReadJpegOrientation(const uint8_t* data, size_t size) {
  if (size < 4 || data[0] != 0xFF || data[1] != 0xD8) return {false, 1};
  // The segments up to SOS, as libjpeg's marker reader walks them (fill bytes allowed).
  size_t pos = 2;
  while (true) {
    if (pos + 2 > size || data[pos] != 0xFF) return {false, 1};
    const uint8_t marker = data[pos + 1];
    if (marker == 0xFF) {
      ++pos;
      continue;
    }
    if (marker == 0xDA) return {};  // start of scan: no APP1, nothing to turn
    if (marker == 0xD8 || marker == 0xD9 || marker == 0x00) return {false, 1};
    if ((marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      pos += 2;
      continue;
    }
    if (pos + 4 > size) return {false, 1};
    const size_t length = size_t{data[pos + 2]} << 8 | data[pos + 3];
    if (length < 2 || pos + 2 + length > size) return {false, 1};
    if (marker == 0xE1) {
      // OpenCV: the first APP1, whatever it holds, 6 bytes in ("Exif\0\0").
      const size_t payload = length - 2;
      if (payload <= 6) return {};
      return ExifBlock(data + pos + 4 + 6, payload - 6).Orientation();
    }
    pos += 2 + length;
  }
}

std::optional<cv::Mat> DecodeJpeg(const uint8_t* data, size_t size, int imread_flags) {
  if (imread_flags != kImreadColor && imread_flags != kImreadGrayscale) return {};
  // OpenCV's JPEG signature.
  if (size < 3 || data[0] != 0xFF || data[1] != 0xD8 || data[2] != 0xFF) return {};
  const JpegOrientation orientation = ReadJpegOrientation(data, size);
  if (!orientation.decidable) return {};
  void* tj = Decompressor();
  if (tj == nullptr) return {};
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  if (tjDecompressHeader3(tj, data, static_cast<unsigned long>(size), &width, &height,
                          &subsampling, &colorspace) != 0) {
    return {};
  }
  // OpenCV converts CMYK itself; its size limits (CV_IO_MAX_IMAGE_WIDTH / _PIXELS).
  if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) return {};
  if (width <= 0 || height <= 0 || width > (1 << 20) || height > (1 << 20) ||
      int64_t{width} * height > (int64_t{1} << 30)) {
    return {};
  }
  const bool color = imread_flags == kImreadColor;
  cv::Mat img(height, width, color ? CV_8UC3 : CV_8UC1);
  if (tjDecompress2(tj, data, static_cast<unsigned long>(size), img.data, width,
                    static_cast<int>(img.step[0]), height, color ? TJPF_BGR : TJPF_GRAY,
                    0) != 0) {
    return {};  // warnings too: OpenCV's decoder handles damaged data its own way
  }
  Orient(orientation.value, img);
  return img;
}

bool TurboJpegEnabled() {
  int enabled = turbojpeg_enabled.load(std::memory_order_relaxed);
  if (enabled < 0) {
    const char* env = std::getenv("MMDET_TURBOJPEG");
    enabled = env != nullptr && std::strcmp(env, "0") == 0 ? 0 : 1;
    turbojpeg_enabled.store(enabled, std::memory_order_relaxed);
  }
  return enabled == 1;
}

void SetTurboJpegEnabled(bool enabled) {
  turbojpeg_enabled.store(enabled ? 1 : 0, std::memory_order_relaxed);
}

}  // namespace mmdet::datasets
