// Post-processing of detections (MMDetection v2's mmdet/core/post_processing/bbox_nms.py).
#ifndef MMDET_MODELS_POST_PROCESSING_BBOX_NMS_H_
#define MMDET_MODELS_POST_PROCESSING_BBOX_NMS_H_

#include <cstdint>

#include "mmdet/models/model_types.h"
#include "mmdet/ops/ops.pb.h"
#include "mmdet/ops/nms.h"
#include "torch/types.h"

namespace mmdet::models {

// multiclass_nms (v2.0): scores [n, C + 1] with the background last; bboxes [n, 4] shared or
// [n, 4C] per class. Keeps (box, class) pairs scoring above score_thr, NMS per class, the
// max_num best overall (max_num <= 0: all).
Detections MulticlassNms(const torch::Tensor& bboxes, const torch::Tensor& scores,
                         double score_thr, const config::NMSConfig& nms, int64_t max_num);

// The NMS operator options of a config's `nms { type iou_thr ... }`.
ops::NmsOptions NmsOptionsOf(const config::NMSConfig& nms);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_POST_PROCESSING_BBOX_NMS_H_
