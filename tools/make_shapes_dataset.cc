// Generates the bundled synthetic dataset: COCO-format images of overlapping coloured shapes
// with instance masks, deterministic by seed (see mmdet/datasets/shapes/shapes_dataset.h).
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/datasets/shapes/shapes_dataset.h"
#include "tools/tool_main.h"

ABSL_FLAG(std::string, out_dir, "data/shapes", "Output folder.");
ABSL_FLAG(int, num_train, 200, "Training images.");
ABSL_FLAG(int, num_val, 50, "Validation images.");
ABSL_FLAG(int, seed, 0, "Random seed; the same seed gives the same dataset.");
ABSL_FLAG(int, min_size, 128, "Smallest image side.");
ABSL_FLAG(int, max_size, 256, "Largest image side.");
ABSL_FLAG(int, max_instances, 5, "Most shapes per image.");

namespace mmdet::tools {

absl::Status Run(const std::vector<std::string>& args) {
  if (!args.empty()) return absl::InvalidArgumentError("unexpected argument '" + args[0] + "'");
  MMDET_RET_CHECK(absl::GetFlag(FLAGS_seed) >= 0) << "--seed must not be negative";
  datasets::ShapesOptions options;
  options.out_dir = absl::GetFlag(FLAGS_out_dir);
  options.num_train = absl::GetFlag(FLAGS_num_train);
  options.num_val = absl::GetFlag(FLAGS_num_val);
  options.seed = static_cast<uint32_t>(absl::GetFlag(FLAGS_seed));
  options.min_size = absl::GetFlag(FLAGS_min_size);
  options.max_size = absl::GetFlag(FLAGS_max_size);
  options.max_instances = absl::GetFlag(FLAGS_max_instances);
  return datasets::GenerateShapesDataset(options);
}

}  // namespace mmdet::tools

int main(int argc, char** argv) {
  std::vector<std::string> args = mmdet::tools::InitTool(
      {.usage = "make_shapes_dataset [--out_dir=DIR] [--num_train=N] [--num_val=N] [--seed=S]",
       .short_flags = {{"o", "out_dir"}}},
      argc, argv);
  return mmdet::tools::RunTool(&mmdet::tools::Run, args);
}
