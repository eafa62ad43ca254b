// MMDetection's demo/image_demo.py: detect objects in one image and show or save it.
//
//   bazel run //demo:image_demo -- IMG CONFIG CHECKPOINT [--device cuda:0] [--score-thr 0.3]
//       [--out FILE] [--cfg-options KEY=VALUE ...]
//
// The drawing is MMDetection's show_result (green boxes, name|score labels, masks blended at
// 0.5). Without --out the picture is shown in a window until a key is pressed; with no display
// that is one line suggesting --out, exit 2.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "mmdet/apis/inference.h"
#include "mmdet/apis/show_result.h"
#include "mmdet/apis/show_window.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/datasets/pipelines/image_util.h"
#include "tools/common_flags.h"
#include "tools/tool_main.h"

ABSL_FLAG(std::string, device, "cuda:0", "Device used for inference: cpu, cuda or cuda:N.");
ABSL_FLAG(double, score_thr, 0.3, "Draw the detections scoring above this.");
ABSL_FLAG(std::string, out, "", "Write the drawn image here instead of showing it.");

namespace mmdet::demo {
namespace {

absl::Status Run(const std::vector<std::string>& positional) {
  if (positional.size() != 3) {
    return absl::InvalidArgumentError("expected IMG CONFIG CHECKPOINT");
  }
  const std::string image_path = positional[0];
  std::vector<std::string> args = {positional[1], positional[2]};
  MMDET_ASSIGN_OR_RETURN(const config::Config cfg, tools::LoadToolConfig(&args));
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) {
    const absl::Status display = apis::CheckDisplay("write the picture with --out FILE");
    if (!display.ok()) return display;
  }
  // build the model from a config file and a checkpoint file
  MMDET_ASSIGN_OR_RETURN(std::shared_ptr<apis::Detector> model,
                         apis::InitDetector(cfg, args[0], absl::GetFlag(FLAGS_device)));
  // test a single image
  MMDET_ASSIGN_OR_RETURN(const cv::Mat image, datasets::ReadImage(image_path, datasets::kImreadColor));
  MMDET_ASSIGN_OR_RETURN(const evaluation::DetectionResults result,
                         apis::InferenceDetector(*model, image));
  // show the results
  MMDET_RETURN_IF_ERROR(
      apis::ShowResult(image, result, model->classes, absl::GetFlag(FLAGS_score_thr), out)
          .status());
  if (!out.empty()) std::cerr << "wrote " << out << "\n";
  return absl::OkStatus();
}

}  // namespace
}  // namespace mmdet::demo

int main(int argc, char** argv) {
  std::vector<std::string> args = mmdet::tools::InitTool(
      {.usage = "image_demo IMG CONFIG CHECKPOINT [--device cuda:0] [--score-thr 0.3] "
                "[--out FILE] [--cfg-options KEY=VALUE ...]",
       .takes_config = true},
      argc, argv);
  return mmdet::tools::RunTool(&mmdet::demo::Run, args);
}
