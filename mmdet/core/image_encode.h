// JPEG and PNG encoding with OpenCV's bytes, without OpenCV's imgcodecs: cv::imencode(".jpg",
// img, {IMWRITE_JPEG_QUALITY, q}) through TurboJPEG (libjpeg's defaults, 4:2:0, the accurate
// DCT, baseline Huffman tables), cv::imencode(".png", img) through libpng (OpenCV's speed
// settings: SUB filter, zlib level 1, the RLE strategy). image_encode_test compares the
// bytes with OpenCV's own. One code path for every build, including the GPU machines'
// bundle, which has no imgcodecs.
#ifndef MMDET_CORE_IMAGE_ENCODE_H_
#define MMDET_CORE_IMAGE_ENCODE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "opencv2/core.hpp"

namespace mmdet {

// 8-bit, 1 (gray) or 3 (BGR) channels; quality 0..100 (OpenCV clamps to 1..100 the same way).
absl::StatusOr<std::vector<uint8_t>> EncodeJpeg(const cv::Mat& img, int quality = 95);

// 8- or 16-bit, 1, 3 (BGR) or 4 (BGRA) channels.
absl::StatusOr<std::vector<uint8_t>> EncodePng(const cv::Mat& img);

// By extension, as cv::imencode chooses: .jpg / .jpeg / .jpe -> EncodeJpeg(95), .png ->
// EncodePng; any other extension is an error.
absl::StatusOr<std::vector<uint8_t>> EncodeImage(const std::string& ext, const cv::Mat& img);

}  // namespace mmdet

#endif  // MMDET_CORE_IMAGE_ENCODE_H_
