// cv::IMREAD_COLOR, IMREAD_GRAYSCALE and IMREAD_UNCHANGED without OpenCV's imgcodecs header
// (the GPU machines' bundle has none; image_util.cc checks the values against OpenCV's).
#ifndef MMDET_DATASETS_PIPELINES_IMREAD_FLAGS_H_
#define MMDET_DATASETS_PIPELINES_IMREAD_FLAGS_H_

namespace mmdet::datasets {

inline constexpr int kImreadUnchanged = -1;
inline constexpr int kImreadGrayscale = 0;
inline constexpr int kImreadColor = 1;

}  // namespace mmdet::datasets

#endif  // MMDET_DATASETS_PIPELINES_IMREAD_FLAGS_H_
