// MMDetection v2's SmoothL1Loss (mmdet/models/losses/smooth_l1_loss.py), registered for
// config::SmoothL1Loss in LossRegistry.
#ifndef MMDET_MODELS_LOSSES_SMOOTH_L1_LOSS_H_
#define MMDET_MODELS_LOSSES_SMOOTH_L1_LOSS_H_

#include <optional>

#include "mmdet/models/losses/loss.h"
#include "mmdet/models/losses/reduction.pb.h"
#include "mmdet/models/losses/smooth_l1_loss.pb.h"
#include "torch/types.h"

namespace mmdet::models {

// SmoothL1Loss: 0.5 * d^2 / beta where d = |pred - target| < beta, else d - 0.5 * beta.
class SmoothL1Loss : public Loss {
 public:
  explicit SmoothL1Loss(const config::SmoothL1Loss& cfg) : cfg_(cfg) {}
  torch::Tensor Compute(const torch::Tensor& pred, const torch::Tensor& target,
                        const torch::Tensor& weight, std::optional<double> avg_factor,
                        std::optional<config::Reduction> override) const override;

 private:
  config::SmoothL1Loss cfg_;
};

}  // namespace mmdet::models

#endif  // MMDET_MODELS_LOSSES_SMOOTH_L1_LOSS_H_
