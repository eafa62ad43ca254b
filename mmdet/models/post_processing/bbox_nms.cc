#include "mmdet/models/post_processing/bbox_nms.h"

namespace mmdet::models {

ops::NmsOptions NmsOptionsOf(const config::NMSConfig& nms) {
  ops::NmsOptions options;
  options.soft = nms.type() == config::NMSConfig::soft_nms;
  options.iou_threshold = nms.iou_thr();
  options.method = nms.method() == config::NMSConfig::gaussian ? ops::SoftNmsMethod::kGaussian
                                                               : ops::SoftNmsMethod::kLinear;
  options.sigma = nms.sigma();
  options.min_score = nms.min_score();
  return options;
}

Detections MulticlassNms(const torch::Tensor& multi_bboxes, const torch::Tensor& multi_scores,
                         double score_thr, const config::NMSConfig& nms, int64_t max_num) {
  const int64_t num_classes = multi_scores.size(1) - 1;
  const int64_t n = multi_scores.size(0);
  torch::Tensor bboxes = multi_bboxes.size(1) > 4
                             ? multi_bboxes.view({n, -1, 4})
                             : multi_bboxes.unsqueeze(1).expand({n, num_classes, 4});
  torch::Tensor scores = multi_scores.narrow(1, 0, num_classes);
  const torch::Tensor valid = scores > score_thr;
  bboxes = bboxes.index({valid});
  scores = scores.index({valid});
  torch::Tensor labels = torch::nonzero(valid).select(1, 1);
  Detections out;
  if (bboxes.numel() == 0) {
    out.dets = torch::zeros({0, 5}, multi_bboxes.options());
    out.labels = torch::zeros({0}, multi_bboxes.options().dtype(torch::kInt64));
    return out;
  }
  auto [dets, keep] = ops::BatchedNms(bboxes, scores, labels, NmsOptionsOf(nms));
  if (max_num > 0 && dets.size(0) > max_num) {
    dets = dets.narrow(0, 0, max_num);
    keep = keep.narrow(0, 0, max_num);
  }
  out.dets = dets;
  out.labels = labels.index({keep});
  return out;
}

}  // namespace mmdet::models
