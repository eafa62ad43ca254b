// MMDetection v2's CrossEntropyLoss (mmdet/models/losses/cross_entropy_loss.py), registered
// for config::CrossEntropyLoss in LossRegistry. With use_mask it is mask_cross_entropy (see
// loss.h for its arguments).
#ifndef MMDET_MODELS_LOSSES_CROSS_ENTROPY_LOSS_H_
#define MMDET_MODELS_LOSSES_CROSS_ENTROPY_LOSS_H_

#include <optional>

#include "mmdet/models/losses/cross_entropy_loss.pb.h"
#include "mmdet/models/losses/loss.h"
#include "mmdet/models/losses/reduction.pb.h"
#include "torch/types.h"

namespace mmdet::models {

// CrossEntropyLoss: softmax (labels [N] in [0, C]), sigmoid (binary, labels one-hot expanded
// where 0 <= label < C, background C all zeros: MMDetection >= 2.5's _expand_binary_labels;
// v2.0-2.4 put label l in column l - 1, which gives the same targets for the RPN's single
// channel and differs only for a sigmoid cross-entropy on a multi-class head) or mask
// (mask_cross_entropy).
class CrossEntropyLoss : public Loss {
 public:
  explicit CrossEntropyLoss(const config::CrossEntropyLoss& cfg) : cfg_(cfg) {}
  bool use_sigmoid() const override { return cfg_.use_sigmoid(); }
  torch::Tensor Compute(const torch::Tensor& pred, const torch::Tensor& target,
                        const torch::Tensor& weight, std::optional<double> avg_factor,
                        std::optional<config::Reduction> override) const override;

 private:
  config::CrossEntropyLoss cfg_;
};

}  // namespace mmdet::models

#endif  // MMDET_MODELS_LOSSES_CROSS_ENTROPY_LOSS_H_
