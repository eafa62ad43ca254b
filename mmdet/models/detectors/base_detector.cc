#include "mmdet/models/detectors/base_detector.h"

namespace mmdet::models {

absl::Status CheckLabels(const GroundTruth& gt, int64_t num_classes) {
  for (size_t i = 0; num_classes >= 0 && i < gt.labels.size(); ++i) {
    const torch::Tensor& l = gt.labels[i];
    if (!l.defined() || l.numel() == 0) continue;
    const int64_t lo = l.min().item<int64_t>(), hi = l.max().item<int64_t>();
    if (lo < 0 || hi >= num_classes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "image ", i, " of the batch has ground-truth label ", lo < 0 ? lo : hi,
          " but the model has ", num_classes,
          " classes: make the head's num_classes match the dataset's classes"));
    }
  }
  for (size_t i = 0; i < gt.bboxes.size(); ++i) {
    if (gt.bboxes[i].dim() != 2 || gt.bboxes[i].size(-1) != 4) {
      return absl::InvalidArgumentError(absl::StrCat("image ", i, ": gt_bboxes must be [n, 4]"));
    }
  }
  return absl::OkStatus();
}

}  // namespace mmdet::models
