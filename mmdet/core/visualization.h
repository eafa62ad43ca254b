// Drawing detections and ground truth on images (mmcv's imshow_det_bboxes, for files rather
// than windows).
//
//   DrawOptions options;
//   options.class_names = &dataset->classes();
//   DrawDetections(image, boxes, labels, /*scores=*/{}, masks, options);
//   MMDET_RETURN_IF_ERROR(WriteImageAtomically("out/000001.jpg", image));
#ifndef MMDET_CORE_VISUALIZATION_H_
#define MMDET_CORE_VISUALIZATION_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "opencv2/core.hpp"

namespace mmdet {

struct DrawOptions {
  const std::vector<std::string>* class_names = nullptr;  // labels printed as numbers if null
  int thickness = 1;
  double font_scale = 0.5;
  double mask_alpha = 0.5;
  // Boxes scoring below this are not drawn (when scores are given).
  float score_thr = 0;
};

// Draws on `image` (8-bit BGR, modified in place): each mask blended in a colour of its own,
// each box as a rectangle in its class's colour with "name" or "name|score" above it.
// `scores` and `masks` may be empty; otherwise parallel to `boxes`. Masks are CV_8U, 0/1 or
// 0/255, image-sized.
void DrawDetections(cv::Mat& image, const std::vector<std::array<float, 4>>& boxes,
                    const std::vector<int64_t>& labels, const std::vector<float>& scores,
                    const std::vector<cv::Mat>& masks, const DrawOptions& options);

// A displayable 8-bit BGR copy of `image`: float images are rounded and clipped to 0..255,
// 1-channel ones expanded.
cv::Mat ToDisplayable(const cv::Mat& image);

// Encodes `image` by the extension of `path` (.jpg, .png...) and writes it atomically.
absl::Status WriteImageAtomically(const std::string& path, const cv::Mat& image);

}  // namespace mmdet

#endif  // MMDET_CORE_VISUALIZATION_H_
