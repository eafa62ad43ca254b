// Shared2FCBBoxHead (MMDetection v2.0's roi_heads/bbox_heads/convfc_bbox_head.py): two shared
// fully-connected layers (shared_fcs.0, shared_fcs.1), then fc_cls and fc_reg. As in
// MMDetection it is ConvFCBBoxHead with num_shared_convs 0 and num_shared_fcs 2: the same
// layers, names and initialisation, built by ConvFCBBoxHeadImpl.
#include "mmdet/models/roi_heads/bbox_heads/convfc_bbox_head.h"
#include "mmdet/models/roi_heads/bbox_heads/shared2fc_bbox_head.pb.h"

namespace mmdet::models {
namespace {

absl::StatusOr<std::shared_ptr<BBoxHeadImpl>> Shared2FCBBoxHeadFromConfig(
    const config::Shared2FCBBoxHead& cfg, const std::string& path) {
  config::ConvFCBBoxHead convfc;
  convfc.set_in_channels(cfg.in_channels());
  convfc.set_num_shared_convs(0);
  convfc.set_num_shared_fcs(2);
  convfc.set_fc_out_channels(cfg.fc_out_channels());
  convfc.set_roi_feat_size(cfg.roi_feat_size());
  convfc.set_num_classes(cfg.num_classes());
  convfc.set_reg_class_agnostic(cfg.reg_class_agnostic());
  if (cfg.has_bbox_coder()) *convfc.mutable_bbox_coder() = cfg.bbox_coder();
  if (cfg.has_loss_cls()) *convfc.mutable_loss_cls() = cfg.loss_cls();
  if (cfg.has_loss_bbox()) *convfc.mutable_loss_bbox() = cfg.loss_bbox();
  return ConvFCBBoxHeadImpl::Create(convfc, path);
}

}  // namespace

MMDET_REGISTER(BBoxHeadRegistry, config::Shared2FCBBoxHead, Shared2FCBBoxHeadFromConfig);

}  // namespace mmdet::models
