// Box/RoI conversions: MMDetection v2's mmdet/core/bbox/transforms.py (bbox2roi, roi2bbox,
// bbox2result, bbox_flip, bbox_mapping, bbox_mapping_back).
#ifndef MMDET_MODELS_TASK_MODULES_BBOX_TRANSFORMS_H_
#define MMDET_MODELS_TASK_MODULES_BBOX_TRANSFORMS_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "torch/types.h"

namespace mmdet::models {

// bbox2roi: per-image boxes -> rois [sum n_i, 5] = (image index, x1, y1, x2, y2).
torch::Tensor Bbox2Roi(const std::vector<torch::Tensor>& bbox_list);
// roi2bbox: rois -> per-image boxes (the columns after the image index).
std::vector<torch::Tensor> Roi2Bbox(const torch::Tensor& rois, int64_t num_images);
// bbox2result: detections [n, 5] and labels [n] -> one [k, 5] float tensor per class (CPU).
std::vector<torch::Tensor> Bbox2Result(const torch::Tensor& dets, const torch::Tensor& labels,
                                       int64_t num_classes);

// bbox_flip (v2.0, no +1): boxes [..., 4k] mirrored in an image of img_shape (h, w, ...):
// "horizontal" x -> w - x (x1 and x2 swap), "vertical" y -> h - y.
torch::Tensor BboxFlip(const torch::Tensor& bboxes, const std::array<int64_t, 3>& img_shape,
                       const std::string& direction);
// bbox_mapping: original-image boxes [n, 4] -> a test view's frame (scaled, then flipped).
torch::Tensor BboxMapping(const torch::Tensor& bboxes, const std::array<int64_t, 3>& img_shape,
                          const std::array<float, 4>& scale_factor, bool flip,
                          const std::string& direction);
// bbox_mapping_back: a view's boxes [n, 4k] -> the original image (unflipped, then unscaled).
torch::Tensor BboxMappingBack(const torch::Tensor& bboxes, const std::array<int64_t, 3>& img_shape,
                              const std::array<float, 4>& scale_factor, bool flip,
                              const std::string& direction);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_TASK_MODULES_BBOX_TRANSFORMS_H_
