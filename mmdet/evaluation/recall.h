// MMDetection v2.0's proposal recall (mmdet/core/evaluation/recall.py eval_recalls, and the
// numpy bbox_overlaps it uses), for `proposal_fast` (COCO) and `recall` (VOC):
//
//   recalls[k][t] = the fraction of gts covered at IoU >= iou_thrs[t] by the first
//                   proposal_nums[k] proposals of their image, gts and proposals paired
//                   greedily (the best remaining IoU first, each used once).
//
// As there: boxes are float32 (x1, y1, x2, y2), IoUs float32 without +1 (union floored at
// 1e-6), compared with the threshold cast to float32; proposals with a score column are
// taken in descending score order (numpy's argsort(scores)[::-1]: for tied scores beyond 16
// proposals numpy's unstable quicksort may order them differently from the stable order
// used here); AR@N is the mean over thresholds. An image without gts contributes nothing.
#ifndef MMDET_EVALUATION_RECALL_H_
#define MMDET_EVALUATION_RECALL_H_

#include <array>
#include <vector>

namespace mmdet::evaluation {

using FloatBox = std::array<float, 4>;  // x1, y1, x2, y2

struct Proposal {
  FloatBox box;
  float score = 0;
};

// mmdet.core.evaluation.bbox_overlaps (mode iou, v2.0 coordinates): [a.size()][b.size()].
std::vector<std::vector<float>> BboxOverlaps(const std::vector<FloatBox>& a,
                                             const std::vector<FloatBox>& b);

// eval_recalls(gts, proposals, proposal_nums, iou_thrs): [proposal_nums][iou_thrs].
// `with_scores` false means the proposals are already in the order to take them.
std::vector<std::vector<double>> EvalRecalls(const std::vector<std::vector<FloatBox>>& gts,
                                             const std::vector<std::vector<Proposal>>& proposals,
                                             const std::vector<int>& proposal_nums,
                                             const std::vector<double>& iou_thrs,
                                             bool with_scores = true);

// recalls.mean(axis=1): AR@N for each proposal number.
std::vector<double> AverageRecalls(const std::vector<std::vector<double>>& recalls);

}  // namespace mmdet::evaluation

#endif  // MMDET_EVALUATION_RECALL_H_
