// ResNet (He et al. 2016) as MMDetection v2's mmdet/models/backbones/resnet.py builds it, with
// its parameter names (conv1, bn1, layer1.0.conv1, layer1.0.downsample.0, ...), which are
// torchvision's, so ImageNet weights load unchanged.
//
// Options (config::ResNet): depth 18/34/50/101/152, num_stages 1-4, strides, dilations,
// out_indices, style "pytorch" (stride in the 3x3 conv) or "caffe" (in the first 1x1),
// frozen_stages (-1 none; 0 the stem; k the stem and stages 1..k: eval mode, no gradients),
// norm_cfg (BN / SyncBN / GN; requires_grad false = frozen affine), norm_eval (BatchNorms stay
// in eval mode while training), zero_init_residual, deep_stem and avg_down (ResNetV1c/d).
// with_cp (gradient checkpointing) is not supported and is rejected.
#ifndef MMDET_MODELS_BACKBONES_RESNET_H_
#define MMDET_MODELS_BACKBONES_RESNET_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/models/backbones/backbone.h"
#include "mmdet/models/backbones/resnet.pb.h"

namespace mmdet::models {

absl::StatusOr<std::shared_ptr<BackboneImpl>> BuildResNet(const config::ResNet& config,
                                                          const std::string& path);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_BACKBONES_RESNET_H_
