// Dense heads: per-anchor classification and regression over FPN levels (MMDetection v2's
// AnchorHead family): RPNHead (proposals for two-stage detectors) and RetinaHead.
//
//   MMDET_ASSIGN_OR_RETURN(auto rpn, BuildDenseHead(cfg.rpn_head(), "model.rpn_head"));
//   DenseOutputs out = rpn->forward(feats);
//   LossMap losses = rpn->Loss(out, gt, metas, train_cfg.rpn());          // loss_rpn_cls, ...
//   std::vector<torch::Tensor> proposals = rpn->GetProposals(out, metas, train_cfg.rpn_proposal());
//
// Semantics are v2.0's: targets from anchors inside the image (allowed_border), MaxIoU
// assignment, sampling (RandomSampler, or all anchors for focal-loss heads), labels with the
// background as class num_classes, losses averaged over the sampled anchors (or the positives
// for focal loss, each image counting at least one), per-level losses summed.
//
// One convention follows MMDetection >= 2.5 rather than 2.0-2.4: a softmax RPN
// (loss_cls use_sigmoid: false, two channels per anchor) has foreground as channel 0; v2.0
// trained it with foreground as channel 1, so such a v2.0 checkpoint's rpn_cls channels come
// swapped. The sigmoid RPN of every shipped config is the same in all versions.
#ifndef MMDET_MODELS_DENSE_HEADS_DENSE_HEAD_H_
#define MMDET_MODELS_DENSE_HEADS_DENSE_HEAD_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/core/registry.h"
#include "mmdet/models/dense_heads/dense_head.pb.h"
#include "mmdet/models/model_types.h"
#include "mmdet/models/train_test_cfg.pb.h"
#include "torch/nn.h"

namespace mmdet::models {

struct DenseOutputs {
  std::vector<torch::Tensor> cls_scores;  // per level [N, A * C, h, w]
  std::vector<torch::Tensor> bbox_preds;  // per level [N, A * 4, h, w]
};

class DenseHeadImpl : public torch::nn::Module {
 public:
  virtual DenseOutputs forward(const std::vector<torch::Tensor>& feats) = 0;

  // Training losses. gt.labels empty = class-agnostic (RPN). `prefix` names them:
  // "loss_rpn_" (RPN) or "loss_" (single-stage). Errors: a config problem (no assigner...).
  virtual absl::StatusOr<LossMap> Loss(const DenseOutputs& out, const GroundTruth& gt,
                                       const std::vector<ImageMeta>& metas,
                                       const config::AssignConfig& cfg) = 0;

  // RPN proposals per image, [k, 5] (x1, y1, x2, y2, score), in the input image's frame.
  virtual std::vector<torch::Tensor> GetProposals(const DenseOutputs& out,
                                                  const std::vector<ImageMeta>& metas,
                                                  const config::ProposalConfig& cfg) = 0;

  // Single-stage detections per image (rescaled to the original image when `rescale`).
  virtual std::vector<Detections> GetBBoxes(const DenseOutputs& out,
                                            const std::vector<ImageMeta>& metas,
                                            const config::DetectionTestConfig& cfg,
                                            bool rescale) = 0;
};

using DenseHeadRegistry = Registry<DenseHeadImpl, const std::string&>;
absl::StatusOr<std::shared_ptr<DenseHeadImpl>> BuildDenseHead(const config::DenseHead& cfg,
                                                              const std::string& path);

// multiclass_nms (v2.0): scores [n, C + 1] with the background last; bboxes [n, 4] shared or
// [n, 4C] per class. Keeps (box, class) pairs scoring above score_thr, NMS per class, the
// max_num best overall (max_num <= 0: all).
Detections MulticlassNms(const torch::Tensor& bboxes, const torch::Tensor& scores,
                         double score_thr, const config::NMSConfig& nms, int64_t max_num);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_DENSE_HEADS_DENSE_HEAD_H_
