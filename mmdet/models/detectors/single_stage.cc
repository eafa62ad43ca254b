#include "mmdet/models/detectors/single_stage.h"

#include <utility>

#include "mmdet/models/task_modules/bbox_transforms.h"

namespace mmdet::models {

absl::StatusOr<LossMap> SingleStageDetector::Train(const torch::Tensor& img,
                                                   const std::vector<ImageMeta>& metas,
                                                   const GroundTruth& gt) {
  return bbox_head_->Loss(DenseForward(*bbox_head_, ExtractFeat(img)), gt, metas,
                          train_cfg_.single_stage());
}

absl::Status SingleStageDetector::Dummy(const torch::Tensor& img) {
  DenseForward(*bbox_head_, ExtractFeat(img));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ImageResult>> SingleStageDetector::Test(
    const torch::Tensor& img, const std::vector<ImageMeta>& metas, bool rescale) {
  std::vector<ImageResult> results;
  for (const Detections& det : bbox_head_->GetBBoxes(DenseForward(*bbox_head_, ExtractFeat(img)),
                                                     metas, test_cfg_.single_stage(), rescale)) {
    ImageResult r;
    r.bboxes = Bbox2Result(det.dets, det.labels, num_classes());
    results.push_back(std::move(r));
  }
  return absl::StatusOr<std::vector<ImageResult>>(std::move(results));
}

}  // namespace mmdet::models
