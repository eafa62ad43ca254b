// MMDetection v2's FocalLoss (mmdet/models/losses/focal_loss.py), registered for
// config::FocalLoss in LossRegistry.
#ifndef MMDET_MODELS_LOSSES_FOCAL_LOSS_H_
#define MMDET_MODELS_LOSSES_FOCAL_LOSS_H_

#include <optional>

#include "mmdet/models/losses/focal_loss.pb.h"
#include "mmdet/models/losses/loss.h"
#include "mmdet/models/losses/reduction.pb.h"
#include "torch/types.h"

namespace mmdet::models {

// FocalLoss: sigmoid focal loss over labels [N] in [0, C] (C = background).
class FocalLoss : public Loss {
 public:
  explicit FocalLoss(const config::FocalLoss& cfg) : cfg_(cfg) {}
  bool use_sigmoid() const override { return true; }
  torch::Tensor Compute(const torch::Tensor& pred, const torch::Tensor& target,
                        const torch::Tensor& weight, std::optional<double> avg_factor,
                        std::optional<config::Reduction> override) const override;

 private:
  config::FocalLoss cfg_;
};

}  // namespace mmdet::models

#endif  // MMDET_MODELS_LOSSES_FOCAL_LOSS_H_
