// MMDetection's GETTING_STARTED inference snippet, line for line, over the C++ API:
//
//   bazel run //demo:inference_demo -- CONFIG CHECKPOINT IMG [VIDEO] [--device cuda:0]
//
// It builds the model, tests IMG, shows the result in a window and saves it to result.jpg
// (in the working directory), then runs every frame of VIDEO through the model, showing each.
// Without a display the showing steps are skipped (one line says so) and the rest runs.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "mmdet/apis/inference.h"
#include "mmdet/apis/show_result.h"
#include "mmdet/apis/show_window.h"
#include "mmdet/apis/video_io.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/datasets/pipelines/image_util.h"
#include "opencv2/videoio.hpp"
#include "tools/tool_main.h"

ABSL_FLAG(std::string, device, "cuda:0", "Device used for inference: cpu, cuda or cuda:N.");

namespace mmdet::demo {
namespace {

absl::Status Run(const std::vector<std::string>& args) {
  if (args.size() != 3 && args.size() != 4) {
    return absl::InvalidArgumentError("expected CONFIG CHECKPOINT IMG [VIDEO]");
  }
  const bool show = apis::CheckDisplay("").ok();
  if (!show) std::cerr << "no display: the results are not shown, only saved\n";

  const std::string config_file = args[0];
  const std::string checkpoint_file = args[1];

  // build the model from a config file and a checkpoint file
  MMDET_ASSIGN_OR_RETURN(std::shared_ptr<apis::Detector> model,
                         apis::InitDetector(config_file, checkpoint_file,
                                            absl::GetFlag(FLAGS_device)));

  // test a single image and show the results
  MMDET_ASSIGN_OR_RETURN(const cv::Mat img, datasets::ReadImage(args[2], datasets::kImreadColor));
  MMDET_ASSIGN_OR_RETURN(const evaluation::DetectionResults result,
                         apis::InferenceDetector(*model, img));
  // visualize the results in a new window
  if (show) MMDET_RETURN_IF_ERROR(apis::ShowResult(img, result, model->classes).status());
  // or save the visualization results to image files
  MMDET_RETURN_IF_ERROR(
      apis::ShowResult(img, result, model->classes, 0.3, "result.jpg").status());
  std::cerr << "wrote result.jpg\n";

  // test a video and show the results
  if (args.size() == 4) {
#ifndef MMDET_WITH_VIDEOIO
    return absl::FailedPreconditionError("this build has no OpenCV videoio");
#else
    MMDET_ASSIGN_OR_RETURN(std::unique_ptr<cv::VideoCapture> opened, apis::OpenVideo(args[3]));
    cv::VideoCapture& video = *opened;
    int frames = 0;
    for (cv::Mat frame; video.read(frame) && !frame.empty(); ++frames) {
      MMDET_ASSIGN_OR_RETURN(const evaluation::DetectionResults frame_result,
                             apis::InferenceDetector(*model, frame));
      if (show) {
        MMDET_RETURN_IF_ERROR(
            apis::ShowResult(frame, frame_result, model->classes, 0.3, "", 1).status());
      }
    }
    std::cerr << "tested " << frames << " video frames\n";
#endif
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace mmdet::demo

int main(int argc, char** argv) {
  std::vector<std::string> args = mmdet::tools::InitTool(
      {.usage = "inference_demo CONFIG CHECKPOINT IMG [VIDEO] [--device cuda:0]"}, argc, argv);
  return mmdet::tools::RunTool(&mmdet::demo::Run, args);
}
