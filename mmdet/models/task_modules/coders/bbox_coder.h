// The box coder interface and registry: MMDetection v2's mmdet/core/bbox/coder, with its exact
// semantics, built from `config::BBoxCoder` by type:
//
//   MMDET_ASSIGN_OR_RETURN(auto coder, BuildBBoxCoder(cfg.bbox_coder(), path));
//
// Geometry is v2's: boxes are (x1, y1, x2, y2) floats with width x2 - x1 (no "+1").
//
// A new box coder: subclass BBoxCoder, add a message to coders/ (and a member to BBoxCoder's
// oneof, or use `custom`), register it with
// MMDET_REGISTER(BBoxCoderRegistry, config::MyCoder, MyCoderFromConfig); see
// docs/new_component.md.
#ifndef MMDET_MODELS_TASK_MODULES_CODERS_BBOX_CODER_H_
#define MMDET_MODELS_TASK_MODULES_CODERS_BBOX_CODER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "mmdet/core/registry.h"
#include "mmdet/models/task_modules/coders/bbox_coder.pb.h"
#include "torch/types.h"

namespace mmdet::models {

class BBoxCoder {
 public:
  virtual ~BBoxCoder() = default;
  // Regression targets of `gt` (N x 4) relative to `bboxes` (N x 4).
  virtual torch::Tensor Encode(const torch::Tensor& bboxes, const torch::Tensor& gt) const = 0;
  // Boxes from `bboxes` (N x 4) and `deltas` (N x 4k, k boxes per row); clamped to
  // max_shape (h, w) when given.
  virtual torch::Tensor Decode(const torch::Tensor& bboxes, const torch::Tensor& deltas,
                               const std::optional<std::array<int64_t, 2>>& max_shape) const = 0;
};

using BBoxCoderRegistry = Registry<BBoxCoder, const std::string&>;
absl::StatusOr<std::shared_ptr<BBoxCoder>> BuildBBoxCoder(const config::BBoxCoder& cfg,
                                                          const std::string& path);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_TASK_MODULES_CODERS_BBOX_CODER_H_
