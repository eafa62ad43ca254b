// Values passed between detector parts.
#ifndef MMDET_MODELS_MODEL_TYPES_H_
#define MMDET_MODELS_MODEL_TYPES_H_

#include <string>
#include <utility>
#include <vector>

#include "mmdet/datasets/pipelines/results.h"
#include "torch/types.h"

namespace mmdet::models {

using datasets::ImageMeta;

// Named losses in MMDetection's order and names ("loss_rpn_cls", "loss_cls", "acc", ...).
// Per-level losses are already summed, as MMDetection's parse_losses logs them.
using LossMap = std::vector<std::pair<std::string, torch::Tensor>>;

// One image's detections: dets [n, 5] (x1, y1, x2, y2, score), labels [n] int64.
struct Detections {
  torch::Tensor dets;
  torch::Tensor labels;
};

// One image's test output in MMDetection's result format: per class, the [k, 5] boxes
// (bbox2result) and, for Mask R-CNN, the k binary masks [H, W] of the original image.
struct ImageResult {
  std::vector<torch::Tensor> bboxes;
  std::vector<std::vector<torch::Tensor>> masks;  // empty without a mask head
};

// Ground truth of a batch, one tensor per image (as the loader's Batch holds them).
struct GroundTruth {
  std::vector<torch::Tensor> bboxes;          // [n_i, 4]
  std::vector<torch::Tensor> labels;          // [n_i] int64
  std::vector<torch::Tensor> bboxes_ignore;   // [m_i, 4]; may be empty (none)
  std::vector<torch::Tensor> masks;           // [n_i, H, W] uint8; may be empty
};

}  // namespace mmdet::models

#endif  // MMDET_MODELS_MODEL_TYPES_H_
