// MMDetection v2.0's show_result drawing (BaseDetector.show_result + mmcv.imshow_det_bboxes),
// shared by test --show-dir and, later, the inference API and the demos:
//   - only detections with score > score_thr (strict);
//   - each such mask blended into the image at 0.5 with its class's colour (v2.0 draws
//     colours from np.random.seed(42); ours come from a fixed per-class hash, so the colours
//     differ, the blending does not);
//   - boxes as green (BGR 0, 255, 0) rectangles, thickness 1, on the int-truncated corners;
//   - the label "name|0.xx" in green at (x1, y1 - 2), FONT_HERSHEY_COMPLEX, scale 0.5.
#ifndef MMDET_APIS_SHOW_RESULT_H_
#define MMDET_APIS_SHOW_RESULT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/evaluation/results.h"
#include "opencv2/core.hpp"

namespace mmdet::apis {

// The drawn copy of `image` (8-bit BGR) for results row `index` of `results`.
cv::Mat ShowResult(const cv::Mat& image, const evaluation::DetectionResults& results,
                   size_t index, const std::vector<std::string>& classes,
                   double score_thr = 0.3);

// BaseDetector.show_result for the inference API's one-image result (row 0): the drawn image,
// also written to `out_file` (atomically) when given, else shown in a window for `wait_time`
// ms (0: until a key; no display is an error saying so).
absl::StatusOr<cv::Mat> ShowResult(const cv::Mat& image, const evaluation::DetectionResults& result,
                                   const std::vector<std::string>& classes, double score_thr = 0.3,
                                   const std::string& out_file = "", int wait_time = 0);

}  // namespace mmdet::apis

#endif  // MMDET_APIS_SHOW_RESULT_H_
