// MMDetection v2's RandomSampler (mmdet/core/bbox/samplers/random_sampler.py), registered for
// config::RandomSampler in BBoxSamplerRegistry.
#ifndef MMDET_MODELS_TASK_MODULES_SAMPLERS_RANDOM_SAMPLER_H_
#define MMDET_MODELS_TASK_MODULES_SAMPLERS_RANDOM_SAMPLER_H_

#include "mmdet/models/task_modules/assigners/assigner.h"
#include "mmdet/models/task_modules/samplers/random_sampler.pb.h"
#include "mmdet/models/task_modules/samplers/sampler.h"
#include "torch/types.h"

namespace mmdet::models {

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

}  // namespace mmdet::models

#endif  // MMDET_MODELS_TASK_MODULES_SAMPLERS_RANDOM_SAMPLER_H_
