// The loss interface and registry. Losses have MMDetection v2's semantics: loss_weight,
// reduction ("mean", "sum", "none"), per-element weights and avg_factor
// (mmdet/models/losses/utils.py's weight_reduce_loss: with avg_factor, "mean" is
// sum / avg_factor). Built from `config::Loss` by type:
//
//   MMDET_ASSIGN_OR_RETURN(auto loss_cls, BuildLoss(cfg.loss_cls(), "model.rpn_head.loss_cls"));
//   torch::Tensor loss = loss_cls->Compute(cls_score, labels, label_weights, num_total_samples);
//
// A new loss: subclass Loss, add a message to losses/ (and a member to Loss's oneof, or use
// `custom`), register it with MMDET_REGISTER(LossRegistry, config::MyLoss, MyLossFromConfig);
// see docs/new_component.md.
#ifndef MMDET_MODELS_LOSSES_LOSS_H_
#define MMDET_MODELS_LOSSES_LOSS_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "mmdet/core/registry.h"
#include "mmdet/models/losses/loss.pb.h"
#include "mmdet/models/losses/reduction.pb.h"
#include "torch/types.h"

namespace mmdet::models {

class Loss {
 public:
  virtual ~Loss() = default;
  // `weight` may be undefined (all ones). `reduction` overrides the configured one.
  virtual torch::Tensor Compute(const torch::Tensor& pred, const torch::Tensor& target,
                                const torch::Tensor& weight = torch::Tensor(),
                                std::optional<double> avg_factor = std::nullopt,
                                std::optional<config::Reduction> reduction = std::nullopt) const = 0;
  // Whether classification outputs are sigmoids (one channel per class, no background).
  virtual bool use_sigmoid() const { return false; }
};

using LossRegistry = Registry<Loss, const std::string&>;
absl::StatusOr<std::shared_ptr<Loss>> BuildLoss(const config::Loss& cfg, const std::string& path);

// weight_reduce_loss.
torch::Tensor WeightReduceLoss(torch::Tensor loss, const torch::Tensor& weight,
                               config::Reduction reduction, std::optional<double> avg_factor);

// CrossEntropyLoss with use_mask is MMDetection's mask_cross_entropy: Compute(pred, target,
// labels) with pred [N, C, h, w] logits, target [N, h, w] in {0, 1} and the RoIs' labels [N] in
// the weight argument; the mean BCE over each RoI's own class channel (reduction and
// avg_factor ignored, as there), times loss_weight, shape [1].

}  // namespace mmdet::models

#endif  // MMDET_MODELS_LOSSES_LOSS_H_
