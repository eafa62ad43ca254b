// MMDetection's demo/webcam_demo.py: detect objects in a camera's frames, shown live.
//
//   bazel run //demo:webcam_demo -- CONFIG CHECKPOINT [--device cuda:0] [--camera-id 0]
//       [--score-thr 0.5] [--cfg-options KEY=VALUE ...]
//
// --device takes v2.0's "cuda:0" / "cpu" and v1.2's bare GPU id ("0"). Esc, q or Q quits. No
// display, or a camera that does not open, is one line and exit 2 (never a hang).
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "mmdet/apis/inference.h"
#include "mmdet/apis/show_result.h"
#include "mmdet/apis/show_window.h"
#include "mmdet/apis/video_io.h"
#include "mmdet/core/status_macros.h"
#include "opencv2/videoio.hpp"
#include "tools/common_flags.h"
#include "tools/tool_main.h"

ABSL_FLAG(std::string, device, "cuda:0", "Device: cpu, cuda, cuda:N or a GPU id (v1.2).");
ABSL_FLAG(int, camera_id, 0, "The camera (cv::VideoCapture index).");
ABSL_FLAG(double, score_thr, 0.5, "Draw the detections scoring above this.");

namespace mmdet::demo {
namespace {

absl::Status Run(const std::vector<std::string>& positional) {
#ifndef MMDET_WITH_VIDEOIO
  return absl::FailedPreconditionError("webcam_demo: this build has no OpenCV videoio");
#else
  std::vector<std::string> args = positional;
  MMDET_ASSIGN_OR_RETURN(const config::Config cfg, tools::LoadToolConfig(&args));
  if (args.size() != 1) return absl::InvalidArgumentError("expected CONFIG CHECKPOINT");
  const absl::Status display = apis::CheckDisplay("the webcam demo needs a display");
  if (!display.ok()) return display;
  const int camera_id = absl::GetFlag(FLAGS_camera_id);
  MMDET_ASSIGN_OR_RETURN(std::unique_ptr<cv::VideoCapture> opened, apis::OpenCamera(camera_id));
  cv::VideoCapture& camera = *opened;
  MMDET_ASSIGN_OR_RETURN(std::shared_ptr<apis::Detector> model,
                         apis::InitDetector(cfg, args[0], absl::GetFlag(FLAGS_device)));
  std::cerr << "Press \"Esc\", \"q\" or \"Q\" to exit.\n";
  cv::Mat img;
  while (true) {
    if (!camera.read(img) || img.empty()) {
      return absl::UnavailableError(absl::StrCat("camera ", camera_id, ": no more frames"));
    }
    MMDET_ASSIGN_OR_RETURN(const evaluation::DetectionResults result,
                           apis::InferenceDetector(*model, img));
    const cv::Mat drawn =
        apis::ShowResult(img, result, 0, model->classes, absl::GetFlag(FLAGS_score_thr));
    MMDET_ASSIGN_OR_RETURN(const int key, apis::ShowInWindow("webcam", drawn, 1));
    if (key == 27 || key == 'q' || key == 'Q') break;
  }
  apis::CloseWindows();
  return absl::OkStatus();
#endif
}

}  // namespace
}  // namespace mmdet::demo

int main(int argc, char** argv) {
  std::vector<std::string> args = mmdet::tools::InitTool(
      {.usage = "webcam_demo CONFIG CHECKPOINT [--device cuda:0] [--camera-id 0] "
                "[--score-thr 0.5] [--cfg-options KEY=VALUE ...]",
       .takes_config = true},
      argc, argv);
  return mmdet::tools::RunTool(&mmdet::demo::Run, args);
}
