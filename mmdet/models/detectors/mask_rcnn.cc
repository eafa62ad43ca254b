#include "mmdet/models/detectors/mask_rcnn.h"

#include "mmdet/models/detectors/two_stage.h"

namespace mmdet::models {

absl::StatusOr<std::shared_ptr<DetectorImpl>> MaskRCNNFromConfig(const config::MaskRCNN& m,
                                                                      const config::Config& cfg,
                                                                      const std::string& path) {
  return TwoStageDetector::Create(m, cfg, path, /*needs_mask=*/true);
}

MMDET_REGISTER(DetectorRegistry, config::MaskRCNN, MaskRCNNFromConfig);

}  // namespace mmdet::models
