// MMDetection v2's AnchorGenerator (mmdet/core/anchor/anchor_generator.py), registered for
// config::AnchorGenerator in PriorGeneratorRegistry.
#ifndef MMDET_MODELS_TASK_MODULES_PRIOR_GENERATORS_ANCHOR_GENERATOR_H_
#define MMDET_MODELS_TASK_MODULES_PRIOR_GENERATORS_ANCHOR_GENERATOR_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/models/task_modules/prior_generators/anchor_generator.pb.h"
#include "mmdet/models/task_modules/prior_generators/prior_generator.h"
#include "torch/types.h"

namespace mmdet::models {

// MMDetection v2's AnchorGenerator: per level, base anchors centred at
// (center_offset * base_size, ...) with w = base_size * scale / sqrt(ratio) and
// h = base_size * scale * sqrt(ratio) (ratio = h / w), scale-major by default; shifted by
// the stride over the feature map.
class AnchorGenerator : public PriorGenerator {
 public:
  static absl::StatusOr<std::shared_ptr<AnchorGenerator>> Create(
      const config::AnchorGenerator& cfg, const std::string& path);
  size_t num_levels() const override { return strides_.size(); }
  std::vector<int64_t> num_base_anchors() const override;
  const std::vector<int64_t>& strides() const override { return strides_; }
  const std::vector<torch::Tensor>& base_anchors() const { return base_anchors_; }
  std::vector<torch::Tensor> GridAnchors(const std::vector<FeatSize>& featmap_sizes,
                                         const torch::Device& device) const override;
  std::vector<torch::Tensor> ValidFlags(const std::vector<FeatSize>& featmap_sizes,
                                        const std::array<int64_t, 2>& pad_shape,
                                        const torch::Device& device) const override;

 private:
  std::vector<int64_t> strides_;
  std::vector<torch::Tensor> base_anchors_;  // per level, A x 4
};

}  // namespace mmdet::models

#endif  // MMDET_MODELS_TASK_MODULES_PRIOR_GENERATORS_ANCHOR_GENERATOR_H_
