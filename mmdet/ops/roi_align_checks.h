// Argument checks shared by the RoIAlign kernels (expected-versus-got, as torchvision's).
#ifndef MMDET_OPS_ROI_ALIGN_CHECKS_H_
#define MMDET_OPS_ROI_ALIGN_CHECKS_H_

#include <ATen/ATen.h>

namespace mmdet::ops::detail {

inline void CheckRoiAlignArgs(const at::Tensor& input, const at::Tensor& rois,
                              int64_t pooled_height, int64_t pooled_width) {
  TORCH_CHECK(input.dim() == 4, "roi_align: input must be [B, C, H, W], got ", input.sizes());
  TORCH_CHECK(rois.dim() == 2 && rois.size(1) == 5,
              "roi_align: rois must be [K, 5] (batch_index, x1, y1, x2, y2), got ",
              rois.sizes());
  TORCH_CHECK(pooled_height > 0 && pooled_width > 0,
              "roi_align: output size must be positive, got ", pooled_height, "x",
              pooled_width);
  TORCH_CHECK(input.scalar_type() == rois.scalar_type(),
              "roi_align: input and rois must have the same dtype, got ", input.scalar_type(),
              " and ", rois.scalar_type());
  TORCH_CHECK(input.device() == rois.device(),
              "roi_align: input and rois must be on the same device, got ", input.device(),
              " and ", rois.device());
}

}  // namespace mmdet::ops::detail

#endif  // MMDET_OPS_ROI_ALIGN_CHECKS_H_
