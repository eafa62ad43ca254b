// PNG decoding through libpng with OpenCV 4's results: cv::imdecode(bytes, flags) for flags
// IMREAD_COLOR (8-bit BGR), IMREAD_GRAYSCALE (8-bit, libpng's 0.299 / 0.587 / 0.114 gray) and
// IMREAD_UNCHANGED (8- or 16-bit, 1, 3 or 4 channels as OpenCV's PngDecoder types them), by
// the same libpng transforms OpenCV's decoder asks for. For the builds without OpenCV's
// imgcodecs (the GPU machines' bundle); the CPU build reads PNGs with cv::imread and
// png_decode_test compares the two.
#ifndef MMDET_DATASETS_PIPELINES_PNG_DECODE_H_
#define MMDET_DATASETS_PIPELINES_PNG_DECODE_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "mmdet/datasets/pipelines/imread_flags.h"
#include "opencv2/core.hpp"

namespace mmdet::datasets {

// nullopt when the bytes are not a PNG libpng reads (libpng's error), the flags are other
// than the three above, or the image is beyond OpenCV's size limits.
std::optional<cv::Mat> DecodePng(const uint8_t* data, size_t size, int imread_flags);

}  // namespace mmdet::datasets

#endif  // MMDET_DATASETS_PIPELINES_PNG_DECODE_H_
