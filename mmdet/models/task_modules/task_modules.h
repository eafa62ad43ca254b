// Anchors, box coding, assignment and sampling: MMDetection v2's mmdet/core/anchor and
// mmdet/core/bbox, with its exact semantics (each function says which), built from config
// by type:
//
//   MMDET_ASSIGN_OR_RETURN(auto anchors, BuildPriorGenerator(cfg.anchor_generator(), path));
//   MMDET_ASSIGN_OR_RETURN(auto coder, BuildBBoxCoder(cfg.bbox_coder(), path));
//   MMDET_ASSIGN_OR_RETURN(auto assigner, BuildAssigner(train_cfg.assigner(), path));
//   MMDET_ASSIGN_OR_RETURN(auto sampler, BuildBBoxSampler(train_cfg.sampler(), path));
//
// Geometry is v2's: boxes are (x1, y1, x2, y2) floats with width x2 - x1 (no "+1").
#ifndef MMDET_MODELS_TASK_MODULES_TASK_MODULES_H_
#define MMDET_MODELS_TASK_MODULES_TASK_MODULES_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/core/registry.h"
#include "mmdet/models/task_modules/assigners.pb.h"
#include "mmdet/models/task_modules/coders.pb.h"
#include "mmdet/models/task_modules/prior_generators.pb.h"
#include "mmdet/models/task_modules/samplers.pb.h"
#include "torch/types.h"

namespace mmdet::models {

using FeatSize = std::array<int64_t, 2>;  // (h, w) of a feature map

// ------------------------------------------------------------------------------- anchors

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

using PriorGeneratorRegistry = Registry<PriorGenerator, const std::string&>;
absl::StatusOr<std::shared_ptr<PriorGenerator>> BuildPriorGenerator(
    const config::PriorGenerator& cfg, const std::string& path);

// anchor_inside_flags: valid and, with allowed_border >= 0, within the image by that margin.
torch::Tensor AnchorInsideFlags(const torch::Tensor& anchors, const torch::Tensor& valid_flags,
                                const std::array<int64_t, 2>& img_shape, int64_t allowed_border);

// ------------------------------------------------------------------------------ box coders

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

// MMDetection v2's DeltaXYWHBBoxCoder (bbox2delta / delta2bbox): dx = (gx - px) / pw,
// dw = log(gw / pw), normalised by means/stds; decoding clamps |dw|, |dh| to
// |log(wh_ratio_clip)| and the boxes to [0, w] x [0, h] of max_shape.
class DeltaXYWHBBoxCoder : public BBoxCoder {
 public:
  DeltaXYWHBBoxCoder(std::array<float, 4> means, std::array<float, 4> stds,
                     float wh_ratio_clip = 16.0f / 1000)
      : means_(means), stds_(stds), wh_ratio_clip_(wh_ratio_clip) {}
  torch::Tensor Encode(const torch::Tensor& bboxes, const torch::Tensor& gt) const override;
  torch::Tensor Decode(const torch::Tensor& bboxes, const torch::Tensor& deltas,
                       const std::optional<std::array<int64_t, 2>>& max_shape) const override;

 private:
  std::array<float, 4> means_, stds_;
  float wh_ratio_clip_;
};

using BBoxCoderRegistry = Registry<BBoxCoder, const std::string&>;
absl::StatusOr<std::shared_ptr<BBoxCoder>> BuildBBoxCoder(const config::BBoxCoder& cfg,
                                                          const std::string& path);

// ------------------------------------------------------------------------------- assigners

// MMDetection's AssignResult: gt_inds[i] = 0 negative, -1 ignored, k > 0 the (k-1)-th gt.
struct AssignResult {
  int64_t num_gts = 0;
  torch::Tensor gt_inds;       // int64 [num_bboxes]
  torch::Tensor max_overlaps;  // float [num_bboxes]
  torch::Tensor labels;        // int64 [num_bboxes], -1 where not positive; undefined if no labels
  // add_gt_: the gts as the first boxes, each assigned to itself (gt_labels may be undefined).
  void AddGtAsProposals(int64_t num_gts, const torch::Tensor& gt_labels);
};

class Assigner {
 public:
  virtual ~Assigner() = default;
  // gt_bboxes_ignore and gt_labels may be undefined tensors.
  virtual AssignResult Assign(const torch::Tensor& bboxes, const torch::Tensor& gt_bboxes,
                              const torch::Tensor& gt_bboxes_ignore,
                              const torch::Tensor& gt_labels) const = 0;
};

// MMDetection v2's MaxIoUAssigner (see the config message for the options).
class MaxIoUAssigner : public Assigner {
 public:
  explicit MaxIoUAssigner(const config::MaxIoUAssigner& cfg) : cfg_(cfg) {}
  AssignResult Assign(const torch::Tensor& bboxes, const torch::Tensor& gt_bboxes,
                      const torch::Tensor& gt_bboxes_ignore,
                      const torch::Tensor& gt_labels) const override;
  // assign_wrt_overlaps on overlaps [num_gts, num_bboxes].
  AssignResult AssignWrtOverlaps(const torch::Tensor& overlaps,
                                 const torch::Tensor& gt_labels) const;

 private:
  config::MaxIoUAssigner cfg_;
};

using AssignerRegistry = Registry<Assigner, const std::string&>;
absl::StatusOr<std::shared_ptr<Assigner>> BuildAssigner(const config::Assigner& cfg,
                                                        const std::string& path);

// -------------------------------------------------------------------------------- samplers

// MMDetection's SamplingResult.
struct SamplingResult {
  torch::Tensor pos_inds, neg_inds;      // int64, ascending
  torch::Tensor pos_bboxes, neg_bboxes;  // x 4
  torch::Tensor pos_is_gt;               // uint8 [num_pos]
  int64_t num_gts = 0;
  torch::Tensor pos_assigned_gt_inds;    // int64 [num_pos], 0-based
  torch::Tensor pos_gt_bboxes;           // [num_pos, 4]
  torch::Tensor pos_gt_labels;           // int64 [num_pos] (undefined without labels)
  // cat(pos_bboxes, neg_bboxes)
  torch::Tensor bboxes() const { return torch::cat({pos_bboxes, neg_bboxes}); }
};

class BBoxSampler {
 public:
  virtual ~BBoxSampler() = default;
  // `assign` is updated when gts are added as proposals. Random draws use torch's default
  // generator (seeded by the runner).
  virtual SamplingResult Sample(AssignResult& assign, const torch::Tensor& bboxes,
                                const torch::Tensor& gt_bboxes,
                                const torch::Tensor& gt_labels) const = 0;
};

// RandomSampler: up to num * pos_fraction positives and the rest negatives, uniformly at
// random (randperm), optionally capped at neg_pos_ub negatives per positive, with the gts
// prepended as proposals when add_gt_as_proposals.
class RandomSampler : public BBoxSampler {
 public:
  explicit RandomSampler(const config::RandomSampler& cfg) : cfg_(cfg) {}
  SamplingResult Sample(AssignResult& assign, const torch::Tensor& bboxes,
                        const torch::Tensor& gt_bboxes,
                        const torch::Tensor& gt_labels) const override;

 private:
  config::RandomSampler cfg_;
};

// PseudoSampler: every positive and every negative, no gts added.
class PseudoSampler : public BBoxSampler {
 public:
  SamplingResult Sample(AssignResult& assign, const torch::Tensor& bboxes,
                        const torch::Tensor& gt_bboxes,
                        const torch::Tensor& gt_labels) const override;
};

using BBoxSamplerRegistry = Registry<BBoxSampler, const std::string&>;
absl::StatusOr<std::shared_ptr<BBoxSampler>> BuildBBoxSampler(const config::Sampler& cfg,
                                                              const std::string& path);

// --------------------------------------------------------------------------- box helpers

// bbox2roi: per-image boxes -> rois [sum n_i, 5] = (image index, x1, y1, x2, y2).
torch::Tensor Bbox2Roi(const std::vector<torch::Tensor>& bbox_list);
// roi2bbox: rois -> per-image boxes (the columns after the image index).
std::vector<torch::Tensor> Roi2Bbox(const torch::Tensor& rois, int64_t num_images);
// bbox2result: detections [n, 5] and labels [n] -> one [k, 5] float tensor per class (CPU).
std::vector<torch::Tensor> Bbox2Result(const torch::Tensor& dets, const torch::Tensor& labels,
                                       int64_t num_classes);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_TASK_MODULES_TASK_MODULES_H_
