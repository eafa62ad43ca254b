// Faster R-CNN (MMDetection v2's detectors/faster_rcnn.py): a TwoStageDetector from config::FasterRCNN.
#ifndef MMDET_MODELS_DETECTORS_FASTER_RCNN_H_
#define MMDET_MODELS_DETECTORS_FASTER_RCNN_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "mmdet/models/detectors/detector.h"
#include "mmdet/models/detectors/faster_rcnn.pb.h"

namespace mmdet::models {

// The registered factory of config::FasterRCNN.
absl::StatusOr<std::shared_ptr<DetectorImpl>> FasterRCNNFromConfig(const config::FasterRCNN& m,
                                                                        const config::Config& cfg,
                                                                        const std::string& path);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_DETECTORS_FASTER_RCNN_H_
