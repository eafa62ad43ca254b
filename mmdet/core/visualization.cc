#include "mmdet/core/visualization.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/image_encode.h"
#include "mmdet/core/status.h"
#ifndef MMDET_WITHOUT_IMGCODECS
#include "opencv2/imgcodecs.hpp"
#endif
#include "opencv2/imgproc.hpp"

namespace mmdet {
namespace {

// A fixed, well-spread colour per index (golden-ratio hues).
cv::Scalar ColorOf(int64_t index) {
  const double hue = std::fmod(0.1 + 0.618033988749895 * static_cast<double>(index), 1.0);
  cv::Mat hsv(1, 1, CV_8UC3, cv::Scalar(hue * 180, 200, 255)), bgr;
  cv::cvtColor(hsv, bgr, cv::COLOR_HSV2BGR);
  const cv::Vec3b c = bgr.at<cv::Vec3b>(0, 0);
  return cv::Scalar(c[0], c[1], c[2]);
}

}  // namespace

cv::Mat ToDisplayable(const cv::Mat& image) {
  cv::Mat out;
  if (image.depth() == CV_8U) {
    out = image.clone();
  } else {
    image.convertTo(out, CV_8U);  // rounds and saturates
  }
  if (out.channels() == 1) cv::cvtColor(out, out, cv::COLOR_GRAY2BGR);
  return out;
}

void DrawDetections(cv::Mat& image, const std::vector<std::array<float, 4>>& boxes,
                    const std::vector<int64_t>& labels, const std::vector<float>& scores,
                    const std::vector<cv::Mat>& masks, const DrawOptions& options) {
  for (size_t i = 0; i < masks.size() && i < boxes.size(); ++i) {
    if (!scores.empty() && scores[i] < options.score_thr) continue;
    if (masks[i].size() != image.size()) continue;
    cv::Mat colored(image.size(), image.type(), ColorOf(static_cast<int64_t>(i) + 7));
    cv::Mat blended;
    cv::addWeighted(image, 1 - options.mask_alpha, colored, options.mask_alpha, 0, blended);
    blended.copyTo(image, masks[i] != 0);
  }
  for (size_t i = 0; i < boxes.size(); ++i) {
    if (!scores.empty() && scores[i] < options.score_thr) continue;
    const int64_t label = i < labels.size() ? labels[i] : -1;
    const cv::Scalar color = ColorOf(label);
    const auto& b = boxes[i];
    cv::rectangle(image, cv::Point(cvRound(b[0]), cvRound(b[1])),
                  cv::Point(cvRound(b[2]), cvRound(b[3])), color, options.thickness);
    std::string text =
        options.class_names != nullptr && label >= 0 &&
                label < static_cast<int64_t>(options.class_names->size())
            ? (*options.class_names)[static_cast<size_t>(label)]
            : absl::StrCat("class ", label);
    if (!scores.empty()) absl::StrAppend(&text, absl::StrFormat("|%.2f", scores[i]));
    int baseline = 0;
    const cv::Size size =
        cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, options.font_scale, 1, &baseline);
    const int x = std::max(0, cvRound(b[0]));
    const int y = std::max(size.height + 2, cvRound(b[1]));
    cv::rectangle(image, cv::Point(x, y - size.height - 2), cv::Point(x + size.width, y),
                  color, cv::FILLED);
    cv::putText(image, text, cv::Point(x, y - 1), cv::FONT_HERSHEY_SIMPLEX, options.font_scale,
                cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  }
}

absl::Status WriteImageAtomically(const std::string& path, const cv::Mat& image) {
  const size_t dot = path.rfind('.');
  const std::string ext = dot == std::string::npos ? ".png" : path.substr(dot);
  std::vector<uchar> bytes;
  const std::string lower = absl::AsciiStrToLower(ext);
  if (lower == ".jpg" || lower == ".jpeg" || lower == ".jpe" || lower == ".png") {
    // OpenCV's bytes through TurboJPEG / libpng (image_encode.h), in every build.
    auto encoded = EncodeImage(ext, image);
    if (!encoded.ok()) return Annotate(encoded.status(), path);
    bytes = *std::move(encoded);
  } else {
#ifdef MMDET_WITHOUT_IMGCODECS
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": this build (without OpenCV's image codecs) writes .jpg and .png"));
#else
    bool encoded = false;
    try {
      encoded = cv::imencode(ext, image, bytes);
    } catch (const cv::Exception& e) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": cannot encode image: ", e.what()));
    }
    if (!encoded) return absl::InvalidArgumentError(absl::StrCat(path, ": cannot encode image"));
#endif
  }
  return WriteFileAtomically(
      path, absl::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace mmdet
