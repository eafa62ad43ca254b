// The neck interface and registry: multi-scale features in, multi-scale features out
// (e.g. FPN over ResNet's C2..C5).
#ifndef MMDET_MODELS_NECKS_NECK_H_
#define MMDET_MODELS_NECKS_NECK_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/core/registry.h"
#include "mmdet/models/necks/neck.pb.h"
#include "torch/nn/module.h"

namespace mmdet::models {

class NeckImpl : public torch::nn::Module {
 public:
  virtual std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& inputs) = 0;
};

using NeckRegistry = Registry<NeckImpl, const std::string&>;

absl::StatusOr<std::shared_ptr<NeckImpl>> BuildNeck(const config::Neck& config,
                                                    const std::string& path);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_NECKS_NECK_H_
