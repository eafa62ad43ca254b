#include "mmdet/models/roi_heads/bbox_heads/convfc_bbox_head.h"

#include "absl/strings/str_cat.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/layers/flops.h"
#include "torch/nn/init.h"
#include "torch/nn/modules/container/modulelist.h"
#include "torch/nn/modules/linear.h"

namespace mmdet::models {

namespace nn = torch::nn;

absl::StatusOr<std::shared_ptr<BBoxHeadImpl>> ConvFCBBoxHeadImpl::Create(
    const config::ConvFCBBoxHead& cfg, const std::string& path) {
  if (cfg.num_shared_convs() < 0 || cfg.num_shared_fcs() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": num_shared_convs and num_shared_fcs must be >= 0"));
  }
  for (int32_t v : {cfg.in_channels(), cfg.conv_out_channels(), cfg.fc_out_channels(),
                    cfg.roi_feat_size()}) {
    if (v < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": in_channels, conv_out_channels, fc_out_channels and roi_feat_size must be "
                ">= 1"));
    }
  }
  MMDET_ASSIGN_OR_RETURN(BBoxHeadParts parts, BuildBBoxHeadParts(cfg, path));
  std::shared_ptr<ConvFCBBoxHeadImpl> head(new ConvFCBBoxHeadImpl(std::move(parts)));
  nn::ModuleList convs, fcs;
  int64_t channels = cfg.in_channels();
  for (int i = 0; i < cfg.num_shared_convs(); ++i) {
    ConvModuleOptions o;
    o.in_channels = channels;
    o.out_channels = cfg.conv_out_channels();
    o.kernel_size = 3;
    o.padding = 1;
    if (cfg.has_norm_cfg()) o.norm_cfg = cfg.norm_cfg();
    MMDET_ASSIGN_OR_RETURN(auto conv, ConvModuleImpl::Create(o));
    convs->push_back(conv);
    head->convs_.push_back(conv);
    channels = cfg.conv_out_channels();
  }
  // As MMDetection: the RoI features are flattened before the first fc (or before fc_cls
  // and fc_reg when there is none).
  int64_t last = channels * cfg.roi_feat_size() * cfg.roi_feat_size();
  for (int i = 0; i < cfg.num_shared_fcs(); ++i) {
    nn::Linear fc(last, cfg.fc_out_channels());
    fcs->push_back(fc);
    head->fcs_.push_back(fc);
    last = cfg.fc_out_channels();
  }
  head->register_module("shared_convs", convs);
  head->register_module("shared_fcs", fcs);
  head->fc_cls_ = head->register_module("fc_cls", nn::Linear(last, cfg.num_classes() + 1));
  head->fc_reg_ = head->register_module(
      "fc_reg", nn::Linear(last, cfg.reg_class_agnostic() ? 4 : 4 * int64_t{cfg.num_classes()}));
  // init_weights: BBoxHead's normal(0.01) / normal(0.001) for fc_cls / fc_reg, xavier
  // (uniform) with zero bias for the shared fcs; the ConvModules keep their kaiming init.
  NormalInit(head->fc_cls_, 0.01);
  NormalInit(head->fc_reg_, 0.001);
  torch::NoGradGuard no_grad;
  for (nn::Linear& fc : head->fcs_) {
    nn::init::xavier_uniform_(fc->weight);
    fc->bias.zero_();
  }
  return std::shared_ptr<BBoxHeadImpl>(head);
}

std::pair<torch::Tensor, torch::Tensor> ConvFCBBoxHeadImpl::forward(
    const torch::Tensor& roi_feats) {
  torch::Tensor x = roi_feats;
  for (auto& conv : convs_) x = conv->forward(x);
  x = x.flatten(1);
  // nn.ReLU(inplace=True) on each fc's fresh output (Linear's backward does not need it).
  for (nn::Linear& fc : fcs_) x = CountedReluInPlace(this, Counted(fc, x));
  return {Counted(fc_cls_, x), Counted(fc_reg_, x)};
}

MMDET_REGISTER(BBoxHeadRegistry, config::ConvFCBBoxHead, ConvFCBBoxHeadImpl::Create);

}  // namespace mmdet::models
