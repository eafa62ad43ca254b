// MMDetection v2's DeltaXYWHBBoxCoder (mmdet/core/bbox/coder/delta_xywh_bbox_coder.py),
// registered for config::DeltaXYWHBBoxCoder in BBoxCoderRegistry.
#ifndef MMDET_MODELS_TASK_MODULES_CODERS_DELTA_XYWH_BBOX_CODER_H_
#define MMDET_MODELS_TASK_MODULES_CODERS_DELTA_XYWH_BBOX_CODER_H_

#include <array>
#include <cstdint>
#include <optional>

#include "mmdet/models/task_modules/coders/bbox_coder.h"
#include "mmdet/models/task_modules/coders/delta_xywh_bbox_coder.pb.h"
#include "torch/types.h"

namespace mmdet::models {

// MMDetection v2's DeltaXYWHBBoxCoder (bbox2delta / delta2bbox): dx = (gx - px) / pw,
// dw = log(gw / pw), normalised by means/stds; decoding clamps |dw|, |dh| to
// |log(wh_ratio_clip)| and the boxes to [0, w] x [0, h] of max_shape.
class DeltaXYWHBBoxCoder : public BBoxCoder {
 public:
  DeltaXYWHBBoxCoder(std::array<float, 4> means, std::array<float, 4> stds,
                     float wh_ratio_clip = 16.0f / 1000)
      : means_(means), stds_(stds), wh_ratio_clip_(wh_ratio_clip) {}
  torch::Tensor Encode(const torch::Tensor& bboxes, const torch::Tensor& gt) const override;
  torch::Tensor Decode(const torch::Tensor& bboxes, const torch::Tensor& deltas,
                       const std::optional<std::array<int64_t, 2>>& max_shape) const override;

 private:
  std::array<float, 4> means_, stds_;
  float wh_ratio_clip_;
};

}  // namespace mmdet::models

#endif  // MMDET_MODELS_TASK_MODULES_CODERS_DELTA_XYWH_BBOX_CODER_H_
