// The mask-head interface and registry (MMDetection v2's roi_heads/mask_heads). FCNMaskHead
// (fcn_mask_head.h) implements mask targets, the loss and the pasting of masks into the
// image with v2.0's semantics; a new mask head usually subclasses FCNMaskHeadImpl and
// overrides forward() (as MMDetection's mask heads subclass FCNMaskHead), or implements this
// interface whole, and registers its factory:
//
//   MMDET_REGISTER(MaskHeadRegistry, config::MyMaskHead, MyMaskHeadFromConfig);
#ifndef MMDET_MODELS_ROI_HEADS_MASK_HEADS_MASK_HEAD_H_
#define MMDET_MODELS_ROI_HEADS_MASK_HEADS_MASK_HEAD_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/core/registry.h"
#include "mmdet/models/roi_heads/mask_heads/mask_head.pb.h"
#include "mmdet/models/task_modules/samplers/sampler.h"
#include "torch/nn/module.h"

namespace mmdet::models {

class MaskHeadImpl : public torch::nn::Module {
 public:
  // RoI features [K, C, s, s] -> mask logits [K, num_classes (or 1), m, m].
  virtual torch::Tensor forward(const torch::Tensor& roi_feats) = 0;
  // Foreground classes.
  virtual int64_t num_classes() const = 0;
  // mask_target: [sum of positives, mask_size, mask_size] in {0, 1}.
  virtual torch::Tensor GetTargets(const std::vector<SamplingResult>& results,
                                   const std::vector<torch::Tensor>& gt_masks,
                                   int64_t mask_size) const = 0;
  // loss_mask of the positives' predictions against their targets and labels.
  virtual torch::Tensor Loss(const torch::Tensor& mask_pred, const torch::Tensor& targets,
                             const torch::Tensor& labels) const = 0;
  // get_seg_masks: per class, the binary masks [img_h, img_w] of the detections `boxes`
  // (already in the frame of the image to paste into), from the sigmoid probabilities
  // [n, C or 1, s, s] of the mask predictions (averaged over views in test-time augmentation).
  virtual std::vector<std::vector<torch::Tensor>> GetSegMasks(const torch::Tensor& mask_probs,
                                                              const torch::Tensor& boxes,
                                                              const torch::Tensor& labels,
                                                              int64_t img_h, int64_t img_w,
                                                              double threshold) const = 0;
};

// Factories take the config member's path ("...mask_head.fcn_mask_head").
using MaskHeadRegistry = Registry<MaskHeadImpl, const std::string&>;
absl::StatusOr<std::shared_ptr<MaskHeadImpl>> BuildMaskHead(const config::MaskHead& cfg,
                                                            const std::string& path);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_ROI_HEADS_MASK_HEADS_MASK_HEAD_H_
