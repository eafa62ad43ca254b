// The seed's video snippet as a demo: every frame of a video through the detector, drawn as
// show_result, written to --out (and shown with --show).
//
//   bazel run //demo:video_demo -- VIDEO CONFIG CHECKPOINT [--device cuda:0] [--score-thr 0.3]
//       [--out OUT.mp4] [--show] [--cfg-options KEY=VALUE ...]
//
// The output has the input's size and frame rate (mp4v for .mp4, MJPG for .avi). At least one
// of --out / --show is required; --show without a display is one line and exit 2; Esc or q in
// the window stops early.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "mmdet/apis/inference.h"
#include "mmdet/apis/show_result.h"
#include "mmdet/apis/show_window.h"
#include "mmdet/apis/video_io.h"
#include "mmdet/core/status_macros.h"
#include "opencv2/videoio.hpp"
#include "tools/common_flags.h"
#include "tools/tool_main.h"

ABSL_FLAG(std::string, device, "cuda:0", "Device used for inference: cpu, cuda or cuda:N.");
ABSL_FLAG(double, score_thr, 0.3, "Draw the detections scoring above this.");
ABSL_FLAG(std::string, out, "", "Write the annotated video here (.mp4 or .avi).");
ABSL_FLAG(bool, show, false, "Show each annotated frame in a window.");

namespace mmdet::demo {
namespace {

absl::Status Run(const std::vector<std::string>& positional) {
#ifndef MMDET_WITH_VIDEOIO
  return absl::FailedPreconditionError("video_demo: this build has no OpenCV videoio");
#else
  if (positional.size() != 3) return absl::InvalidArgumentError("expected VIDEO CONFIG CHECKPOINT");
  const std::string video = positional[0];
  std::vector<std::string> args = {positional[1], positional[2]};
  MMDET_ASSIGN_OR_RETURN(const config::Config cfg, tools::LoadToolConfig(&args));
  const std::string out = absl::GetFlag(FLAGS_out);
  const bool show = absl::GetFlag(FLAGS_show);
  if (out.empty() && !show) {
    return absl::InvalidArgumentError("Please specify at least one operation (save/show the video) with --out or --show");
  }
  if (!out.empty() && !absl::EndsWith(out, ".mp4") && !absl::EndsWith(out, ".avi")) {
    return absl::InvalidArgumentError("--out " + out + ": expected a .mp4 or .avi file");
  }
  if (show) {
    const absl::Status display = apis::CheckDisplay("write the video with --out FILE");
    if (!display.ok()) return display;
  }
  MMDET_ASSIGN_OR_RETURN(std::unique_ptr<cv::VideoCapture> opened, apis::OpenVideo(video));
  cv::VideoCapture& capture = *opened;
  MMDET_ASSIGN_OR_RETURN(std::shared_ptr<apis::Detector> model,
                         apis::InitDetector(cfg, args[0], absl::GetFlag(FLAGS_device)));
  cv::VideoWriter writer;
  std::string partial;
  const double fps = capture.get(cv::CAP_PROP_FPS) > 0 ? capture.get(cv::CAP_PROP_FPS) : 25;
  int frames = 0;
  cv::Mat frame;
  while (capture.read(frame) && !frame.empty()) {
    MMDET_ASSIGN_OR_RETURN(const evaluation::DetectionResults result,
                           apis::InferenceDetector(*model, frame));
    const cv::Mat drawn =
        apis::ShowResult(frame, result, 0, model->classes, absl::GetFlag(FLAGS_score_thr));
    if (!out.empty()) {
      if (!writer.isOpened()) {
        // Written next to OUT and renamed at the end, so OUT is never a half video.
        partial = out.substr(0, out.size() - 4) + ".partial" + out.substr(out.size() - 4);
        const int fourcc = absl::EndsWith(out, ".avi") ? cv::VideoWriter::fourcc('M', 'J', 'P', 'G')
                                                       : cv::VideoWriter::fourcc('m', 'p', '4', 'v');
        if (!writer.open(partial, fourcc, fps, drawn.size())) {
          return absl::InvalidArgumentError(out + ": cannot write the video");
        }
      }
      writer.write(drawn);
    }
    ++frames;
    if (show) {
      MMDET_ASSIGN_OR_RETURN(const int key, apis::ShowInWindow("video", drawn, 1));
      if (key == 27 || key == 'q' || key == 'Q') break;
    }
  }
  if (frames == 0) return absl::InvalidArgumentError(video + ": no frames could be read");
  if (writer.isOpened()) {
    writer.release();
    if (std::rename(partial.c_str(), out.c_str()) != 0) {
      return absl::InternalError(absl::StrCat("cannot rename ", partial, " to ", out));
    }
    std::cerr << "wrote " << frames << " frames to " << out << "\n";
  }
  if (show) apis::CloseWindows();
  return absl::OkStatus();
#endif
}

}  // namespace
}  // namespace mmdet::demo

int main(int argc, char** argv) {
  std::vector<std::string> args = mmdet::tools::InitTool(
      {.usage = "video_demo VIDEO CONFIG CHECKPOINT [--device cuda:0] [--score-thr 0.3] "
                "[--out OUT.mp4] [--show] [--cfg-options KEY=VALUE ...]",
       .takes_config = true},
      argc, argv);
  return mmdet::tools::RunTool(&mmdet::demo::Run, args);
}
