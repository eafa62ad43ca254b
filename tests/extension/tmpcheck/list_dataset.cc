#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/registry.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/datasets/dataset.h"
#include "tests/extension/tmpcheck/list_dataset.pb.h"

namespace my {
namespace {

using mmdet::datasets::AnnInfo;
using mmdet::datasets::Dataset;
using mmdet::datasets::ImageInfo;

absl::StatusOr<std::shared_ptr<Dataset>> ListDatasetFromConfig(const ListDataset& cfg,
                                                               const std::string& path) {
  // Paths joined to data_root, classes, the pipeline built; errors name "<path>.common.*".
  MMDET_ASSIGN_OR_RETURN(mmdet::datasets::DatasetOptions options,
                         mmdet::datasets::ResolveDatasetOptions(cfg.common(), path + ".common"));
  if (options.classes.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".common.classes: required"));
  }
  MMDET_ASSIGN_OR_RETURN(std::string text, mmdet::ReadFile(options.ann_file));
  std::vector<ImageInfo> images;
  std::vector<AnnInfo> anns;
  std::vector<bool> keep;
  std::istringstream lines(text);
  std::string line;
  for (int n = 1; std::getline(lines, line); ++n) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    ImageInfo image;
    if (!(fields >> image.filename >> image.width >> image.height)) {
      return absl::InvalidArgumentError(
          absl::StrCat(options.ann_file, ":", n, ": expected \"filename width height\""));
    }
    AnnInfo ann;
    mmdet::datasets::Box box;
    int64_t label = 0;
    while (fields >> box[0] >> box[1] >> box[2] >> box[3] >> label) {
      if (label < 0 || label >= static_cast<int64_t>(options.classes.size())) {
        return absl::InvalidArgumentError(
            absl::StrCat(options.ann_file, ":", n, ": label ", label, " is not a class index"));
      }
      ann.bboxes.push_back(box);
      ann.labels.push_back(label);
    }
    keep.push_back(std::min(image.width, image.height) >= 32);  // MMDetection's min_size
    images.push_back(std::move(image));
    anns.push_back(std::move(ann));
  }
  std::vector<std::string> classes = options.classes;
  MMDET_ASSIGN_OR_RETURN(auto dataset, mmdet::datasets::InMemoryDataset::Create(
                                           std::move(options), std::move(images),
                                           std::move(anns), std::move(classes), keep));
  return std::shared_ptr<Dataset>(std::move(dataset));
}

}  // namespace

MMDET_REGISTER(mmdet::datasets::DatasetRegistry, ListDataset, ListDatasetFromConfig);

}  // namespace my
