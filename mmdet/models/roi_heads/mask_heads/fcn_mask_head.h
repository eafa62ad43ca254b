// FCNMaskHead (MMDetection v2.0's roi_heads/mask_heads/fcn_mask_head.py): num_convs
// ConvModules (convs.i.conv), a 2x deconv (upsample) and a 1x1 conv to one logit map per class
// (conv_logits). Mask targets are each positive's gt mask RoIAligned to mask_size at its
// proposal and thresholded at 0.5; the loss is the per-class mask BCE; test masks are pasted
// into the image (_do_paste_mask) and binarised at mask_thr_binary.
//
// Public for subclassing: a subclass calls Init() from its own factory (or builds its layers
// itself) and overrides forward().
#ifndef MMDET_MODELS_ROI_HEADS_MASK_HEADS_FCN_MASK_HEAD_H_
#define MMDET_MODELS_ROI_HEADS_MASK_HEADS_FCN_MASK_HEAD_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/models/layers/layers.h"
#include "mmdet/models/losses/loss.h"
#include "mmdet/models/roi_heads/mask_heads/fcn_mask_head.pb.h"
#include "mmdet/models/roi_heads/mask_heads/mask_head.h"

namespace mmdet::models {

class FCNMaskHeadImpl : public MaskHeadImpl {
 public:
  static absl::StatusOr<std::shared_ptr<FCNMaskHeadImpl>> Create(const config::FCNMaskHead& cfg,
                                                                 const std::string& path);

  torch::Tensor forward(const torch::Tensor& feats) override;
  int64_t num_classes() const override { return cfg_.num_classes(); }
  // mask_target: each positive's gt mask RoIAligned (aligned, 1 sample grid = adaptive) to
  // mask_size at its proposal (clipped to the mask), thresholded at 0.5.
  torch::Tensor GetTargets(const std::vector<SamplingResult>& results,
                           const std::vector<torch::Tensor>& gt_masks,
                           int64_t mask_size) const override;
  torch::Tensor Loss(const torch::Tensor& mask_pred, const torch::Tensor& targets,
                     const torch::Tensor& labels) const override;
  std::vector<std::vector<torch::Tensor>> GetSegMasks(const torch::Tensor& mask_probs,
                                                      const torch::Tensor& boxes,
                                                      const torch::Tensor& labels,
                                                      int64_t img_h, int64_t img_w,
                                                      double threshold) const override;

 protected:
  FCNMaskHeadImpl() = default;
  // Builds the loss and the layers of `cfg`; errors name `path`.
  absl::Status Init(const config::FCNMaskHead& cfg, const std::string& path);

  config::FCNMaskHead cfg_;
  std::shared_ptr<models::Loss> loss_mask_;
  std::vector<std::shared_ptr<ConvModuleImpl>> convs_;
  torch::nn::ConvTranspose2d upsample_{nullptr};
  torch::nn::Conv2d conv_logits_{nullptr};
  ops::OneDnnConv fast_logits_;  // its fused inference state (layers.h: ConvSumRelu)
};

}  // namespace mmdet::models

#endif  // MMDET_MODELS_ROI_HEADS_MASK_HEADS_FCN_MASK_HEAD_H_
