// Optimizers from the config (MMDetection v2.0's build_optimizer with its
// DefaultOptimizerConstructor), by registry like every component:
//
//   MMDET_ASSIGN_OR_RETURN(auto optimizer, BuildOptimizer(cfg.optimizer(), *model));
//
// Parameter groups: without paramwise_cfg one group of every parameter at the optimizer's lr
// and weight decay; with it one group per trainable parameter (frozen ones, requires_grad
// false, are left out: they have no gradient to apply), in named_parameters order, with
//   - biases (a parameter named "bias" of a module that is not a norm): lr x bias_lr_mult,
//     weight decay x bias_decay_mult;
//   - parameters of norm layers (BatchNorm, SyncBN, GroupNorm, LayerNorm, InstanceNorm):
//     weight decay x norm_decay_mult;
//   - depth-wise convs (Conv2d with groups == in_channels): weight decay x dwconv_decay_mult.
// A new optimizer: a message in optimizer.proto's oneof (or through `custom`) and a factory
//   MMDET_REGISTER(OptimizerRegistry, my::RMSprop, RmspropFromConfig);
// that makes a torch::optim::Optimizer from BuildParamGroups (docs/custom_optimizer.md).
#ifndef MMDET_RUNNER_OPTIM_OPTIMIZER_BUILDER_H_
#define MMDET_RUNNER_OPTIM_OPTIMIZER_BUILDER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/core/registry.h"
#include "mmdet/runner/optim/optimizer.pb.h"
#include "torch/nn/module.h"
#include "torch/optim/optimizer.h"

namespace mmdet::runner {

// One of mmcv's param_groups: parameters with their lr and weight decay.
struct ParamGroup {
  std::vector<torch::Tensor> params;
  double lr = 0;
  double weight_decay = 0;
};

// DefaultOptimizerConstructor's groups for `model` (see above); `paramwise` may be null.
std::vector<ParamGroup> BuildParamGroups(torch::nn::Module& model, double base_lr,
                                         double base_weight_decay,
                                         const config::ParamwiseConfig* paramwise);

// What an optimizer factory gets besides its message.
struct OptimizerContext {
  torch::nn::Module* model = nullptr;
  const config::ParamwiseConfig* paramwise = nullptr;  // null without paramwise_cfg
};

// Factories take the member's path ("optimizer.sgd") and the context.
using OptimizerRegistry =
    Registry<torch::optim::Optimizer, const std::string&, const OptimizerContext&>;

// cfg.optimizer for `model`; errors name the field ("optimizer.sgd.lr: must be positive").
absl::StatusOr<std::shared_ptr<torch::optim::Optimizer>> BuildOptimizer(
    const config::Optimizer& cfg, torch::nn::Module& model);

// The lr of each param group (what the lr schedule reads and sets).
std::vector<double> GroupLrs(const torch::optim::Optimizer& optimizer);
void SetGroupLrs(torch::optim::Optimizer& optimizer, const std::vector<double>& lrs);

}  // namespace mmdet::runner

#endif  // MMDET_RUNNER_OPTIM_OPTIMIZER_BUILDER_H_
