// RoIPool (Girshick 2015) with torchvision / mmcv semantics, forward and backward, as an
// autograd-aware operator (mmdet::roi_pool) with CPU and CUDA kernels.
//
// RoI corners (batch_index, x1, y1, x2, y2) are scaled by spatial_scale and rounded; the RoI
// spans round(x2) - round(x1) + 1 cells (at least 1); bin (ph, pw) takes the maximum over
// [floor(ph * h / PH), ceil((ph + 1) * h / PH)) x [...] clipped to the map, and 0 when that
// window is empty. The gradient goes to the arg-max cell of each bin.
//
// Example config (a SingleRoIExtractor's roi_layer):
//   roi_layer { roi_pool { out_size: 7 } }
#ifndef MMDET_OPS_ROI_POOL_H_
#define MMDET_OPS_ROI_POOL_H_

#include <ATen/ATen.h>

namespace mmdet::ops {

// input: [B, C, H, W]; rois: [K, 5]. Returns [K, C, pooled_height, pooled_width];
// differentiable in `input`.
at::Tensor RoiPool(const at::Tensor& input, const at::Tensor& rois, double spatial_scale,
                   int64_t pooled_height, int64_t pooled_width);

}  // namespace mmdet::ops

#endif  // MMDET_OPS_ROI_POOL_H_
