// An optimizer's state in PyTorch's own `optimizer.state_dict()` layout, the `optimizer` member
// of MMDetection checkpoints, so that Python's `optimizer.load_state_dict(ckpt['optimizer'])`
// (mmcv's resume) takes what we save and we take what it saved:
//
//   {'state': {0: {'momentum_buffer': Tensor}, 1: ...},          # SGD
//             {0: {'step': int, 'exp_avg': T, 'exp_avg_sq': T[, 'max_exp_avg_sq': T]}}  # Adam(W)
//    'param_groups': [{'lr': .., 'momentum': .., 'dampening': .., 'weight_decay': ..,
//                      'nesterov': .., ['initial_lr': ..,] 'params': [0, 1, ...]}, ...]}
//                     (Adam(W): 'lr', 'betas': (b1, b2), 'eps', 'weight_decay', 'amsgrad')
//
// Parameters are numbered through the groups in order, as PyTorch does; parameters that have
// no state yet (never stepped) are absent from 'state'. `initial_lr` is what mmcv's
// LrUpdaterHook stores in each group (its base lr) and resumes from. Adam's `step` loads from
// an int (PyTorch < 1.12) or a scalar tensor (later).
//
// Checked with Python torch 1.13: optimizer.load_state_dict() takes the files SGD/Adam/AdamW
// states save to (and steps on), and Python-saved states load (testdata/, in the test).
//
// Optimizers: torch::optim::SGD, Adam, AdamW and subclasses (every registered one, the
// CopyOfSGD example included); another type is an InvalidArgument error naming it.
#ifndef MMDET_RUNNER_CHECKPOINT_OPTIMIZER_STATE_H_
#define MMDET_RUNNER_CHECKPOINT_OPTIMIZER_STATE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mmdet/core/pth/pth.h"
#include "torch/optim/optimizer.h"

namespace mmdet::runner {

// optimizer.state_dict(); `initial_lrs` (one per group, or empty for none) are written as the
// groups' 'initial_lr'.
absl::StatusOr<pth::Value> OptimizerStateDict(const torch::optim::Optimizer& optimizer,
                                              const std::vector<double>& initial_lrs = {});

// optimizer.load_state_dict(state): the groups' hyper-parameters and each parameter's state.
// The group count, each group's parameter count and every state tensor's shape must match
// (errors name `source` and the element, e.g. "latest.pth: optimizer.state[3].momentum_buffer:
// shape [8, 3] does not match the parameter's [16, 3]"). Returns the groups' 'initial_lr'
// values (empty when the file has none).
absl::StatusOr<std::vector<double>> LoadOptimizerStateDict(torch::optim::Optimizer& optimizer,
                                                           const pth::Value& state,
                                                           const std::string& source);

}  // namespace mmdet::runner

#endif  // MMDET_RUNNER_CHECKPOINT_OPTIMIZER_STATE_H_
