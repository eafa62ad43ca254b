// TwoStageDetector (MMDetection v2's detectors/two_stage.py): backbone, neck, an RPN head
// whose proposals feed an RoI head. FasterRCNN and MaskRCNN (faster_rcnn.h, mask_rcnn.h) are
// this class built from their config messages; a user's two-stage detector reuses Create with
// its own message (any message with pretrained, backbone, neck, rpn_head and roi_head).
#ifndef MMDET_MODELS_DETECTORS_TWO_STAGE_H_
#define MMDET_MODELS_DETECTORS_TWO_STAGE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/models/dense_heads/dense_head.h"
#include "mmdet/models/detectors/base_detector.h"
#include "mmdet/models/roi_heads/roi_head.h"

namespace mmdet::models {

class TwoStageDetector : public DetectorBase {
 public:
  template <typename Cfg>
  static absl::StatusOr<std::shared_ptr<DetectorImpl>> Create(const Cfg& m,
                                                              const config::Config& cfg,
                                                              const std::string& path,
                                                              bool needs_mask) {
    std::shared_ptr<TwoStageDetector> det(new TwoStageDetector);
    MMDET_RETURN_IF_ERROR(det->InitCommon(m, cfg, path));
    if (!m.has_rpn_head()) return absl::InvalidArgumentError(path + ".rpn_head: required");
    MMDET_ASSIGN_OR_RETURN(auto rpn, BuildDenseHead(m.rpn_head(), path + ".rpn_head"));
    det->rpn_head_ = det->register_module("rpn_head", rpn);
    if (!m.has_roi_head()) return absl::InvalidArgumentError(path + ".roi_head: required");
    MMDET_ASSIGN_OR_RETURN(auto roi, BuildRoIHead(m.roi_head(), path + ".roi_head"));
    if (needs_mask && !roi->with_mask()) {
      return absl::InvalidArgumentError(
          path + ".roi_head: Mask R-CNN needs mask_roi_extractor and mask_head");
    }
    det->roi_head_ = det->register_module("roi_head", roi);
    return std::shared_ptr<DetectorImpl>(det);
  }

  int64_t num_classes() const override { return roi_head_->num_classes(); }
  bool with_mask() const override { return roi_head_->with_mask(); }

 protected:
  TwoStageDetector() = default;
  absl::StatusOr<LossMap> Train(const torch::Tensor& img, const std::vector<ImageMeta>& metas,
                                const GroundTruth& gt) override;
  absl::StatusOr<std::vector<ImageResult>> Test(const torch::Tensor& img,
                                                const std::vector<ImageMeta>& metas,
                                                bool rescale) override;
  absl::Status Dummy(const torch::Tensor& img) override;
  // aug_test: each view's proposals, merge_aug_proposals, then the RoI head's aug_test.
  absl::StatusOr<ImageResult> TestAug(const std::vector<torch::Tensor>& imgs,
                                      const std::vector<ImageMeta>& metas, bool rescale) override;

  std::shared_ptr<DenseHeadImpl> rpn_head_;
  std::shared_ptr<RoIHeadImpl> roi_head_;
};

}  // namespace mmdet::models

#endif  // MMDET_MODELS_DETECTORS_TWO_STAGE_H_
