// MMDetection's tools/publish_model.py: a checkpoint made ready to share.
//
//   bazel run //tools:publish_model -- IN_FILE OUT_FILE
//
// Drops `optimizer`, keeps `meta` and `state_dict` (tensors on the CPU), saves, and names the
// file after the first 8 hex digits of its sha256: OUT_FILE "faster_rcnn_r50_fpn_1x_20190801.pth"
// gives "faster_rcnn_r50_fpn_1x_20190801-<8 hex>.pth" (printed on stdout), written atomically.
// MMDetection strips the extension with rstrip('.pth'), which also eats trailing 'p', 't'
// and 'h' letters ("model_depth.pth" -> "model_de-..."); here exactly one trailing ".pth" is
// removed ("model_depth-....pth"). The digest is sha256sum's of the final file.
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/pth/pth.h"
#include "mmdet/core/sha256.h"
#include "mmdet/core/status_macros.h"
#include "tools/tool_main.h"

namespace mmdet::tools {
namespace {

absl::Status Run(const std::vector<std::string>& args) {
  if (args.size() != 2) return absl::InvalidArgumentError("expected IN_FILE OUT_FILE");
  const std::string& in = args[0];
  const std::string& out = args[1];
  MMDET_ASSIGN_OR_RETURN(const pth::Value checkpoint, pth::LoadPth(in));
  if (!checkpoint.is_dict()) {
    return absl::InvalidArgumentError(in + ": not a checkpoint (expected a dict, got " +
                                      pth::Value::KindName(checkpoint.kind()) + ")");
  }
  const pth::Value* state = checkpoint.Find("state_dict");
  if (state == nullptr || !state->is_dict()) {
    return absl::InvalidArgumentError(in + ": no state_dict in the checkpoint");
  }
  pth::Value published = pth::Value::Dict();
  for (const pth::Value::Entry& entry : checkpoint.entries()) {
    if (entry.key.is_string() && entry.key.as_string() == "optimizer") continue;
    published.Set(entry.key, entry.value);  // tensors load (and save) on the CPU
  }
  MMDET_ASSIGN_OR_RETURN(const std::string bytes, pth::SerializePth(published));
  const std::string stem = absl::EndsWith(out, ".pth") ? out.substr(0, out.size() - 4) : out;
  const std::string final_file = absl::StrCat(stem, "-", Sha256Hex(bytes).substr(0, 8), ".pth");
  MMDET_RETURN_IF_ERROR(WriteFileAtomically(final_file, bytes));
  std::cout << final_file << std::endl;
  return absl::OkStatus();
}

}  // namespace
}  // namespace mmdet::tools

int main(int argc, char** argv) {
  std::vector<std::string> args =
      mmdet::tools::InitTool({.usage = "publish_model IN_FILE OUT_FILE"}, argc, argv);
  return mmdet::tools::RunTool(&mmdet::tools::Run, args);
}
