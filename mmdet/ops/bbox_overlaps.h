// IoU / IoF / GIoU between boxes (MMDetection's bbox_overlaps), on any device.
//
// Boxes are (x1, y1, x2, y2) with MMDetection v2 geometry (area = (x2 - x1) * (y2 - y1)).
// mode "iou": overlap / union; "iof": overlap / area of the first box (intersection over
// foreground); "giou": IoU - (enclosing area - union) / enclosing area. Denominators are
// clamped to at least eps, as MMDetection does.
#ifndef MMDET_OPS_BBOX_OVERLAPS_H_
#define MMDET_OPS_BBOX_OVERLAPS_H_

#include <ATen/ATen.h>

namespace mmdet::ops {

enum class OverlapMode { kIoU, kIoF, kGIoU };

// [N, M] for bboxes1 [N, 4] and bboxes2 [M, 4]; [N] with is_aligned (N == M, row-wise pairs).
at::Tensor BboxOverlaps(const at::Tensor& bboxes1, const at::Tensor& bboxes2,
                        OverlapMode mode = OverlapMode::kIoU, bool is_aligned = false,
                        double eps = 1e-6);

}  // namespace mmdet::ops

#endif  // MMDET_OPS_BBOX_OVERLAPS_H_
