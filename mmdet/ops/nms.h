// Non-maximum suppression: hard NMS (CPU + CUDA kernels behind the dispatcher), Soft-NMS,
// and class-aware batched NMS, with MMDetection v2's semantics.
//
// Geometry: boxes are (x1, y1, x2, y2); with offset 0 (MMDetection v2, torchvision) a box's
// width is x2 - x1, with offset 1 it is x2 - x1 + 1 (MMDetection v1 / legacy mmcv). A box
// is suppressed when its IoU with a kept, higher-scored box is strictly greater than
// iou_threshold. Equal scores keep their input order (a stable sort), so results are
// deterministic on both devices.
//
// Example config (test_cfg.rcnn.nms):
//   nms { type: nms iou_thr: 0.5 }
//   nms { type: soft_nms iou_thr: 0.3 method: gaussian sigma: 0.5 min_score: 0.001 }
#ifndef MMDET_OPS_NMS_H_
#define MMDET_OPS_NMS_H_

#include <ATen/ATen.h>

#include <tuple>

namespace mmdet::ops {

// Indices (int64, on the boxes' device) of the boxes kept by hard NMS, by decreasing score.
// boxes: [N, 4] float; scores: [N]. Dispatches to the CPU or CUDA kernel (op mmdet::nms).
at::Tensor Nms(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold,
               int64_t offset = 0);

enum class SoftNmsMethod { kLinear, kGaussian, kNaive };

// Soft-NMS (Bodla et al. 2017) as mmcv's soft_nms: repeatedly takes the highest (decayed)
// score, decays the scores of the boxes overlapping it, and drops boxes whose score falls
// below min_score. Linear: s *= 1 - IoU when IoU > iou_threshold; gaussian:
// s *= exp(-IoU^2 / sigma) for every overlapping box; naive: hard NMS.
// Returns (dets [K, 5] = boxes + decayed scores, keep [K] int64) in the order selected.
// Runs on the CPU (as mmcv's does); CUDA inputs are copied over and results copied back.
std::tuple<at::Tensor, at::Tensor> SoftNms(const at::Tensor& boxes, const at::Tensor& scores,
                                           double iou_threshold, double sigma = 0.5,
                                           double min_score = 1e-3,
                                           SoftNmsMethod method = SoftNmsMethod::kLinear,
                                           int64_t offset = 0);

// Options of BatchedNms, mirroring the config's NMSConfig.
struct NmsOptions {
  bool soft = false;  // soft_nms instead of nms
  double iou_threshold = 0.5;
  SoftNmsMethod method = SoftNmsMethod::kLinear;
  double sigma = 0.5;
  double min_score = 1e-3;
  int64_t offset = 0;
  // Suppress across classes too (MMDetection's class_agnostic).
  bool class_agnostic = false;
};

// MMDetection v2's batched_nms: NMS within each class of `idxs` (never across classes),
// done in one pass by moving each class's boxes to a disjoint region. Returns
// (dets [K, 5] = original boxes + scores after NMS, keep [K] int64 indices into the input),
// by decreasing score.
std::tuple<at::Tensor, at::Tensor> BatchedNms(const at::Tensor& boxes, const at::Tensor& scores,
                                              const at::Tensor& idxs, const NmsOptions& options);

}  // namespace mmdet::ops

#endif  // MMDET_OPS_NMS_H_
