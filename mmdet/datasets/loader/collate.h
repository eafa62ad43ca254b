// Collate: pipeline outputs -> one batch (mmcv's collate over MMDetection's DataContainers).
//
// img is stacked into B x C x H x W, each image zero-padded at the right and bottom to the
// largest height and width in the batch, and every meta gets batch_input_shape = (H, W), as
// MMDetection v2's detectors set it. Ground truth stays one tensor per image (gt_bboxes,
// gt_labels, gt_bboxes_ignore, gt_masks, proposals: DataContainer(stack=False)); the semantic
// map is stacked like img (B x 1 x H x W, padding 0). Only what each sample has (what Collect
// kept) is collated; the samples must agree on which keys they have.
#ifndef MMDET_DATASETS_LOADER_COLLATE_H_
#define MMDET_DATASETS_LOADER_COLLATE_H_

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/datasets/pipelines/results.h"
#include "torch/types.h"

namespace mmdet::datasets {

struct Batch {
  std::vector<size_t> indices;  // the dataset index of each image
  torch::Tensor img;            // B x C x H x W
  std::vector<ImageMeta> img_metas;
  std::vector<torch::Tensor> gt_bboxes;         // n_i x 4 float
  std::vector<torch::Tensor> gt_labels;         // n_i int64
  std::vector<torch::Tensor> gt_bboxes_ignore;  // m_i x 4 float
  std::vector<torch::Tensor> gt_masks;          // n_i x h_i x w_i uint8
  std::vector<torch::Tensor> proposals;         // p_i x 4 float
  torch::Tensor gt_semantic_seg;                // B x 1 x H x W uint8

  size_t size() const { return img_metas.size(); }
};

// Collates `samples` (one pipeline output per image; indices[i] is sample i's dataset index).
absl::StatusOr<Batch> Collate(std::vector<Results> samples, std::vector<size_t> indices);

// Zero-pads C x h x w tensors at the right/bottom to the largest h, w and stacks them.
torch::Tensor PadAndStack(const std::vector<torch::Tensor>& images);

}  // namespace mmdet::datasets

#endif  // MMDET_DATASETS_LOADER_COLLATE_H_
