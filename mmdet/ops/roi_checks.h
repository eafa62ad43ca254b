// Argument checks shared by the RoIAlign and RoIPool kernels (expected-versus-got, as
// torchvision's); `op` names the operator in the message.
#ifndef MMDET_OPS_ROI_CHECKS_H_
#define MMDET_OPS_ROI_CHECKS_H_

#include <ATen/ATen.h>

namespace mmdet::ops::detail {

inline void CheckRoiArgs(const char* op, const at::Tensor& input, const at::Tensor& rois,
                         int64_t pooled_height, int64_t pooled_width) {
  TORCH_CHECK(input.dim() == 4, op, ": input must be [B, C, H, W], got ", input.sizes());
  TORCH_CHECK(rois.dim() == 2 && rois.size(1) == 5,
              op, ": rois must be [K, 5] (batch_index, x1, y1, x2, y2), got ",
              rois.sizes());
  TORCH_CHECK(pooled_height > 0 && pooled_width > 0,
              op, ": output size must be positive, got ", pooled_height, "x",
              pooled_width);
  TORCH_CHECK(input.scalar_type() == rois.scalar_type(),
              op, ": input and rois must have the same dtype, got ", input.scalar_type(),
              " and ", rois.scalar_type());
  TORCH_CHECK(input.device() == rois.device(),
              op, ": input and rois must be on the same device, got ", input.device(),
              " and ", rois.device());
}

}  // namespace mmdet::ops::detail

#endif  // MMDET_OPS_ROI_CHECKS_H_
