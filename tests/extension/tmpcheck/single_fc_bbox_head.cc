#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "mmdet/core/registry.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/layers/layers.h"
#include "mmdet/models/roi_heads/bbox_heads/bbox_head.h"
#include "tests/extension/tmpcheck/single_fc_bbox_head.pb.h"

namespace my {
namespace {

namespace nn = torch::nn;
using mmdet::models::BBoxHeadImpl;
using mmdet::models::BBoxHeadParts;

class SingleFCBBoxHeadImpl : public BBoxHeadImpl {
 public:
  SingleFCBBoxHeadImpl(const SingleFCBBoxHead& cfg, BBoxHeadParts parts)
      : BBoxHeadImpl(std::move(parts)) {
    const int64_t in = int64_t{cfg.in_channels()} * cfg.roi_feat_size() * cfg.roi_feat_size();
    fc_ = register_module("shared_fc", nn::Linear(in, cfg.fc_out_channels()));
    fc_cls_ = register_module("fc_cls", nn::Linear(cfg.fc_out_channels(), num_classes() + 1));
    fc_reg_ = register_module(
        "fc_reg", nn::Linear(cfg.fc_out_channels(), cfg.reg_class_agnostic() ? 4 : 4 * num_classes()));
    mmdet::models::NormalInit(fc_cls_, 0.01);
    mmdet::models::NormalInit(fc_reg_, 0.001);
  }

  // [K, C, s, s] -> class scores [K, num_classes + 1], deltas [K, 4 * num_classes] (or [K, 4]).
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& roi_feats) override {
    const torch::Tensor x = torch::relu(fc_->forward(roi_feats.flatten(1)));
    return {fc_cls_->forward(x), fc_reg_->forward(x)};
  }

 private:
  nn::Linear fc_{nullptr}, fc_cls_{nullptr}, fc_reg_{nullptr};
};

absl::StatusOr<std::shared_ptr<BBoxHeadImpl>> SingleFCBBoxHeadFromConfig(
    const SingleFCBBoxHead& cfg, const std::string& path) {
  // num_classes, reg_class_agnostic, roi_feat_size, the coder and the losses, with BBoxHead's
  // defaults; errors name `path`.
  MMDET_ASSIGN_OR_RETURN(BBoxHeadParts parts, mmdet::models::BuildBBoxHeadParts(cfg, path));
  return std::shared_ptr<BBoxHeadImpl>(
      std::make_shared<SingleFCBBoxHeadImpl>(cfg, std::move(parts)));
}

}  // namespace

MMDET_REGISTER(mmdet::models::BBoxHeadRegistry, SingleFCBBoxHead, SingleFCBBoxHeadFromConfig);

}  // namespace my
