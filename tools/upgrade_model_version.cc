// Upgrades an MMDetection v1.x checkpoint to v2.0 (MMDetection's
// tools/upgrade_model_version.py): heads of two-stage models move under roi_head., the
// background class moves from first to last, the background's regression and mask slots go.
// Prints one line per change, like the script, and writes OUT_FILE atomically; meta and
// optimizer are kept.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/checkpoint/checkpoint.h"
#include "mmdet/models/checkpoint/upgrade.h"
#include "tools/tool_main.h"

ABSL_FLAG(int, num_classes, 81, "Classes of the original model, background included.");
ABSL_FLAG(bool, upgrade_retina, false, "Rename RetinaNet's cls_convs/reg_convs to ConvModules.");
ABSL_FLAG(bool, ssd, false, "Upgrade an SSD detector (reorder cls_convs channels).");
ABSL_FLAG(bool, reg_cls_agnostic, false,
          "The box regression is class-agnostic (Cascade methods, SSD): keep fc_reg as is.");

namespace mmdet::tools {

absl::Status Run(const std::vector<std::string>& args) {
  if (args.size() != 2) {
    return absl::InvalidArgumentError(args.size() < 2 ? "expected IN_FILE OUT_FILE"
                                                      : "unexpected argument '" + args[2] + "'");
  }
  const std::string& in = args[0];
  if (absl::GetFlag(FLAGS_num_classes) < 2) {
    return absl::InvalidArgumentError("--num-classes must be at least 2 (background included)");
  }
  MMDET_ASSIGN_OR_RETURN(pth::Value checkpoint, pth::LoadPth(in));
  const pth::Value* state = checkpoint.Find("state_dict");
  if (state == nullptr) {
    return absl::InvalidArgumentError(
        in + ": no 'state_dict' entry (not an MMDetection training checkpoint)");
  }
  MMDET_ASSIGN_OR_RETURN(models::StateDict in_state, models::StateDictFromValue(*state, in));
  models::UpgradeOptions options;
  options.num_classes = absl::GetFlag(FLAGS_num_classes);
  options.upgrade_retina = absl::GetFlag(FLAGS_upgrade_retina);
  options.ssd = absl::GetFlag(FLAGS_ssd);
  options.reg_cls_agnostic = absl::GetFlag(FLAGS_reg_cls_agnostic);
  std::vector<std::string> log;
  const models::StateDict out_state = models::UpgradeV1StateDict(in_state, options, &log);
  for (const std::string& line : log) std::cout << line << "\n";
  // checkpoint.pop('state_dict'); checkpoint['state_dict'] = new: it moves to the end.
  auto& entries = checkpoint.mutable_entries();
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (it->key.is_string() && it->key.as_string() == "state_dict") {
      entries.erase(it);
      break;
    }
  }
  checkpoint.Set("state_dict", models::StateDictToValue(out_state));
  return pth::SavePth(args[1], checkpoint);
}

}  // namespace mmdet::tools

int main(int argc, char** argv) {
  std::vector<std::string> args = mmdet::tools::InitTool(
      {.usage = "upgrade_model_version IN_FILE OUT_FILE [--num-classes 81] [--upgrade-retina] "
                "[--ssd] [--reg-cls-agnostic]"},
      argc, argv);
  return mmdet::tools::RunTool(&mmdet::tools::Run, args);
}
