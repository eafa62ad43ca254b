// MMDetection's tools/upgrade_model_version.py (v1.x -> v2.0 checkpoints) on a state_dict,
// exactly as the script does it:
//   - when the checkpoint has an rpn_head (two-stage), bbox_head / mask_head / semantic_head /
//     grid_head / mask_iou_head keys move under "roi_head.";
//   - *_cls (conv_cls, retina_cls, rpn_cls, fc_cls, fcos_cls, fovea_cls) weights and biases
//     move the background class from first to last (reorder_cls_channel); like the script,
//     every 1-d bias matching the pattern is rotated by one, rpn_cls / retina_cls included;
//   - fc_reg / rpn_reg drop the background's regression slots unless reg_cls_agnostic
//     (truncate_reg_channel: weights drop the first 4, biases keep the first
//     4 * (num_classes - 1), as the script does);
//   - conv_logits drops the background mask (the script keeps the *first* num_classes - 1
//     bias entries, and so do we);
//   - upgrade_retina renames cls_convs.N.weight -> cls_convs.N.conv.weight (and reg_convs);
//   - ssd reorders the classification channels of cls_convs.
// num_classes is the old model's class count, background included (81 for COCO).
#ifndef MMDET_MODELS_CHECKPOINT_UPGRADE_H_
#define MMDET_MODELS_CHECKPOINT_UPGRADE_H_

#include <string>
#include <vector>

#include "mmdet/models/checkpoint/state_dict.h"

namespace mmdet::models {

struct UpgradeOptions {
  int64_t num_classes = 81;
  bool upgrade_retina = false;
  bool ssd = false;
  bool reg_cls_agnostic = false;
};

// The upgraded state_dict; `log` gets one line per change, as the script prints them.
StateDict UpgradeV1StateDict(const StateDict& in, const UpgradeOptions& options,
                             std::vector<std::string>* log);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_CHECKPOINT_UPGRADE_H_
