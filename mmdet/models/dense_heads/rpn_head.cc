#include "mmdet/models/dense_heads/rpn_head.h"

#include <utility>

#include "mmdet/core/status_macros.h"
#include "mmdet/models/layers/layers.h"
#include "mmdet/models/layers/flops.h"

namespace mmdet::models {

namespace nn = torch::nn;

RPNHeadImpl::RPNHeadImpl(AnchorHeadParts parts, int64_t in_channels, int64_t feat_channels)
    : AnchorHeadImpl(std::move(parts), "loss_rpn_") {
  const int64_t a = num_anchors();
  rpn_conv_ = register_module(
      "rpn_conv", nn::Conv2d(nn::Conv2dOptions(in_channels, feat_channels, 3).padding(1)));
  rpn_cls_ = register_module(
      "rpn_cls", nn::Conv2d(nn::Conv2dOptions(feat_channels, a * cls_out_channels_, 1)));
  rpn_reg_ = register_module("rpn_reg", nn::Conv2d(nn::Conv2dOptions(feat_channels, a * 4, 1)));
  NormalInit(rpn_conv_, 0.01);
  NormalInit(rpn_cls_, 0.01);
  NormalInit(rpn_reg_, 0.01);
}

DenseOutputs RPNHeadImpl::forward(const std::vector<torch::Tensor>& feats) {
  DenseOutputs out;
  for (const auto& x : feats) {
    // F.relu(x, inplace=True) on the conv's fresh output (functional: not counted).
    const torch::Tensor y = ConvSumRelu(rpn_conv_, fast_[0], x, {}, true);
    out.cls_scores.push_back(ConvSumRelu(rpn_cls_, fast_[1], y, {}, false));
    out.bbox_preds.push_back(ConvSumRelu(rpn_reg_, fast_[2], y, {}, false));
  }
  return out;
}

absl::StatusOr<std::shared_ptr<DenseHeadImpl>> RPNHeadFromConfig(const config::RPNHead& cfg,
                                                                 const std::string& path) {
  MMDET_ASSIGN_OR_RETURN(
      AnchorHeadParts parts,
      BuildAnchorHeadParts(
          cfg, path, 1,
          "anchor_generator { strides: [4, 8, 16, 32, 64] ratios: [0.5, 1.0, 2.0] "
          "scales: [8, 16, 32] }",
          "cross_entropy_loss { use_sigmoid: true loss_weight: 1.0 }",
          "smooth_l1_loss { beta: 0.1111111111111111 loss_weight: 1.0 }"));
  return std::shared_ptr<DenseHeadImpl>(
      std::make_shared<RPNHeadImpl>(std::move(parts), cfg.in_channels(), cfg.feat_channels()));
}

MMDET_REGISTER(DenseHeadRegistry, config::RPNHead, RPNHeadFromConfig);

}  // namespace mmdet::models
