// Converts Cityscapes gtFine polygon annotations into the COCO instances JSON files that
// MMDetection's CityscapesDataset reads (tools/convert_datasets/cityscapes.py); see
// mmdet/datasets/cityscapes/cityscapes_convert.h for the exact semantics.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/datasets/cityscapes/cityscapes_convert.h"
#include "tools/tool_main.h"

ABSL_FLAG(std::string, out_dir, "",
          "Output folder for instancesonly_filtered_gtFine_{train,val,test}.json "
          "(default: CITYSCAPES_PATH/annotations).");
ABSL_FLAG(std::string, gt_dir, "gtFine", "Annotation folder under CITYSCAPES_PATH.");
ABSL_FLAG(int, nproc, 1, "Threads reading annotation files.");

namespace mmdet::tools {

absl::Status Run(const std::vector<std::string>& args) {
  if (args.empty()) return absl::InvalidArgumentError("expected CITYSCAPES_PATH");
  if (args.size() > 1) return absl::InvalidArgumentError("unexpected argument '" + args[1] + "'");
  MMDET_RET_CHECK(absl::GetFlag(FLAGS_nproc) >= 1) << "--nproc must be at least 1";
  datasets::CityscapesOptions options;
  options.cityscapes_path = args[0];
  options.gt_dir = absl::GetFlag(FLAGS_gt_dir);
  options.out_dir = absl::GetFlag(FLAGS_out_dir);
  if (options.out_dir.empty()) options.out_dir = JoinPath(args[0], "annotations");
  options.nproc = absl::GetFlag(FLAGS_nproc);
  MMDET_ASSIGN_OR_RETURN(std::vector<datasets::CityscapesSplitResult> written,
                         datasets::ConvertCityscapes(options));
  for (const datasets::CityscapesSplitResult& split : written) {
    std::cout << split.path << ": " << split.num_images << " images, " << split.num_annotations
              << " annotations\n";
  }
  return absl::OkStatus();
}

}  // namespace mmdet::tools

int main(int argc, char** argv) {
  std::vector<std::string> args = mmdet::tools::InitTool(
      {.usage = "convert_cityscapes CITYSCAPES_PATH [-o|--out_dir DIR] [--gt_dir gtFine] "
                "[--nproc N]",
       .short_flags = {{"o", "out_dir"}}},
      argc, argv);
  return mmdet::tools::RunTool(&mmdet::tools::Run, args);
}
