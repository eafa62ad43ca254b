// The prior (anchor) generator interface and registry: MMDetection v2's mmdet/core/anchor,
// with its exact semantics, built from `config::PriorGenerator` by type:
//
//   MMDET_ASSIGN_OR_RETURN(auto anchors, BuildPriorGenerator(cfg.anchor_generator(), path));
//
// Geometry is v2's: boxes are (x1, y1, x2, y2) floats with width x2 - x1 (no "+1").
//
// A new prior generator: subclass PriorGenerator, add a message to prior_generators/ (and a
// member to PriorGenerator's oneof, or use `custom`), register it with
// MMDET_REGISTER(PriorGeneratorRegistry, config::MyGenerator, MyGeneratorFromConfig); see
// docs/new_component.md.
#ifndef MMDET_MODELS_TASK_MODULES_PRIOR_GENERATORS_PRIOR_GENERATOR_H_
#define MMDET_MODELS_TASK_MODULES_PRIOR_GENERATORS_PRIOR_GENERATOR_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/core/registry.h"
#include "mmdet/models/task_modules/prior_generators/prior_generator.pb.h"
#include "torch/types.h"

namespace mmdet::models {

using FeatSize = std::array<int64_t, 2>;  // (h, w) of a feature map

class PriorGenerator {
 public:
  virtual ~PriorGenerator() = default;
  virtual size_t num_levels() const = 0;
  // Anchors per location at each level.
  virtual std::vector<int64_t> num_base_anchors() const = 0;
  virtual const std::vector<int64_t>& strides() const = 0;
  // Per level: (h * w * A) x 4 anchors, location-major (row by row), then the A base anchors.
  virtual std::vector<torch::Tensor> GridAnchors(const std::vector<FeatSize>& featmap_sizes,
                                                 const torch::Device& device) const = 0;
  // Per level: bool (h * w * A), false for locations outside the padded image
  // (ceil(pad_h / stride) x ceil(pad_w / stride)).
  virtual std::vector<torch::Tensor> ValidFlags(const std::vector<FeatSize>& featmap_sizes,
                                                const std::array<int64_t, 2>& pad_shape,
                                                const torch::Device& device) const = 0;
};

using PriorGeneratorRegistry = Registry<PriorGenerator, const std::string&>;
absl::StatusOr<std::shared_ptr<PriorGenerator>> BuildPriorGenerator(
    const config::PriorGenerator& cfg, const std::string& path);

// anchor_inside_flags: valid and, with allowed_border >= 0, within the image by that margin.
torch::Tensor AnchorInsideFlags(const torch::Tensor& anchors, const torch::Tensor& valid_flags,
                                const std::array<int64_t, 2>& img_shape, int64_t allowed_border);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_TASK_MODULES_PRIOR_GENERATORS_PRIOR_GENERATOR_H_
