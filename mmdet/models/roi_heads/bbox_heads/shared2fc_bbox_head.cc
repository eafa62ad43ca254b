#include "mmdet/models/roi_heads/bbox_heads/shared2fc_bbox_head.h"

#include "mmdet/core/status_macros.h"
#include "mmdet/models/layers/layers.h"
#include "mmdet/models/layers/flops.h"

namespace mmdet::models {

namespace nn = torch::nn;

Shared2FCBBoxHeadImpl::Shared2FCBBoxHeadImpl(const config::Shared2FCBBoxHead& cfg,
                                             BBoxHeadParts parts)
    : BBoxHeadImpl(std::move(parts)) {
  const int64_t in = int64_t{cfg.in_channels()} * cfg.roi_feat_size() * cfg.roi_feat_size();
  nn::ModuleList shared;
  fc1_ = nn::Linear(in, cfg.fc_out_channels());
  fc2_ = nn::Linear(cfg.fc_out_channels(), cfg.fc_out_channels());
  shared->push_back(fc1_);
  shared->push_back(fc2_);
  register_module("shared_fcs", shared);
  fc_cls_ = register_module("fc_cls", nn::Linear(cfg.fc_out_channels(), cfg.num_classes() + 1));
  fc_reg_ = register_module(
      "fc_reg", nn::Linear(cfg.fc_out_channels(),
                           cfg.reg_class_agnostic() ? 4 : 4 * int64_t{cfg.num_classes()}));
  NormalInit(fc_cls_, 0.01);
  NormalInit(fc_reg_, 0.001);
  torch::NoGradGuard no_grad;
  for (nn::Linear* fc : {&fc1_, &fc2_}) {
    nn::init::xavier_uniform_((*fc)->weight);
    (*fc)->bias.zero_();
  }
}

std::pair<torch::Tensor, torch::Tensor> Shared2FCBBoxHeadImpl::forward(
    const torch::Tensor& roi_feats) {
  torch::Tensor x = roi_feats.flatten(1);
  x = CountedRelu(this, Counted(fc1_, x));
  x = CountedRelu(this, Counted(fc2_, x));
  return {Counted(fc_cls_, x), Counted(fc_reg_, x)};
}

absl::StatusOr<std::shared_ptr<BBoxHeadImpl>> Shared2FCBBoxHeadFromConfig(
    const config::Shared2FCBBoxHead& cfg, const std::string& path) {
  MMDET_ASSIGN_OR_RETURN(BBoxHeadParts parts, BuildBBoxHeadParts(cfg, path));
  return std::shared_ptr<BBoxHeadImpl>(
      std::make_shared<Shared2FCBBoxHeadImpl>(cfg, std::move(parts)));
}

MMDET_REGISTER(BBoxHeadRegistry, config::Shared2FCBBoxHead, Shared2FCBBoxHeadFromConfig);

}  // namespace mmdet::models
