// SingleStageDetector (MMDetection v2's detectors/single_stage.py): backbone, neck and one
// dense head (bbox_head) whose outputs are the detections. RetinaNet (retinanet.h) is this
// class built from config::RetinaNet; any dense head registered in DenseHeadRegistry,
// `custom` ones included, can be its bbox_head.
#ifndef MMDET_MODELS_DETECTORS_SINGLE_STAGE_H_
#define MMDET_MODELS_DETECTORS_SINGLE_STAGE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/models/dense_heads/dense_head.h"
#include "mmdet/models/detectors/base_detector.h"

namespace mmdet::models {

class SingleStageDetector : public DetectorBase {
 public:
  // From any model message with pretrained, backbone, neck and bbox_head.
  template <typename Cfg>
  static absl::StatusOr<std::shared_ptr<DetectorImpl>> Create(const Cfg& m,
                                                              const config::Config& cfg,
                                                              const std::string& path) {
    std::shared_ptr<SingleStageDetector> det(new SingleStageDetector);
    MMDET_RETURN_IF_ERROR(det->InitCommon(m, cfg, path));
    if (!m.has_bbox_head()) return absl::InvalidArgumentError(path + ".bbox_head: required");
    MMDET_ASSIGN_OR_RETURN(auto head, BuildDenseHead(m.bbox_head(), path + ".bbox_head"));
    det->bbox_head_ = det->register_module("bbox_head", head);
    return std::shared_ptr<DetectorImpl>(det);
  }

  int64_t num_classes() const override { return bbox_head_->num_classes(); }

 protected:
  SingleStageDetector() = default;
  absl::StatusOr<LossMap> Train(const torch::Tensor& img, const std::vector<ImageMeta>& metas,
                                const GroundTruth& gt) override;
  absl::StatusOr<std::vector<ImageResult>> Test(const torch::Tensor& img,
                                                const std::vector<ImageMeta>& metas,
                                                bool rescale) override;
  absl::Status Dummy(const torch::Tensor& img) override;

  std::shared_ptr<DenseHeadImpl> bbox_head_;
};

}  // namespace mmdet::models

#endif  // MMDET_MODELS_DETECTORS_SINGLE_STAGE_H_
