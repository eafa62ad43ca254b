// Names Collect accepts.
#ifndef MMDET_DATASETS_PIPELINES_FORMATTING_H_
#define MMDET_DATASETS_PIPELINES_FORMATTING_H_

#include <string>
#include <vector>

namespace mmdet::datasets {

// img, gt_bboxes, gt_labels, gt_bboxes_ignore, gt_masks, gt_semantic_seg, proposals.
const std::vector<std::string>& CollectableKeys();
// MMDetection's default meta_keys: filename, ori_filename, ori_shape, img_shape, pad_shape,
// scale_factor, flip, flip_direction, img_norm_cfg.
const std::vector<std::string>& DefaultMetaKeys();

}  // namespace mmdet::datasets

#endif  // MMDET_DATASETS_PIPELINES_FORMATTING_H_
