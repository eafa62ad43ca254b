// RetinaNet (MMDetection v2's detectors/retinanet.py): a SingleStageDetector from
// config::RetinaNet.
#ifndef MMDET_MODELS_DETECTORS_RETINANET_H_
#define MMDET_MODELS_DETECTORS_RETINANET_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "mmdet/models/detectors/detector.h"
#include "mmdet/models/detectors/retinanet.pb.h"

namespace mmdet::models {

// The registered factory of config::RetinaNet.
absl::StatusOr<std::shared_ptr<DetectorImpl>> RetinaNetFromConfig(const config::RetinaNet& m,
                                                                  const config::Config& cfg,
                                                                  const std::string& path);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_DETECTORS_RETINANET_H_
