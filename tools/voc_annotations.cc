#include "tools/voc_annotations.h"

#include <utility>

#include "absl/strings/match.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/datasets/dataset.h"

namespace mmdet::tools {

absl::StatusOr<VocTestSet> LoadVocTestSet(const config::Config& cfg) {
  if (!cfg.data().test().has_voc_dataset()) {
    return absl::InvalidArgumentError("data.test: expected a voc_dataset");
  }
  config::Dataset voc = cfg.data().test();
  voc.mutable_voc_dataset()->set_test_mode(true);
  MMDET_ASSIGN_OR_RETURN(auto dataset, datasets::BuildDataset(voc, "data.test"));
  VocTestSet set;
  for (size_t i = 0; i < dataset->size(); ++i) {
    MMDET_ASSIGN_OR_RETURN(datasets::AnnInfo a, dataset->ann_info(i));
    set.annotations.push_back(std::move(a));
  }
  set.classes = dataset->classes();
  set.voc07 = absl::StrContains(voc.voc_dataset().img_prefix(), "VOC2007");
  return set;
}

}  // namespace mmdet::tools
