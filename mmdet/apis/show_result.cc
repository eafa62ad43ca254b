#include "mmdet/apis/show_result.h"

#include <cstdint>

#include "absl/strings/str_format.h"
#include "mmdet/apis/show_window.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/core/visualization.h"
#include "mmdet/ops/mask_util.h"
#include "opencv2/imgproc.hpp"
#include "torch/types.h"

namespace mmdet::apis {
namespace {

cv::Vec3b ClassColour(size_t label) {
  // A fixed, well-spread colour per class (splitmix64 of the label).
  uint64_t z = (static_cast<uint64_t>(label) + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return cv::Vec3b(static_cast<uchar>(z), static_cast<uchar>(z >> 8), static_cast<uchar>(z >> 16));
}

}  // namespace

cv::Mat ShowResult(const cv::Mat& image, const evaluation::DetectionResults& results, size_t index,
                   const std::vector<std::string>& classes, double score_thr) {
  cv::Mat img = image.clone();
  if (index >= results.bboxes.size()) return img;
  const auto& per_class = results.bboxes[index];
  const bool masks = results.kind == evaluation::DetectionResults::kMasks &&
                     index < results.segms.size();
  // Masks first (show_result blends them before drawing the boxes).
  if (masks) {
    for (size_t c = 0; c < per_class.size() && c < results.segms[index].size(); ++c) {
      const at::Tensor boxes = per_class[c].contiguous();
      const float* b = boxes.data_ptr<float>();
      for (int64_t i = 0; i < boxes.size(0) && i < static_cast<int64_t>(results.segms[index][c].size()); ++i) {
        if (!(b[i * 5 + 4] > score_thr)) continue;
        const at::Tensor m = ops::Decode(results.segms[index][c][static_cast<size_t>(i)]).contiguous();
        if (m.size(0) != img.rows || m.size(1) != img.cols) continue;
        const uint8_t* mp = m.data_ptr<uint8_t>();
        const cv::Vec3b colour = ClassColour(c);
        for (int y = 0; y < img.rows; ++y) {
          cv::Vec3b* row = img.ptr<cv::Vec3b>(y);
          for (int x = 0; x < img.cols; ++x) {
            if (mp[static_cast<int64_t>(y) * img.cols + x] == 0) continue;
            for (int k = 0; k < 3; ++k) {
              // img[mask] * 0.5 + color_mask * 0.5, truncated to uint8 as numpy's astype.
              row[x][k] = static_cast<uchar>(row[x][k] * 0.5 + colour[k] * 0.5);
            }
          }
        }
      }
    }
  }
  const cv::Scalar green(0, 255, 0);
  for (size_t c = 0; c < per_class.size(); ++c) {
    const at::Tensor boxes = per_class[c].contiguous();
    const float* b = boxes.data_ptr<float>();
    for (int64_t i = 0; i < boxes.size(0); ++i) {
      const float score = b[i * 5 + 4];
      if (!(score > score_thr)) continue;
      const cv::Point tl(static_cast<int>(b[i * 5]), static_cast<int>(b[i * 5 + 1]));
      const cv::Point br(static_cast<int>(b[i * 5 + 2]), static_cast<int>(b[i * 5 + 3]));
      cv::rectangle(img, tl, br, green, 1);
      const std::string name = c < classes.size() ? classes[c] : absl::StrFormat("cls %d", c);
      cv::putText(img, absl::StrFormat("%s|%.02f", name, score), cv::Point(tl.x, tl.y - 2),
                  cv::FONT_HERSHEY_COMPLEX, 0.5, green);
    }
  }
  return img;
}

absl::StatusOr<cv::Mat> ShowResult(const cv::Mat& image, const evaluation::DetectionResults& result,
                                   const std::vector<std::string>& classes, double score_thr,
                                   const std::string& out_file, int wait_time) {
  cv::Mat drawn = ShowResult(image, result, 0, classes, score_thr);
  if (!out_file.empty()) {
    MMDET_RETURN_IF_ERROR(WriteImageAtomically(out_file, drawn));
  } else {
    MMDET_RETURN_IF_ERROR(ShowInWindow("", drawn, wait_time).status());
  }
  return drawn;
}

}  // namespace mmdet::apis
