// RPN (MMDetection v2's detectors/rpn.py): backbone, neck and an RPN head alone; its test
// output is the proposals (one class), rescaled to the original image.
#ifndef MMDET_MODELS_DETECTORS_RPN_H_
#define MMDET_MODELS_DETECTORS_RPN_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/models/dense_heads/dense_head.h"
#include "mmdet/models/detectors/base_detector.h"
#include "mmdet/models/detectors/rpn.pb.h"

namespace mmdet::models {

class RPNDetector : public DetectorBase {
 public:
  // The registered factory of config::RPN.
  static absl::StatusOr<std::shared_ptr<DetectorImpl>> Create(const config::RPN& m,
                                                              const config::Config& cfg,
                                                              const std::string& path);
  int64_t num_classes() const override { return 1; }

 protected:
  RPNDetector() = default;
  bool uses_labels() const override { return false; }
  absl::StatusOr<LossMap> Train(const torch::Tensor& img, const std::vector<ImageMeta>& metas,
                                const GroundTruth& gt) override;
  absl::StatusOr<std::vector<ImageResult>> Test(const torch::Tensor& img,
                                                const std::vector<ImageMeta>& metas,
                                                bool rescale) override;
  absl::Status Dummy(const torch::Tensor& img) override;
  // aug_test: each view's proposals merged (merge_aug_proposals), in the original image's
  // frame when `rescale`, else the first view's.
  absl::StatusOr<ImageResult> TestAug(const std::vector<torch::Tensor>& imgs,
                                      const std::vector<ImageMeta>& metas, bool rescale) override;

  std::shared_ptr<DenseHeadImpl> rpn_head_;
};

}  // namespace mmdet::models

#endif  // MMDET_MODELS_DETECTORS_RPN_H_
