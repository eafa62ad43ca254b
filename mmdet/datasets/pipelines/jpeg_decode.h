// JPEG decoding through libjpeg-turbo's TurboJPEG API with OpenCV's results: the pixels
// cv::imread(path, IMREAD_COLOR / IMREAD_GRAYSCALE) gives (the same libjpeg-turbo decoder,
// ISLOW DCT, fancy upsampling), turned by the EXIF orientation as OpenCV 4's ExifReader reads
// it. Without OpenCV's codec layer around it, it decodes COCO's JPEGs ~25% faster
// (loader_benchmark BM_ReadImage). mmcv offers the same decoder as its `turbojpeg` backend.
#ifndef MMDET_DATASETS_PIPELINES_JPEG_DECODE_H_
#define MMDET_DATASETS_PIPELINES_JPEG_DECODE_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "mmdet/datasets/pipelines/imread_flags.h"
#include "opencv2/core.hpp"

namespace mmdet::datasets {

// What OpenCV 4 would make of a JPEG's EXIF orientation.
struct JpegOrientation {
  bool decidable = true;  // false: OpenCV's reader would give up part-way (a corrupt Exif
                          // block); callers leave such files to OpenCV itself
  int value = 1;          // the IFD0 orientation tag (1..8 turn the image; anything else not)
};

// Reads the first APP1 segment as OpenCV's JPEG decoder does: its payload after 6 bytes as a
// TIFF block (no "Exif" check), IFD0's entries in order, the first orientation entry's value.
// `decidable` is false when the segments up to SOS cannot be walked or an entry's read falls
// outside the block.
JpegOrientation ReadJpegOrientation(const uint8_t* data, size_t size);

// The image cv::imdecode(bytes, imread_flags) gives, for imread_flags kImreadColor (8-bit
// BGR) or kImreadGrayscale, decoded by TurboJPEG. nullopt when this path does not apply and
// OpenCV should decode instead: other flags, not a JPEG, CMYK / YCCK data, a TurboJPEG
// warning or error (truncated or corrupt data, which OpenCV decodes its own way), an
// undecidable orientation, or an image beyond OpenCV's size limits.
std::optional<cv::Mat> DecodeJpeg(const uint8_t* data, size_t size, int imread_flags);

// Whether ReadImage uses DecodeJpeg: on unless the environment has MMDET_TURBOJPEG=0 (read
// once); SetTurboJpegEnabled overrides it (benchmarks, tests).
bool TurboJpegEnabled();
void SetTurboJpegEnabled(bool enabled);

}  // namespace mmdet::datasets

#endif  // MMDET_DATASETS_PIPELINES_JPEG_DECODE_H_
