#include "mmdet/datasets/pipelines/png_decode.h"

#include <png.h>

#include <csetjmp>
#include <cstring>
#include <vector>

#include "mmdet/datasets/pipelines/jpeg_decode.h"

namespace mmdet::datasets {
namespace {

struct Source {
  const uint8_t* data;
  size_t size, pos;
};

void ReadFromSource(png_structp png, png_bytep out, png_size_t n) {
  auto* src = static_cast<Source*>(png_get_io_ptr(png));
  if (src->pos + n > src->size) png_error(png, "PNG input buffer is incomplete");
  std::memcpy(out, src->data + src->pos, n);
  src->pos += n;
}

struct ReadStruct {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  png_infop end = png ? png_create_info_struct(png) : nullptr;
  ~ReadStruct() { png_destroy_read_struct(&png, &info, &end); }
};

struct Header {
  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0, num_trans = 0;
};

// libpng reports errors by longjmp: these two hold no C++ objects of their own.
bool ReadHeader(ReadStruct& s, Source* src, Header* h) {
  if (setjmp(png_jmpbuf(s.png))) return false;
  png_set_read_fn(s.png, src, ReadFromSource);
  png_read_info(s.png, s.info);
  png_get_IHDR(s.png, s.info, &h->width, &h->height, &h->bit_depth, &h->color_type, nullptr,
               nullptr, nullptr);
  if (h->color_type == PNG_COLOR_TYPE_RGB || h->color_type == PNG_COLOR_TYPE_PALETTE) {
    png_bytep trans = nullptr;
    png_color_16p values = nullptr;
    png_get_tRNS(s.png, s.info, &trans, &h->num_trans, &values);
  }
  return true;
}

// OpenCV's PngDecoder::readData: the transforms it asks libpng for, then the rows.
bool ReadRows(ReadStruct& s, const Header& h, int depth, int channels, png_bytepp rows) {
  if (setjmp(png_jmpbuf(s.png))) return false;
  const bool color = channels > 1;
  if (depth == CV_8U && h.bit_depth == 16) {
    png_set_strip_16(s.png);
  } else {
    png_set_swap(s.png);  // 16-bit samples in the (little-endian) host order
  }
  if (channels < 4) {
    png_set_strip_alpha(s.png);
  } else {
    png_set_tRNS_to_alpha(s.png);
  }
  if (h.color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(s.png);
  if ((h.color_type & PNG_COLOR_MASK_COLOR) == 0 && h.bit_depth < 8) {
    png_set_expand_gray_1_2_4_to_8(s.png);
  }
  if ((h.color_type & PNG_COLOR_MASK_COLOR) && color) {
    png_set_bgr(s.png);
  } else if (color) {
    png_set_gray_to_rgb(s.png);
  } else {
    png_set_rgb_to_gray(s.png, 1, 0.299, 0.587);
  }
  png_set_interlace_handling(s.png);
  png_read_update_info(s.png, s.info);
  png_read_image(s.png, rows);
  png_read_end(s.png, s.end);
  return true;
}

}  // namespace

std::optional<cv::Mat> DecodePng(const uint8_t* data, size_t size, int imread_flags) {
  if (imread_flags != kImreadColor && imread_flags != kImreadGrayscale &&
      imread_flags != kImreadUnchanged) {
    return {};
  }
  if (size < 8 || png_sig_cmp(data, 0, 8) != 0) return {};
  ReadStruct s;
  if (s.png == nullptr || s.info == nullptr || s.end == nullptr) return {};
  Source src{data, size, 0};
  Header h;
  if (!ReadHeader(s, &src, &h)) return {};
  if (h.width == 0 || h.height == 0 || h.width > (1u << 20) || h.height > (1u << 20) ||
      uint64_t{h.width} * h.height > (uint64_t{1} << 30)) {
    return {};
  }
  // OpenCV's PngDecoder type, then imread's calcType for the flags.
  int channels = 1;
  if (h.color_type == PNG_COLOR_TYPE_RGB || h.color_type == PNG_COLOR_TYPE_PALETTE) {
    channels = h.num_trans > 0 ? 4 : 3;
  } else if (h.color_type == PNG_COLOR_TYPE_GRAY_ALPHA ||
             h.color_type == PNG_COLOR_TYPE_RGB_ALPHA) {
    channels = 4;
  }
  int depth = h.bit_depth == 16 ? CV_16U : CV_8U;
  if (imread_flags != kImreadUnchanged) {
    depth = CV_8U;
    channels = imread_flags == kImreadColor ? 3 : 1;
  }
  cv::Mat img(static_cast<int>(h.height), static_cast<int>(h.width), CV_MAKETYPE(depth, channels));
  std::vector<png_bytep> rows(h.height);
  for (png_uint_32 y = 0; y < h.height; ++y) rows[y] = img.ptr<uint8_t>(static_cast<int>(y));
  if (!ReadRows(s, h, depth, channels, rows.data())) return {};
  return img;
}

}  // namespace mmdet::datasets
