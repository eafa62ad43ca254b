// The VOC test set of a config as VOCDataset.evaluate sees it: every image's annotation (test
// mode: nothing filtered), the class names, and whether it is VOC2007 (11-point AP), shared by
// eval_metric and voc_eval.
#ifndef MMDET_TOOLS_VOC_ANNOTATIONS_H_
#define MMDET_TOOLS_VOC_ANNOTATIONS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/config/config.pb.h"
#include "mmdet/datasets/ann_info.h"

namespace mmdet::tools {

struct VocTestSet {
  std::vector<datasets::AnnInfo> annotations;
  std::vector<std::string> classes;
  bool voc07 = false;  // img_prefix names VOC2007, as VOCDataset's year check
};

// InvalidArgument when data.test is not a voc_dataset.
absl::StatusOr<VocTestSet> LoadVocTestSet(const config::Config& cfg);

}  // namespace mmdet::tools

#endif  // MMDET_TOOLS_VOC_ANNOTATIONS_H_
