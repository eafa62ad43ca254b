// state_dicts: a module's named parameters and buffers, loaded PyTorch's / mmcv's way.
//
//   StateDict sd = ...;                                   // from a checkpoint
//   MMDET_ASSIGN_OR_RETURN(LoadReport report, LoadStateDict(*model, sd, /*strict=*/true));
//
// Keys are matched by name after dropping a leading "module." (DataParallel checkpoints, as
// mmcv does). A key only in the checkpoint is unexpected, one only in the module missing, and
// a shape difference a size mismatch (the module keeps its value). strict: any of these is an
// InvalidArgument error in PyTorch's words ("Error(s) in loading state_dict for FasterRCNN:
// Missing key(s) in state_dict: ..."); not strict: they are reported (LoadReport::Message) and
// the rest is loaded, as mmcv's load_state_dict(strict=False) does. A missing
// `num_batches_tracked` buffer is not reported (checkpoints from before PyTorch 0.4.1 lack
// it; PyTorch tolerates that too).
#ifndef MMDET_MODELS_CHECKPOINT_STATE_DICT_H_
#define MMDET_MODELS_CHECKPOINT_STATE_DICT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "torch/nn/module.h"

namespace mmdet::models {

// Insertion-ordered (name, tensor) pairs, as an OrderedDict state_dict.
using StateDict = std::vector<std::pair<std::string, torch::Tensor>>;

// The module's parameters then buffers... in PyTorch's state_dict order (per module:
// parameters, then buffers, depth first), detached.
StateDict GetStateDict(torch::nn::Module& module);

struct LoadReport {
  std::vector<std::string> missing;
  std::vector<std::string> unexpected;
  std::vector<std::string> mismatched;  // "name: checkpoint [a, b] vs model [c, d]"
  bool clean() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  // mmcv's warning text; empty when clean.
  std::string Message() const;
};

absl::StatusOr<LoadReport> LoadStateDict(torch::nn::Module& module, const StateDict& state,
                                         bool strict, const std::string& module_name = "model");

// The entries of `state` under `prefix` ("backbone."), with the prefix removed.
StateDict SubStateDict(const StateDict& state, const std::string& prefix);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_CHECKPOINT_STATE_DICT_H_
