// Sigmoid focal loss (Lin et al. 2017) with mmcv's kernel semantics, as an autograd-aware
// operator (mmdet::sigmoid_focal_loss) with CPU and CUDA kernels.
//
// logits [N, C] (one sigmoid per class), labels [N] int64 in [0, C], where C (num_classes)
// is the background: every class is a negative. Per element, with p = sigmoid(logit):
//   label == c:  -alpha * (1 - p)^gamma * log(p)
//   otherwise:   -(1 - alpha) * p^gamma * log(1 - p)
// (logs clamped at FLT_MIN as mmcv does). The result is unreduced [N, C]; FocalLoss
// (mmdet/models/losses) applies weights, reduction and loss_weight.
//
// Example config:
//   loss_cls { focal_loss { use_sigmoid: true gamma: 2.0 alpha: 0.25 loss_weight: 1.0 } }
#ifndef MMDET_OPS_FOCAL_LOSS_H_
#define MMDET_OPS_FOCAL_LOSS_H_

#include <ATen/ATen.h>

namespace mmdet::ops {

// Differentiable in `logits`.
at::Tensor SigmoidFocalLoss(const at::Tensor& logits, const at::Tensor& labels, double gamma,
                            double alpha);

}  // namespace mmdet::ops

#endif  // MMDET_OPS_FOCAL_LOSS_H_
