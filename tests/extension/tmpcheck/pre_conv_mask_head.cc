#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "mmdet/core/registry.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/roi_heads/mask_heads/fcn_mask_head.h"
#include "tests/extension/tmpcheck/pre_conv_mask_head.pb.h"

namespace my {
namespace {

class PreConvMaskHeadImpl : public mmdet::models::FCNMaskHeadImpl {
 public:
  static absl::StatusOr<std::shared_ptr<PreConvMaskHeadImpl>> Create(const PreConvMaskHead& cfg,
                                                                     const std::string& path) {
    std::shared_ptr<PreConvMaskHeadImpl> head(new PreConvMaskHeadImpl);
    // FCNMaskHead's layers and loss (convs, upsample, conv_logits, loss_mask).
    MMDET_RETURN_IF_ERROR(head->Init(cfg.fcn(), path + ".fcn"));
    const int64_t channels = cfg.fcn().in_channels();
    head->pre_conv_ = head->register_module(
        "pre_conv",
        torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, channels, 3).padding(1)));
    return head;
  }

  // Mask targets, the loss and the pasting of masks stay FCNMaskHead's.
  torch::Tensor forward(const torch::Tensor& feats) override {
    return FCNMaskHeadImpl::forward(torch::relu(pre_conv_->forward(feats)));
  }

 private:
  PreConvMaskHeadImpl() = default;
  torch::nn::Conv2d pre_conv_{nullptr};
};

absl::StatusOr<std::shared_ptr<mmdet::models::MaskHeadImpl>> PreConvMaskHeadFromConfig(
    const PreConvMaskHead& cfg, const std::string& path) {
  MMDET_ASSIGN_OR_RETURN(auto head, PreConvMaskHeadImpl::Create(cfg, path));
  return std::shared_ptr<mmdet::models::MaskHeadImpl>(std::move(head));
}

}  // namespace

MMDET_REGISTER(mmdet::models::MaskHeadRegistry, PreConvMaskHead, PreConvMaskHeadFromConfig);

}  // namespace my
