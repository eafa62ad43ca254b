// MMDetection v2's PseudoSampler (mmdet/core/bbox/samplers/pseudo_sampler.py), registered for
// config::PseudoSampler in BBoxSamplerRegistry.
#ifndef MMDET_MODELS_TASK_MODULES_SAMPLERS_PSEUDO_SAMPLER_H_
#define MMDET_MODELS_TASK_MODULES_SAMPLERS_PSEUDO_SAMPLER_H_

#include "mmdet/models/task_modules/assigners/assigner.h"
#include "mmdet/models/task_modules/samplers/sampler.h"
#include "torch/types.h"

namespace mmdet::models {

// PseudoSampler: every positive and every negative, no gts added.
class PseudoSampler : public BBoxSampler {
 public:
  SamplingResult Sample(AssignResult& assign, const torch::Tensor& bboxes,
                        const torch::Tensor& gt_bboxes,
                        const torch::Tensor& gt_labels) const override;
};

}  // namespace mmdet::models

#endif  // MMDET_MODELS_TASK_MODULES_SAMPLERS_PSEUDO_SAMPLER_H_
