// Argument checks shared by the focal loss kernels.
#ifndef MMDET_OPS_FOCAL_LOSS_CHECKS_H_
#define MMDET_OPS_FOCAL_LOSS_CHECKS_H_

#include <ATen/ATen.h>

namespace mmdet::ops::detail {

inline void CheckFocalLossArgs(const at::Tensor& logits, const at::Tensor& labels) {
  TORCH_CHECK(logits.dim() == 2, "sigmoid_focal_loss: logits must be [N, C], got ",
              logits.sizes());
  TORCH_CHECK(labels.dim() == 1 && labels.size(0) == logits.size(0),
              "sigmoid_focal_loss: labels must be [N] with N = ", logits.size(0), ", got ",
              labels.sizes());
  TORCH_CHECK(labels.scalar_type() == at::kLong, "sigmoid_focal_loss: labels must be int64, got ",
              labels.scalar_type());
  TORCH_CHECK(logits.device() == labels.device(),
              "sigmoid_focal_loss: logits and labels must be on the same device");
}

}  // namespace mmdet::ops::detail

#endif  // MMDET_OPS_FOCAL_LOSS_CHECKS_H_
