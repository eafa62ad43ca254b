// Reading images with TurboJPEG and libpng alone, for the builds without OpenCV's imgcodecs
// (the GPU machines' bundle, docs/gpu.md): JPEGs as jpeg_decode.h decodes them, PNGs as
// png_decode.h does, both with OpenCV's results; anything else, and the JPEGs that
// DecodeJpeg leaves to OpenCV (CMYK, damaged data, a corrupt Exif block), is an error naming
// the file. ReadImage calls it where MMDET_WITHOUT_IMGCODECS is defined.
#ifndef MMDET_DATASETS_PIPELINES_CODEC_FREE_READ_H_
#define MMDET_DATASETS_PIPELINES_CODEC_FREE_READ_H_

#include <string>

#include "absl/status/statusor.h"
#include "opencv2/core.hpp"

namespace mmdet::datasets {

// imread_flags: IMREAD_COLOR, IMREAD_GRAYSCALE or (PNG only) IMREAD_UNCHANGED.
absl::StatusOr<cv::Mat> ReadImageWithoutOpenCvCodecs(const std::string& path, int imread_flags);

}  // namespace mmdet::datasets

#endif  // MMDET_DATASETS_PIPELINES_CODEC_FREE_READ_H_
