// What flows through a data pipeline: MMDetection's `results` dict as a struct.
//
// A dataset fills img_info/ann_info/prefixes; LoadImageFromFile and LoadAnnotations turn them
// into an image and ground truth; geometric transforms keep boxes, masks and maps in step with
// the image and record what they did in `meta`; DefaultFormatBundle / ImageToTensor make
// tensors; Collect keeps the requested keys. Field names are MMDetection's.
#ifndef MMDET_DATASETS_PIPELINES_RESULTS_H_
#define MMDET_DATASETS_PIPELINES_RESULTS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "mmdet/datasets/ann_info.h"
#include "opencv2/core.hpp"
#include "torch/types.h"

namespace mmdet::datasets {

struct NormConfig {
  std::array<float, 3> mean{0, 0, 0};
  std::array<float, 3> std{1, 1, 1};
  bool to_rgb = false;
};

// The image meta MMDetection's Collect keeps by default (its meta_keys), with its meanings:
// shapes are (h, w, c); scale_factor is [w_scale, h_scale, w_scale, h_scale].
struct ImageMeta {
  std::string filename;      // img_prefix + img_info.filename
  std::string ori_filename;  // img_info.filename
  std::array<int64_t, 3> ori_shape{0, 0, 0};
  std::array<int64_t, 3> img_shape{0, 0, 0};
  std::array<int64_t, 3> pad_shape{0, 0, 0};
  std::array<float, 4> scale_factor{1, 1, 1, 1};
  bool flip = false;
  std::string flip_direction;  // "" (None), "horizontal" or "vertical"
  NormConfig img_norm_cfg;
  // Set by the loader: the padded batch's (h, w).
  std::array<int64_t, 2> batch_input_shape{0, 0};
};

struct Results {
  // From the dataset.
  ImageInfo img_info;
  AnnInfo ann_info;
  bool has_ann_info = false;  // false in test mode
  std::string img_prefix;
  std::string seg_prefix;
  // Precomputed proposals (proposal_file) as MMDetection's LoadProposals leaves them: boxes
  // only (scores dropped), [[0, 0, 0, 0]] when none; a bbox field, so geometric transforms
  // move them with the image.
  std::optional<std::vector<Box>> proposals;

  ImageMeta meta;
  cv::Mat img;  // H x W x C, BGR unless Normalize converted it

  // Ground truth; the flags say which keys exist (MMDetection's bbox/mask/seg_fields).
  bool has_gt_bboxes = false, has_gt_labels = false, has_gt_bboxes_ignore = false;
  bool has_gt_masks = false, has_gt_semantic_seg = false;
  std::vector<Box> gt_bboxes;
  std::vector<int64_t> gt_labels;
  std::vector<Box> gt_bboxes_ignore;
  std::vector<cv::Mat> gt_masks;  // CV_8U 0/1, image-sized, parallel to gt_bboxes
  cv::Mat gt_semantic_seg;        // CV_8U, image-sized

  // Set by MultiScaleFlipAug for the transforms it runs: (w, h) and the flip decision.
  std::optional<std::array<int, 2>> scale;
  std::optional<bool> flip;
  bool keep_ratio = false;

  // Tensors (DefaultFormatBundle, ImageToTensor).
  torch::Tensor img_tensor;            // C x H x W
  torch::Tensor gt_bboxes_tensor;      // N x 4 float
  torch::Tensor gt_labels_tensor;      // N int64
  torch::Tensor gt_bboxes_ignore_tensor;
  torch::Tensor gt_masks_tensor;       // N x H x W uint8
  torch::Tensor gt_semantic_seg_tensor;  // 1 x H x W uint8
  torch::Tensor proposals_tensor;      // N x 4 float

  // Set by Collect: the keys and meta keys kept.
  std::vector<std::string> keys;
  std::vector<std::string> meta_keys;
};

// The randomness of one sample: seeded per (seed, epoch, index) by the loader, so a sample
// is the same whichever worker thread builds it.
using Rng = std::mt19937_64;

// numpy-like draws: uniform real in [lo, hi), integer in [lo, hi).
double Uniform(Rng& rng, double lo, double hi);
int64_t RandInt(Rng& rng, int64_t lo, int64_t hi);

}  // namespace mmdet::datasets

#endif  // MMDET_DATASETS_PIPELINES_RESULTS_H_
