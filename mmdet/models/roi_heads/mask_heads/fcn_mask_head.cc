#include "mmdet/models/roi_heads/mask_heads/fcn_mask_head.h"

#include <utility>

#include "mmdet/core/status.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/layers/flops.h"
#include "mmdet/ops/mask_util.h"
#include "mmdet/ops/roi_align.h"
#include "torch/nn/init.h"
#include "torch/nn/modules/container/modulelist.h"
#include "torch/nn/modules/conv.h"

namespace mmdet::models {

namespace nn = torch::nn;

absl::StatusOr<std::shared_ptr<FCNMaskHeadImpl>> FCNMaskHeadImpl::Create(
    const config::FCNMaskHead& cfg, const std::string& path) {
  std::shared_ptr<FCNMaskHeadImpl> head(new FCNMaskHeadImpl);
  MMDET_RETURN_IF_ERROR(head->Init(cfg, path));
  return head;
}

absl::Status FCNMaskHeadImpl::Init(const config::FCNMaskHead& cfg, const std::string& path) {
  FCNMaskHeadImpl* head = this;
  head->cfg_ = cfg;
  const config::Loss loss_cfg = ConfigOrDefault(
      cfg.has_loss_mask(), cfg.loss_mask(), "cross_entropy_loss { use_mask: true loss_weight: 1.0 }");
  MMDET_ASSIGN_OR_RETURN(head->loss_mask_, BuildLoss(loss_cfg, path + ".loss_mask"));
  nn::ModuleList convs;
  for (int i = 0; i < cfg.num_convs(); ++i) {
    ConvModuleOptions o;
    o.in_channels = i == 0 ? cfg.in_channels() : cfg.conv_out_channels();
    o.out_channels = cfg.conv_out_channels();
    o.kernel_size = cfg.conv_kernel_size();
    o.padding = (cfg.conv_kernel_size() - 1) / 2;
    auto conv = ConvModuleImpl::Create(o);
    if (!conv.ok()) return Annotate(conv.status(), path);
    convs->push_back(*conv);
    head->convs_.push_back(*conv);
  }
  head->register_module("convs", convs);
  const int64_t up_in = cfg.num_convs() > 0 ? cfg.conv_out_channels() : cfg.in_channels();
  head->upsample_ = head->register_module(
      "upsample", nn::ConvTranspose2d(
                      nn::ConvTranspose2dOptions(up_in, cfg.conv_out_channels(), 2).stride(2)));
  head->conv_logits_ = head->register_module(
      "conv_logits", nn::Conv2d(nn::Conv2dOptions(cfg.conv_out_channels(),
                                                  cfg.class_agnostic() ? 1 : cfg.num_classes(), 1)));
  torch::NoGradGuard no_grad;
  nn::init::kaiming_normal_(head->upsample_->weight, 0, torch::kFanOut, torch::kReLU);
  head->upsample_->bias.zero_();
  nn::init::kaiming_normal_(head->conv_logits_->weight, 0, torch::kFanOut, torch::kReLU);
  head->conv_logits_->bias.zero_();
  return absl::OkStatus();
}


torch::Tensor FCNMaskHeadImpl::forward(const torch::Tensor& feats) {
  torch::Tensor x = feats;
  for (auto& conv : convs_) x = conv->forward(x);
  return ConvSumRelu(conv_logits_, fast_logits_, CountedRelu(this, Counted(upsample_, x)), {},
                     false);
}


// mask_target: each positive's gt mask RoIAligned (aligned, 1 sample grid = adaptive) to
// mask_size at its proposal (clipped to the mask), thresholded at 0.5.
torch::Tensor FCNMaskHeadImpl::GetTargets(const std::vector<SamplingResult>& results,
                                          const std::vector<torch::Tensor>& gt_masks,
                                          int64_t mask_size) const {
  std::vector<torch::Tensor> targets;
  for (size_t i = 0; i < results.size(); ++i) {
    const SamplingResult& s = results[i];
    const int64_t num_pos = s.pos_bboxes.size(0);
    if (num_pos == 0) {
      targets.push_back(torch::zeros({0, mask_size, mask_size}, s.pos_bboxes.options()));
      continue;
    }
    const torch::Tensor masks = gt_masks[i];
    const double h = masks.size(1), w = masks.size(2);
    torch::Tensor boxes = s.pos_bboxes.clone();
    boxes.select(1, 0).clamp_(0, w);
    boxes.select(1, 2).clamp_(0, w);
    boxes.select(1, 1).clamp_(0, h);
    boxes.select(1, 3).clamp_(0, h);
    const torch::Tensor rois = torch::cat(
        {torch::arange(num_pos, boxes.options()).unsqueeze(1), boxes}, 1);
    const torch::Tensor selected = masks.to(boxes.device())
                                       .index_select(0, s.pos_assigned_gt_inds)
                                       .to(boxes.dtype())
                                       .unsqueeze(1);
    const torch::Tensor aligned =
        ops::RoiAlign(selected, rois, 1.0, mask_size, mask_size, 0, true).squeeze(1);
    targets.push_back((aligned >= 0.5).to(boxes.dtype()));
  }
  return torch::cat(targets);
}


torch::Tensor FCNMaskHeadImpl::Loss(const torch::Tensor& mask_pred, const torch::Tensor& targets,
                                    const torch::Tensor& labels) const {
  if (mask_pred.size(0) == 0) return mask_pred.sum() * 0;
  const torch::Tensor l = cfg_.class_agnostic() ? torch::zeros_like(labels) : labels;
  return loss_mask_->Compute(mask_pred, targets, l).squeeze();
}


// get_seg_masks: per class, the binary masks [img_h, img_w] of the detections.
std::vector<std::vector<torch::Tensor>> FCNMaskHeadImpl::GetSegMasks(
    const torch::Tensor& mask_probs, const torch::Tensor& boxes, const torch::Tensor& labels,
    int64_t img_h, int64_t img_w, double threshold) const {
  std::vector<std::vector<torch::Tensor>> per_class(cfg_.num_classes());
  const int64_t n = mask_probs.size(0);
  if (n == 0) return per_class;
  torch::Tensor probs = mask_probs;
  if (!cfg_.class_agnostic()) {
    probs = probs.index({torch::arange(n, labels.options()), labels});
  } else {
    probs = probs.select(1, 0);
  }
  const torch::Tensor pasted = ops::PasteMasks(probs, boxes, img_h, img_w, threshold).cpu();
  const torch::Tensor l = labels.cpu();
  for (int64_t i = 0; i < n; ++i) per_class[l[i].item<int64_t>()].push_back(pasted[i]);
  return per_class;
}


absl::StatusOr<std::shared_ptr<MaskHeadImpl>> FCNMaskHeadFromConfig(const config::FCNMaskHead& cfg,
                                                                   const std::string& path) {
  MMDET_ASSIGN_OR_RETURN(auto head, FCNMaskHeadImpl::Create(cfg, path));
  return std::shared_ptr<MaskHeadImpl>(std::move(head));
}

MMDET_REGISTER(MaskHeadRegistry, config::FCNMaskHead, FCNMaskHeadFromConfig);

}  // namespace mmdet::models
