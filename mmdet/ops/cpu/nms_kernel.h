// The CPU kernel behind BatchedNms (mmdet/ops/nms.h): greedy NMS within each class of
// `idxs`, one pass per class, over `boxes` as given (BatchedNms passes MMDetection's
// class-shifted boxes, so the IoUs are bit for bit those of its single pass). Returns the
// kept indices into the input by decreasing score, ties in input order: exactly what one
// greedy pass over all the shifted boxes returns.
#ifndef MMDET_OPS_CPU_NMS_KERNEL_H_
#define MMDET_OPS_CPU_NMS_KERNEL_H_

#include <ATen/ATen.h>

namespace mmdet::ops {

at::Tensor BatchedNmsCpu(const at::Tensor& boxes, const at::Tensor& scores,
                         const at::Tensor& idxs, double iou_threshold, int64_t offset);

}  // namespace mmdet::ops

#endif  // MMDET_OPS_CPU_NMS_KERNEL_H_
