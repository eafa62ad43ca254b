// MMDetection v2's MaxIoUAssigner (mmdet/core/bbox/assigners/max_iou_assigner.py), registered
// for config::MaxIoUAssigner in AssignerRegistry.
#ifndef MMDET_MODELS_TASK_MODULES_ASSIGNERS_MAX_IOU_ASSIGNER_H_
#define MMDET_MODELS_TASK_MODULES_ASSIGNERS_MAX_IOU_ASSIGNER_H_

#include "mmdet/models/task_modules/assigners/assigner.h"
#include "mmdet/models/task_modules/assigners/max_iou_assigner.pb.h"
#include "torch/types.h"

namespace mmdet::models {

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

}  // namespace mmdet::models

#endif  // MMDET_MODELS_TASK_MODULES_ASSIGNERS_MAX_IOU_ASSIGNER_H_
