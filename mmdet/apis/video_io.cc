#include "mmdet/apis/video_io.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "opencv2/core/utils/logger.hpp"

#ifdef MMDET_WITH_VIDEOIO
namespace mmdet::apis {

namespace {

// OpenCV's log level lowered to silent for one scope.
class QuietOpenCv {
 public:
  QuietOpenCv()
      : previous_(cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT)) {}
  ~QuietOpenCv() { cv::utils::logging::setLogLevel(previous_); }

 private:
  cv::utils::logging::LogLevel previous_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<cv::VideoCapture>> OpenVideo(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return absl::NotFoundError(path + ": no such file");
  }
  auto capture = std::make_unique<cv::VideoCapture>();
  QuietOpenCv quiet;
  if (!capture->open(path) || !capture->isOpened()) {
    return absl::NotFoundError(path + ": cannot open the video");
  }
  return capture;
}

absl::StatusOr<std::unique_ptr<cv::VideoCapture>> OpenCamera(int camera_id) {
  auto capture = std::make_unique<cv::VideoCapture>();
  QuietOpenCv quiet;
  if (!capture->open(camera_id) || !capture->isOpened()) {
    return absl::NotFoundError(absl::StrCat("--camera-id ", camera_id, ": cannot open the camera"));
  }
  return capture;
}

}  // namespace mmdet::apis
#endif  // MMDET_WITH_VIDEOIO
