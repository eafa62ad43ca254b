// Mask R-CNN (MMDetection v2's detectors/mask_rcnn.py): a TwoStageDetector from config::MaskRCNN.
#ifndef MMDET_MODELS_DETECTORS_MASK_RCNN_H_
#define MMDET_MODELS_DETECTORS_MASK_RCNN_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "mmdet/models/detectors/detector.h"
#include "mmdet/models/detectors/mask_rcnn.pb.h"

namespace mmdet::models {

// The registered factory of config::MaskRCNN.
absl::StatusOr<std::shared_ptr<DetectorImpl>> MaskRCNNFromConfig(const config::MaskRCNN& m,
                                                                      const config::Config& cfg,
                                                                      const std::string& path);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_DETECTORS_MASK_RCNN_H_
