// Merging the outputs of test-time augmentation views (MMDetection v2.0's
// mmdet/core/post_processing/merge_augs.py). Each view's meta says how it was made from the
// original image (scale_factor, flip, flip_direction, img_shape).
#ifndef MMDET_MODELS_POST_PROCESSING_MERGE_AUGS_H_
#define MMDET_MODELS_POST_PROCESSING_MERGE_AUGS_H_

#include <utility>
#include <vector>

#include "mmdet/models/model_types.h"
#include "mmdet/models/train_test_cfg.pb.h"
#include "torch/types.h"

namespace mmdet::models {

// merge_aug_proposals: each view's proposals [k, 5] mapped back to the original image,
// concatenated, one NMS at cfg.nms_thr (every view and level together), then the top
// cfg.max_num by score.
torch::Tensor MergeAugProposals(const std::vector<torch::Tensor>& proposals,
                                const std::vector<ImageMeta>& metas,
                                const config::ProposalConfig& cfg);

// merge_aug_bboxes: the views' boxes [n, 4C] (decoded in each view's frame, for the same n
// proposals) mapped back to the original image and averaged; the scores [n, C + 1] averaged.
std::pair<torch::Tensor, torch::Tensor> MergeAugBboxes(const std::vector<torch::Tensor>& bboxes,
                                                       const std::vector<torch::Tensor>& scores,
                                                       const std::vector<ImageMeta>& metas);

// merge_aug_masks (no weights): the views' mask probabilities [n, C, s, s], flipped views
// flipped back, averaged.
torch::Tensor MergeAugMasks(const std::vector<torch::Tensor>& masks,
                            const std::vector<ImageMeta>& metas);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_POST_PROCESSING_MERGE_AUGS_H_
