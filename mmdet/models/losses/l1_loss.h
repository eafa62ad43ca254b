// MMDetection v2's L1Loss (mmdet/models/losses/smooth_l1_loss.py), registered for
// config::L1Loss in LossRegistry.
#ifndef MMDET_MODELS_LOSSES_L1_LOSS_H_
#define MMDET_MODELS_LOSSES_L1_LOSS_H_

#include <optional>

#include "mmdet/models/losses/l1_loss.pb.h"
#include "mmdet/models/losses/loss.h"
#include "mmdet/models/losses/reduction.pb.h"
#include "torch/types.h"

namespace mmdet::models {

// L1Loss: |pred - target|.
class L1Loss : public Loss {
 public:
  explicit L1Loss(const config::L1Loss& cfg) : cfg_(cfg) {}
  torch::Tensor Compute(const torch::Tensor& pred, const torch::Tensor& target,
                        const torch::Tensor& weight, std::optional<double> avg_factor,
                        std::optional<config::Reduction> override) const override;

 private:
  config::L1Loss cfg_;
};

}  // namespace mmdet::models

#endif  // MMDET_MODELS_LOSSES_L1_LOSS_H_
