#include "mmdet/models/detectors/retinanet.h"

#include "mmdet/models/detectors/single_stage.h"

namespace mmdet::models {

absl::StatusOr<std::shared_ptr<DetectorImpl>> RetinaNetFromConfig(const config::RetinaNet& m,
                                                                  const config::Config& cfg,
                                                                  const std::string& path) {
  return SingleStageDetector::Create(m, cfg, path);
}

MMDET_REGISTER(DetectorRegistry, config::RetinaNet, RetinaNetFromConfig);

}  // namespace mmdet::models
