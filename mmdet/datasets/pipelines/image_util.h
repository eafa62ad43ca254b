// OpenCV helpers shared by the transforms.
#ifndef MMDET_DATASETS_PIPELINES_IMAGE_UTIL_H_
#define MMDET_DATASETS_PIPELINES_IMAGE_UTIL_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "mmdet/datasets/pipelines/imread_flags.h"
#include "mmdet/ops/mask_util.h"
#include "opencv2/core.hpp"
#include "torch/types.h"

namespace mmdet::datasets {

// cv::imread with errors that name the file: NotFound when it does not exist, DataLoss when
// OpenCV cannot decode it. JPEGs read as IMREAD_COLOR / IMREAD_GRAYSCALE are decoded by
// TurboJPEG with OpenCV's result (jpeg_decode.h; MMDET_TURBOJPEG=0 turns that off).
absl::StatusOr<cv::Mat> ReadImage(const std::string& path, int imread_flags);

// (h, w, c) of an image.
std::array<int64_t, 3> ShapeOf(const cv::Mat& img);

// The h x w CV_8U 0/1 mask of a (column-major) RLE.
cv::Mat RleToMat(const ops::Rle& rle);

// H x W x C (or H x W) Mat -> C x H x W tensor of the same element type (a copy).
torch::Tensor ImageToChwTensor(const cv::Mat& img);

// The (h, w) element-wise copy of a Mat as a tensor (2-D, same element type).
torch::Tensor MatToTensor2d(const cv::Mat& mat);

}  // namespace mmdet::datasets

#endif  // MMDET_DATASETS_PIPELINES_IMAGE_UTIL_H_
