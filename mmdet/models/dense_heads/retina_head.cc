#include "mmdet/models/dense_heads/retina_head.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "mmdet/core/status.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/layers/flops.h"
#include "torch/nn/modules/container/modulelist.h"
#include "torch/nn/modules/conv.h"

namespace mmdet::models {

namespace nn = torch::nn;

absl::StatusOr<std::shared_ptr<RetinaHeadImpl>> RetinaHeadImpl::Create(
    AnchorHeadParts parts, const config::RetinaHead& cfg, const std::string& path) {
  std::shared_ptr<RetinaHeadImpl> head(new RetinaHeadImpl(std::move(parts)));
  nn::ModuleList cls_convs, reg_convs;
  for (int i = 0; i < cfg.stacked_convs(); ++i) {
    ConvModuleOptions o;
    o.in_channels = i == 0 ? cfg.in_channels() : cfg.feat_channels();
    o.out_channels = cfg.feat_channels();
    o.kernel_size = 3;
    o.padding = 1;
    for (auto* tower : {&head->cls_convs_, &head->reg_convs_}) {
      auto conv = ConvModuleImpl::Create(o);
      if (!conv.ok()) return Annotate(conv.status(), path);
      NormalInit((*conv)->conv(), 0.01);
      tower->push_back(*conv);
    }
    cls_convs->push_back(head->cls_convs_.back());
    reg_convs->push_back(head->reg_convs_.back());
  }
  head->register_module("cls_convs", cls_convs);
  head->register_module("reg_convs", reg_convs);
  const int64_t a = head->num_anchors();
  head->retina_cls_ = head->register_module(
      "retina_cls", nn::Conv2d(nn::Conv2dOptions(cfg.feat_channels(),
                                                 a * head->cls_out_channels_, 3)
                                   .padding(1)));
  head->retina_reg_ = head->register_module(
      "retina_reg", nn::Conv2d(nn::Conv2dOptions(cfg.feat_channels(), a * 4, 3).padding(1)));
  NormalInit(head->retina_cls_, 0.01, BiasInitWithProb(0.01));
  NormalInit(head->retina_reg_, 0.01);
  return head;
}


DenseOutputs RetinaHeadImpl::forward(const std::vector<torch::Tensor>& feats) {
  DenseOutputs out;
  for (const auto& x : feats) {
    torch::Tensor c = x, r = x;
    for (auto& conv : cls_convs_) c = conv->forward(c);
    for (auto& conv : reg_convs_) r = conv->forward(r);
    out.cls_scores.push_back(ConvSumRelu(retina_cls_, fast_[0], c, {}, false));
    out.bbox_preds.push_back(ConvSumRelu(retina_reg_, fast_[1], r, {}, false));
  }
  return out;
}


absl::StatusOr<std::shared_ptr<DenseHeadImpl>> RetinaHeadFromConfig(const config::RetinaHead& cfg,
                                                                    const std::string& path) {
  if (cfg.num_classes() < 1) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".num_classes: must be >= 1"));
  }
  MMDET_ASSIGN_OR_RETURN(
      AnchorHeadParts parts,
      BuildAnchorHeadParts(cfg, path, cfg.num_classes(),
                           "anchor_generator { strides: [8, 16, 32, 64, 128] ratios: [0.5, 1.0, 2.0] "
                           "octave_base_scale: 4 scales_per_octave: 3 }",
                           "focal_loss { use_sigmoid: true gamma: 2.0 alpha: 0.25 }", "l1_loss {}"));
  parts.sampling = !(cfg.has_loss_cls() ? cfg.loss_cls().has_focal_loss() : true);
  MMDET_ASSIGN_OR_RETURN(auto head, RetinaHeadImpl::Create(std::move(parts), cfg, path));
  return std::shared_ptr<DenseHeadImpl>(std::move(head));
}

MMDET_REGISTER(DenseHeadRegistry, config::RetinaHead, RetinaHeadFromConfig);

}  // namespace mmdet::models
