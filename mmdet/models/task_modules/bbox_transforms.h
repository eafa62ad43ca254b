// Box/RoI conversions: MMDetection v2's mmdet/core/bbox/transforms.py (bbox2roi, roi2bbox,
// bbox2result).
#ifndef MMDET_MODELS_TASK_MODULES_BBOX_TRANSFORMS_H_
#define MMDET_MODELS_TASK_MODULES_BBOX_TRANSFORMS_H_

#include <cstdint>
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

}  // namespace mmdet::models

#endif  // MMDET_MODELS_TASK_MODULES_BBOX_TRANSFORMS_H_
