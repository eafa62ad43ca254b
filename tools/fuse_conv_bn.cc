// MMDetection v1.2's tools/fuse_conv_bn.py: a checkpoint whose convolutions absorbed the
// BatchNorms after them.
//
//   bazel run //tools:fuse_conv_bn -- CONFIG CHECKPOINT OUT [--cfg-options KEY=VALUE ...]
//
// Each BatchNorm's scale goes into its conv's weights and its shift into the norm's bias,
// the norm left as exactly x + bias (mmdet/models/layers/fuse_conv_bn.h, FuseMode::kCheckpoint).
// Unlike v1.2's file (which drops the norms, so it no longer loads into the model its config
// builds), OUT keeps every key: `test CONFIG OUT` gives the detections of CHECKPOINT up to
// float rounding, and `test --fuse-conv-bn` then skips the norms. OUT keeps CHECKPOINT's meta,
// drops its optimizer, and is written atomically.
#include <iostream>
#include <string>
#include <vector>

#include "mmdet/config/overrides.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/checkpoint/checkpoint.h"
#include "mmdet/models/checkpoint/state_dict.h"
#include "mmdet/models/detectors/detector.h"
#include "mmdet/models/layers/fuse_conv_bn.h"
#include "tools/common_flags.h"
#include "tools/tool_main.h"
#include "torch/types.h"

namespace mmdet::tools {
namespace {

absl::Status Run(const std::vector<std::string>& positional) {
  std::vector<std::string> args = positional;
  MMDET_ASSIGN_OR_RETURN(config::Config cfg, LoadToolConfig(&args));
  if (args.size() != 2) return absl::InvalidArgumentError("expected CONFIG CHECKPOINT OUT");
  const std::string& checkpoint = args[0];
  const std::string& out = args[1];
  MMDET_RETURN_IF_ERROR(ApplyOverride("model.pretrained=", &cfg));
  MMDET_ASSIGN_OR_RETURN(std::shared_ptr<models::DetectorImpl> model, models::BuildDetector(cfg));
  MMDET_ASSIGN_OR_RETURN(models::Checkpoint ckpt, models::LoadCheckpointStrictly(*model, checkpoint));
  model->eval();
  const int64_t folded = models::FuseConvBn(*model, models::FuseMode::kCheckpoint);
  MMDET_RETURN_IF_ERROR(models::SaveCheckpoint(out, models::GetStateDict(*model), ckpt.meta,
                                               pth::Value::None()));
  std::cerr << "folded " << folded << " BatchNorm layers into their convs; wrote " << out << "\n";
  return absl::OkStatus();
}

}  // namespace
}  // namespace mmdet::tools

int main(int argc, char** argv) {
  std::vector<std::string> args = mmdet::tools::InitTool(
      {.usage = "fuse_conv_bn CONFIG CHECKPOINT OUT [--cfg-options KEY=VALUE ...]",
       .takes_config = true},
      argc, argv);
  return mmdet::tools::RunTool(&mmdet::tools::Run, args);
}
