// Checkpoint files (.pth as PyTorch writes them) for models: MMDetection's layout
// {'meta': {...}, 'state_dict': OrderedDict, 'optimizer': {...}}, or a bare state_dict
// (torchvision's ImageNet weights).
//
//   MMDET_ASSIGN_OR_RETURN(Checkpoint ckpt, LoadCheckpoint("epoch_12.pth"));
//   MMDET_ASSIGN_OR_RETURN(LoadReport r, LoadStateDict(*model, ckpt.state_dict, true));
//   MMDET_RETURN_IF_ERROR(SaveCheckpoint("latest.pth", GetStateDict(*model), meta, optimizer));
//
// `pretrained` / `load_from` names resolve as mmcv's do, without downloading (machines may
// be offline): a path is used as it is; "torchvision://resnet50" and http(s) URLs are looked
// up in the PyTorch hub cache ($TORCH_HOME/hub/checkpoints, default ~/.cache/torch/...), where
// torch.hub / mmcv would have downloaded them. A missing file is NotFound naming the
// places looked at and the URL to fetch it from.
#ifndef MMDET_MODELS_CHECKPOINT_CHECKPOINT_H_
#define MMDET_MODELS_CHECKPOINT_CHECKPOINT_H_

#include <string>

#include "absl/status/statusor.h"
#include "mmdet/core/pth/pth.h"
#include "mmdet/models/checkpoint/state_dict.h"

namespace mmdet::models {

struct Checkpoint {
  pth::Value meta;       // None when absent
  StateDict state_dict;
  pth::Value optimizer;  // None when absent
  pth::Value raw;        // the whole file, for tools that rewrite it
};

// The state_dict of a pth value: its tensors in order (entries that are not str -> Tensor are
// an error naming them).
absl::StatusOr<StateDict> StateDictFromValue(const pth::Value& value, const std::string& source);
// A state_dict as an OrderedDict value.
pth::Value StateDictToValue(const StateDict& state);

absl::StatusOr<Checkpoint> LoadCheckpoint(const std::string& path);

// Writes {'meta': meta, 'state_dict': state, 'optimizer': optimizer} (None members left out)
// atomically.
absl::Status SaveCheckpoint(const std::string& path, const StateDict& state,
                            const pth::Value& meta, const pth::Value& optimizer);

// The local file for a checkpoint name (see above).
absl::StatusOr<std::string> ResolveCheckpointPath(const std::string& name);

// The checkpoint file at `path` with its state_dict loaded strictly into `module` (what test,
// test_robustness, fuse_conv_bn and InitDetector do); errors name `path`. The checkpoint is
// returned for its meta (CLASSES).
absl::StatusOr<Checkpoint> LoadCheckpointStrictly(torch::nn::Module& module, const std::string& path);

// mmcv's load_checkpoint: the named checkpoint's state_dict into `module` (keys under
// `prefix`, with the prefix removed, when one is given).
absl::StatusOr<LoadReport> LoadCheckpointInto(torch::nn::Module& module, const std::string& name,
                                              bool strict, const std::string& prefix = "");

}  // namespace mmdet::models

#endif  // MMDET_MODELS_CHECKPOINT_CHECKPOINT_H_
