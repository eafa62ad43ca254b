#include "mmdet/models/detectors/faster_rcnn.h"

#include "mmdet/models/detectors/two_stage.h"

namespace mmdet::models {

absl::StatusOr<std::shared_ptr<DetectorImpl>> FasterRCNNFromConfig(const config::FasterRCNN& m,
                                                                        const config::Config& cfg,
                                                                        const std::string& path) {
  return TwoStageDetector::Create(m, cfg, path, /*needs_mask=*/false);
}

MMDET_REGISTER(DetectorRegistry, config::FasterRCNN, FasterRCNNFromConfig);

}  // namespace mmdet::models
