// LiteRetinaHead (docs/new_component.md, "A new dense head"): RetinaNet's head with one tower
// of 3x3 conv + ReLU layers shared by classification and regression, then 3x3 convs to the
// class scores (lite_cls) and box deltas (lite_reg) of each anchor. Anchors, targets, losses
// and detections are AnchorHead's.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "mmdet/core/registry.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/dense_heads/anchor_head.h"
#include "mmdet/models/layers/layers.h"
#include "tests/extension/lite_retina_head.pb.h"
#include "torch/nn/module.h"
#include "torch/nn/modules/container/sequential.h"
#include "torch/nn/modules/conv.h"

namespace mmdet_ext {
namespace {

namespace nn = torch::nn;
using mmdet::models::AnchorHeadImpl;
using mmdet::models::AnchorHeadParts;
using mmdet::models::DenseHeadImpl;
using mmdet::models::DenseOutputs;

class LiteRetinaHeadImpl : public AnchorHeadImpl {
 public:
  LiteRetinaHeadImpl(AnchorHeadParts parts, const LiteRetinaHead& cfg)
      : AnchorHeadImpl(std::move(parts), "loss_") {
    int64_t channels = cfg.in_channels();
    for (int i = 0; i < cfg.stacked_convs(); ++i) {
      mmdet::models::ConvModuleOptions o;
      o.in_channels = channels;
      o.out_channels = cfg.feat_channels();
      o.kernel_size = 3;
      o.padding = 1;
      auto conv = mmdet::models::ConvModuleImpl::Create(o).value();  // no norm: cannot fail
      mmdet::models::NormalInit(conv->conv(), 0.01);
      shared_convs_->push_back(conv);
      channels = cfg.feat_channels();
    }
    register_module("shared_convs", shared_convs_);
    // num_anchors() and cls_out_channels_ (num_classes, +1 for a softmax loss) are the base's.
    lite_cls_ = register_module(
        "lite_cls",
        nn::Conv2d(nn::Conv2dOptions(channels, num_anchors() * cls_out_channels_, 3).padding(1)));
    lite_reg_ = register_module(
        "lite_reg", nn::Conv2d(nn::Conv2dOptions(channels, num_anchors() * 4, 3).padding(1)));
    mmdet::models::NormalInit(lite_cls_, 0.01, mmdet::models::BiasInitWithProb(0.01));
    mmdet::models::NormalInit(lite_reg_, 0.01);
  }

  DenseOutputs forward(const std::vector<torch::Tensor>& feats) override {
    DenseOutputs out;
    for (const torch::Tensor& x : feats) {
      const torch::Tensor shared = shared_convs_->is_empty() ? x : shared_convs_->forward(x);
      out.cls_scores.push_back(lite_cls_->forward(shared));
      out.bbox_preds.push_back(lite_reg_->forward(shared));
    }
    return out;
  }

 private:
  nn::Sequential shared_convs_;
  nn::Conv2d lite_cls_{nullptr}, lite_reg_{nullptr};
};

absl::StatusOr<std::shared_ptr<DenseHeadImpl>> LiteRetinaHeadFromConfig(
    const LiteRetinaHead& cfg, const std::string& path) {
  if (cfg.num_classes() < 1) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".num_classes: must be >= 1"));
  }
  if (cfg.in_channels() < 1 || cfg.feat_channels() < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, cfg.in_channels() < 1 ? ".in_channels" : ".feat_channels",
                     ": must be >= 1"));
  }
  if (cfg.stacked_convs() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".stacked_convs: must be >= 0"));
  }
  // RetinaHead's defaults for the members left unset.
  MMDET_ASSIGN_OR_RETURN(
      AnchorHeadParts parts,
      mmdet::models::BuildAnchorHeadParts(
          cfg, path, cfg.num_classes(),
          "anchor_generator { strides: [8, 16, 32, 64, 128] ratios: [0.5, 1.0, 2.0] "
          "octave_base_scale: 4 scales_per_octave: 3 }",
          "focal_loss { use_sigmoid: true gamma: 2.0 alpha: 0.25 }", "l1_loss {}"));
  // As RetinaHead: with a focal loss every anchor is used (no sampling).
  parts.sampling = !(cfg.has_loss_cls() ? cfg.loss_cls().has_focal_loss() : true);
  return std::shared_ptr<DenseHeadImpl>(
      std::make_shared<LiteRetinaHeadImpl>(std::move(parts), cfg));
}

}  // namespace

MMDET_REGISTER(mmdet::models::DenseHeadRegistry, LiteRetinaHead, LiteRetinaHeadFromConfig);

}  // namespace mmdet_ext
