// mmcv's fuse_conv_bn: folds every BatchNorm (BN, SyncBN) in eval mode into the convolution
// registered just before it in the same parent module, so testing runs one op instead of two:
//
//   conv.weight *= bn.weight / sqrt(bn.running_var + bn.eps)       (per output channel)
//   conv.bias    = (conv.bias or 0 - bn.running_mean) * that factor + bn.bias
//
// and the BatchNorm's forward becomes the identity. As mmcv, pairs are found by module order
// within each parent (ResNet's conv1/bn1, ConvModule's conv/bn, downsample's 0/1); a norm with
// no convolution before it in its parent is left alone, and GroupNorm is never folded.
// Detections are those of the unfused model up to float rounding (tests/fuse_conv_bn_test).
//
// Only for inference: the folded statistics no longer adapt, so train() afterwards is wrong.
// The BatchNorms keep their parameters (state_dict keys are unchanged), and a conv that had
// no bias gets one outside its parameter list (state_dict() does not show it).
#ifndef MMDET_MODELS_LAYERS_FUSE_CONV_BN_H_
#define MMDET_MODELS_LAYERS_FUSE_CONV_BN_H_

#include <cstdint>

#include "torch/nn/module.h"

namespace mmdet::models {

enum class FuseMode {
  // The BatchNorms become the identity (test --fuse-conv-bn: one op instead of two).
  kSkipNorms,
  // For a checkpoint that loads into the unchanged model (tools:fuse_conv_bn): the BatchNorms
  // keep running, reduced to a per-channel shift: weight 1, running_mean 0, running_var the
  // value that makes var + eps exactly 1, and bias = the folded bias (a conv's own bias moves
  // there too, set to 0). Every state_dict key stays; the statistics no longer mean anything.
  kCheckpoint,
};

// Folds every (conv, BatchNorm) pair under `module`; returns how many were folded.
int64_t FuseConvBn(torch::nn::Module& module, FuseMode mode = FuseMode::kSkipNorms);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_LAYERS_FUSE_CONV_BN_H_
