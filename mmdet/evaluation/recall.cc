#include "mmdet/evaluation/recall.h"

#include <algorithm>
#include <functional>
#include <numeric>

#include "mmdet/evaluation/numpy_compat.h"

namespace mmdet::evaluation {

std::vector<std::vector<float>> BboxOverlaps(const std::vector<FloatBox>& a,
                                             const std::vector<FloatBox>& b) {
  std::vector<std::vector<float>> ious(a.size(), std::vector<float>(b.size(), 0.f));
  if (a.empty() || b.empty()) return ious;
  const float eps = 1e-6f;
  for (size_t i = 0; i < a.size(); ++i) {
    const float area1 = (a[i][2] - a[i][0]) * (a[i][3] - a[i][1]);
    for (size_t j = 0; j < b.size(); ++j) {
      const float area2 = (b[j][2] - b[j][0]) * (b[j][3] - b[j][1]);
      const float x_start = std::max(a[i][0], b[j][0]);
      const float y_start = std::max(a[i][1], b[j][1]);
      const float x_end = std::min(a[i][2], b[j][2]);
      const float y_end = std::min(a[i][3], b[j][3]);
      const float overlap = std::max(x_end - x_start, 0.f) * std::max(y_end - y_start, 0.f);
      const float uni = std::max(area1 + area2 - overlap, eps);
      ious[i][j] = overlap / uni;
    }
  }
  return ious;
}

std::vector<std::vector<double>> EvalRecalls(const std::vector<std::vector<FloatBox>>& gts,
                                             const std::vector<std::vector<Proposal>>& proposals,
                                             const std::vector<int>& proposal_nums,
                                             const std::vector<double>& iou_thrs,
                                             bool with_scores) {
  const size_t num_images = std::min(gts.size(), proposals.size());
  // all_ious: per image, gts x the first proposal_nums[-1] proposals in score order.
  std::vector<std::vector<std::vector<float>>> all_ious(num_images);
  size_t total_gt = 0;
  for (size_t i = 0; i < num_images; ++i) {
    std::vector<size_t> order(proposals[i].size());
    std::iota(order.begin(), order.end(), 0);
    if (with_scores) {
      std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
        return proposals[i][x].score < proposals[i][y].score;
      });
      std::reverse(order.begin(), order.end());
    }
    const size_t take = std::min(order.size(), static_cast<size_t>(proposal_nums.back()));
    std::vector<FloatBox> boxes;
    for (size_t j = 0; j < take; ++j) boxes.push_back(proposals[i][order[j]].box);
    all_ious[i] = BboxOverlaps(gts[i], boxes);
    total_gt += gts[i].size();
  }
  std::vector<std::vector<double>> recalls(proposal_nums.size(),
                                           std::vector<double>(iou_thrs.size(), 0.0));
  for (size_t k = 0; k < proposal_nums.size(); ++k) {
    std::vector<float> covered;  // _ious[k]: per gt, the IoU it was paired with
    covered.reserve(total_gt);
    for (size_t i = 0; i < num_images; ++i) {
      const size_t num_gt = all_ious[i].size();
      const size_t cols = num_gt == 0 ? 0
                                      : std::min(all_ious[i][0].size(),
                                                 static_cast<size_t>(proposal_nums[k]));
      if (num_gt == 0) continue;
      if (cols == 0) {
        covered.insert(covered.end(), num_gt, 0.f);
        continue;
      }
      std::vector<std::vector<float>> ious(num_gt);
      for (size_t g = 0; g < num_gt; ++g) {
        ious[g].assign(all_ious[i][g].begin(), all_ious[i][g].begin() + cols);
      }
      for (size_t j = 0; j < num_gt; ++j) {
        // gt_max_overlaps = ious.argmax(axis=1); gt_idx = max_ious.argmax() (first maxima).
        size_t gt_idx = 0, box_idx = 0;
        float best = 0;
        for (size_t g = 0; g < num_gt; ++g) {
          const size_t arg = std::max_element(ious[g].begin(), ious[g].end()) - ious[g].begin();
          if (g == 0 || ious[g][arg] > best) {
            best = ious[g][arg];
            gt_idx = g;
            box_idx = arg;
          }
        }
        covered.push_back(best);
        std::fill(ious[gt_idx].begin(), ious[gt_idx].end(), -1.f);
        for (auto& row : ious) row[box_idx] = -1.f;
      }
    }
    for (size_t t = 0; t < iou_thrs.size(); ++t) {
      const float thr = static_cast<float>(iou_thrs[t]);
      size_t hits = 0;
      for (float v : covered) hits += v >= thr;
      recalls[k][t] = static_cast<double>(hits) / static_cast<double>(total_gt);
    }
  }
  return recalls;
}

std::vector<double> AverageRecalls(const std::vector<std::vector<double>>& recalls) {
  std::vector<double> ar;
  for (const auto& row : recalls) ar.push_back(row.empty() ? 0 : Mean(row));
  return ar;
}

}  // namespace mmdet::evaluation
