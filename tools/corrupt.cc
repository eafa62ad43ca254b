// Writes images corrupted as test_robustness corrupts them (imagecorruptions v1.1 through
// mmdet/datasets/corruptions), losslessly, for looking at what a model is tested on
// (MMDetection issue #7853):
//
//   bazel run //tools:corrupt -- IMG [IMG ...] --corruption NAME --severity S [--seed 0]
//       --out DIR [--frost-dir DIR]
//
// Each image is read as LoadImageFromFile reads it (8-bit BGR), corrupted with the generator
// test_robustness uses for an image of that file name (--seed, the base name, the corruption,
// the severity) and written to DIR/<image base name>.png atomically.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/status.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/core/visualization.h"
#include "mmdet/datasets/corruptions/corruptions.h"
#include "mmdet/datasets/pipelines/image_util.h"
#include "tools/tool_main.h"

ABSL_FLAG(std::string, corruption, "", "One of imagecorruptions' 19 names.");
ABSL_FLAG(int, severity, 1, "0 (clean) to 5.");
ABSL_FLAG(int, seed, 0, "Seed of the random corruptions.");
ABSL_FLAG(std::string, out, "", "Folder the corrupted PNGs go to.");
ABSL_FLAG(std::string, frost_dir, "", "Folder with imagecorruptions' frost images (frost only).");

namespace mmdet::tools {
namespace {

absl::Status Run(const std::vector<std::string>& images) {
  if (images.empty()) return absl::InvalidArgumentError("expected IMG ...");
  const std::string corruption = absl::GetFlag(FLAGS_corruption);
  const std::string out = absl::GetFlag(FLAGS_out);
  if (corruption.empty()) return absl::InvalidArgumentError("--corruption NAME is required");
  if (out.empty()) return absl::InvalidArgumentError("--out DIR is required");
  MMDET_RETURN_IF_ERROR(datasets::ResolveCorruptions({corruption}).status());
  MMDET_RETURN_IF_ERROR(MakeDirs(out));
  datasets::CorruptOptions options;
  options.frost_dir = absl::GetFlag(FLAGS_frost_dir);
  for (size_t i = 0; i < images.size(); ++i) {
    MMDET_ASSIGN_OR_RETURN(const cv::Mat img, datasets::ReadImage(images[i], datasets::kImreadColor));
    // test_robustness's generator for this image: (seed, the file's base name, ...).
    datasets::CorruptionRng rng = datasets::MakeCorruptionRng(
        static_cast<uint64_t>(absl::GetFlag(FLAGS_seed)), datasets::CorruptionImageKey(images[i]),
        corruption, absl::GetFlag(FLAGS_severity));
    auto corrupted = datasets::Corrupt(img, corruption, absl::GetFlag(FLAGS_severity), rng, options);
    if (!corrupted.ok()) return Annotate(corrupted.status(), images[i]);
    std::string base = images[i].substr(images[i].find_last_of('/') + 1);
    base = base.substr(0, base.find_last_of('.'));
    const std::string target = JoinPath(out, base + ".png");
    MMDET_RETURN_IF_ERROR(WriteImageAtomically(target, *corrupted));
    std::cout << target << "\n";
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace mmdet::tools

int main(int argc, char** argv) {
  std::vector<std::string> args = mmdet::tools::InitTool(
      {.usage = "corrupt IMG [IMG ...] --corruption NAME --severity S [--seed 0] --out DIR "
                "[--frost-dir DIR]"},
      argc, argv);
  return mmdet::tools::RunTool(&mmdet::tools::Run, args);
}
