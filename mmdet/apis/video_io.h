// Opening videos and cameras for the demos with one clear error instead of OpenCV's backend
// warnings (GStreamer, FFmpeg, V4L2 print several lines for a missing file or camera; they
// are silenced while opening).
#ifndef MMDET_APIS_VIDEO_IO_H_
#define MMDET_APIS_VIDEO_IO_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

// Only in builds with OpenCV videoio (MMDET_WITH_VIDEOIO, //third_party/opencv:videoio); the
// GPU machines' bundle has no videoio headers, and the demos say so at run time there.
#ifdef MMDET_WITH_VIDEOIO
#include "opencv2/videoio.hpp"

namespace mmdet::apis {

// NotFound "<path>: no such file" / "<path>: cannot open the video".
absl::StatusOr<std::unique_ptr<cv::VideoCapture>> OpenVideo(const std::string& path);

// NotFound "--camera-id N: cannot open the camera".
absl::StatusOr<std::unique_ptr<cv::VideoCapture>> OpenCamera(int camera_id);

}  // namespace mmdet::apis
#endif  // MMDET_WITH_VIDEOIO

#endif  // MMDET_APIS_VIDEO_IO_H_
