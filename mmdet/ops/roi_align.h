// RoIAlign (He et al. 2017) with torchvision / MMDetection v2 semantics, forward and
// backward, as an autograd-aware operator (mmdet::roi_align) with CPU and CUDA kernels.
//
// Each RoI (batch_index, x1, y1, x2, y2) in image coordinates is scaled by spatial_scale
// and split into pooled_height x pooled_width bins; each bin averages grid_h x grid_w
// bilinear samples at the sub-bin centres, where the grid is sampling_ratio per axis or,
// for sampling_ratio <= 0, ceil(roi size / output size) (adaptive). With aligned = true
// (MMDetection v2's default) the RoI is shifted by -0.5 pixel so that sample points and
// pixel centres agree; with aligned = false it is not, and a RoI is at least 1x1 (legacy).
// Samples more than one pixel outside the map contribute zero.
//
// Example config (a SingleRoIExtractor's roi_layer):
//   roi_layer { roi_align { out_size: 7 sample_num: 0 aligned: true } }
#ifndef MMDET_OPS_ROI_ALIGN_H_
#define MMDET_OPS_ROI_ALIGN_H_

#include <ATen/ATen.h>

namespace mmdet::ops {

// input: [B, C, H, W]; rois: [K, 5]. Returns [K, C, pooled_height, pooled_width].
// Differentiable in `input` (not in `rois`, as in torchvision).
at::Tensor RoiAlign(const at::Tensor& input, const at::Tensor& rois, double spatial_scale,
                    int64_t pooled_height, int64_t pooled_width, int64_t sampling_ratio,
                    bool aligned);

}  // namespace mmdet::ops

#endif  // MMDET_OPS_ROI_ALIGN_H_
