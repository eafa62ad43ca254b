// The backbone interface and registry: a module mapping an image batch (N x C x H x W) to
// multi-scale feature maps, built from `config::Backbone` by type.
//
//   MMDET_ASSIGN_OR_RETURN(auto backbone, BuildBackbone(cfg.backbone(), "model.backbone"));
//   std::vector<torch::Tensor> feats = backbone->forward(images);  // e.g. C2..C5
#ifndef MMDET_MODELS_BACKBONES_BACKBONE_H_
#define MMDET_MODELS_BACKBONES_BACKBONE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/core/registry.h"
#include "mmdet/models/backbones/backbone.pb.h"
#include "torch/nn/module.h"

namespace mmdet::models {

class BackboneImpl : public torch::nn::Module {
 public:
  virtual std::vector<torch::Tensor> forward(const torch::Tensor& x) = 0;
  // Channels of each returned feature map.
  virtual std::vector<int64_t> out_channels() const = 0;
};

// Factories take the config member's path ("model.backbone.resnet") for messages.
using BackboneRegistry = Registry<BackboneImpl, const std::string&>;

absl::StatusOr<std::shared_ptr<BackboneImpl>> BuildBackbone(const config::Backbone& config,
                                                            const std::string& path);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_BACKBONES_BACKBONE_H_
