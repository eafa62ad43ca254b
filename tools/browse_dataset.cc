// Draws what a dataset's pipeline yields (MMDetection's tools/misc/browse_dataset.py): for
// each image of data.train (or --split), the transformed image with its ground-truth boxes,
// labels and masks, written to --output_dir under the image's base name. Normalize,
// DefaultFormatBundle and Collect are left out by default (--skip_type), so the image is the
// augmented, resized and padded one the model would see, in displayable colours.
// Each written path is printed on stdout.
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/status.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/core/visualization.h"
#include "mmdet/datasets/dataset.h"
#include "mmdet/datasets/loader/sampler.h"
#include "tools/common_flags.h"
#include "tools/tool_main.h"

ABSL_FLAG(std::string, output_dir, "", "Folder for the drawn images (required).");
ABSL_FLAG(std::string, skip_type, "DefaultFormatBundle,Normalize,Collect",
          "Pipeline steps to leave out, comma-separated MMDetection type names.");
ABSL_FLAG(std::string, split, "train", "Which dataset of the config: train, val or test.");
ABSL_FLAG(int, max_images, 0, "Draw at most this many images (0: all).");
ABSL_FLAG(int, seed, 0, "Seed of the random augmentations.");
ABSL_FLAG(std::string, out_ext, "",
          "Write images with this extension (e.g. png, lossless) instead of the input's.");

namespace mmdet::tools {
namespace {

namespace pb = ::google::protobuf;

// Removes the transforms whose type is in `skip` from every pipeline in `message`: wrapped
// datasets (repeat_dataset.dataset, concat_dataset.datasets) and MultiScaleFlipAug's
// transforms included.
void SkipTransforms(pb::Message* message, const std::set<std::string>& skip) {
  const pb::Reflection* reflection = message->GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  reflection->ListFields(*message, &fields);
  for (const pb::FieldDescriptor* field : fields) {
    if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (field->message_type() == config::Transform::descriptor() && field->is_repeated()) {
      auto* list = reflection->MutableRepeatedPtrField<config::Transform>(message, field);
      for (int i = list->size() - 1; i >= 0; --i) {
        const pb::OneofDescriptor* oneof = TypeOneof(config::Transform::descriptor());
        const pb::FieldDescriptor* member =
            list->Get(i).GetReflection()->GetOneofFieldDescriptor(list->Get(i), oneof);
        if (member != nullptr && member->message_type() != nullptr &&
            skip.count(member->message_type()->name()) > 0) {
          list->DeleteSubrange(i, 1);
        }
      }
      for (config::Transform& transform : *list) SkipTransforms(&transform, skip);  // MSFA
      continue;
    }
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(*message, field); ++i) {
        SkipTransforms(reflection->MutableRepeatedMessage(message, field, i), skip);
      }
    } else {
      SkipTransforms(reflection->MutableMessage(message, field), skip);
    }
  }
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

absl::Status Run(const std::vector<std::string>& positional) {
  std::vector<std::string> args = positional;
  MMDET_ASSIGN_OR_RETURN(config::Config cfg, LoadToolConfig(&args));
  MMDET_RETURN_IF_ERROR(NoExtraArgs(args));
  const std::string output_dir = absl::GetFlag(FLAGS_output_dir);
  if (output_dir.empty()) return absl::InvalidArgumentError("--output_dir is required");
  const std::string split = absl::GetFlag(FLAGS_split);
  config::Dataset dataset_cfg;
  if (split == "train") {
    dataset_cfg = cfg.data().train();
  } else if (split == "val") {
    dataset_cfg = cfg.data().val();
  } else if (split == "test") {
    dataset_cfg = cfg.data().test();
  } else {
    return absl::InvalidArgumentError("--split: expected train, val or test, got '" + split + "'");
  }
  std::set<std::string> skip;
  for (absl::string_view name :
       absl::StrSplit(absl::GetFlag(FLAGS_skip_type), ',', absl::SkipWhitespace())) {
    skip.emplace(name);
  }
  SkipTransforms(&dataset_cfg, skip);
  MMDET_ASSIGN_OR_RETURN(std::shared_ptr<datasets::Dataset> dataset,
                         datasets::BuildDataset(dataset_cfg, "data." + split));
  MMDET_RETURN_IF_ERROR(MakeDirs(output_dir));

  DrawOptions options;
  options.class_names = &dataset->classes();
  size_t count = dataset->size();
  if (absl::GetFlag(FLAGS_max_images) > 0) {
    count = std::min(count, static_cast<size_t>(absl::GetFlag(FLAGS_max_images)));
  }
  for (size_t i = 0; i < count; ++i) {
    datasets::Rng rng(datasets::MixSeed({static_cast<uint64_t>(absl::GetFlag(FLAGS_seed)), i}));
    MMDET_ASSIGN_OR_RETURN(std::vector<datasets::Results> samples, dataset->Get(i, rng));
    for (size_t v = 0; v < samples.size(); ++v) {
      datasets::Results& r = samples[v];
      if (r.img.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "data.", split, ".pipeline yields no image (is LoadImageFromFile in it, and "
            "are ImageToTensor/DefaultFormatBundle skipped?)"));
      }
      cv::Mat image = ToDisplayable(r.img);
      DrawDetections(image, r.gt_bboxes, r.gt_labels, {}, r.gt_masks, options);
      std::string name = BaseName(r.img_info.filename);
      const size_t dot = name.rfind('.') == std::string::npos ? name.size() : name.rfind('.');
      if (!absl::GetFlag(FLAGS_out_ext).empty()) {
        name = absl::StrCat(name.substr(0, dot), ".", absl::GetFlag(FLAGS_out_ext));
      }
      if (samples.size() > 1) name.insert(dot, absl::StrCat("_", v));
      const std::string path = JoinPath(output_dir, name);
      MMDET_RETURN_IF_ERROR(WriteImageAtomically(path, image));
      std::cout << path << "\n";
    }
  }
  return absl::OkStatus();
}

}  // namespace mmdet::tools

int main(int argc, char** argv) {
  std::vector<std::string> args = mmdet::tools::InitTool(
      {.usage = "browse_dataset CONFIG --output_dir DIR [--skip_type A,B] [--split train] "
                "[--max_images N] [--options KEY=VALUE ...]",
       .takes_config = true},
      argc, argv);
  return mmdet::tools::RunTool(&mmdet::tools::Run, args);
}
