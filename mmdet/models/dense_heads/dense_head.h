// The dense-head interface and registry: per-location classification and regression over
// feature levels (MMDetection v2's mmdet/models/dense_heads). The built-in heads are
// AnchorHead subclasses (anchor_head.h): RPNHead (proposals for two-stage detectors) and
// RetinaHead; a new head subclasses AnchorHeadImpl (most heads) or DenseHeadImpl (anchor-free
// heads) and registers a factory for its config message (docs/new_component.md).
//
//   MMDET_ASSIGN_OR_RETURN(auto rpn, BuildDenseHead(cfg.rpn_head(), "model.rpn_head"));
//   DenseOutputs out = rpn->forward(feats);
//   LossMap losses = rpn->Loss(out, gt, metas, train_cfg.rpn());          // loss_rpn_cls, ...
//   std::vector<torch::Tensor> proposals = rpn->GetProposals(out, metas, train_cfg.rpn_proposal());
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
#include "torch/nn/module.h"

namespace mmdet::models {

struct DenseOutputs {
  std::vector<torch::Tensor> cls_scores;  // per level [N, A * C, h, w]
  std::vector<torch::Tensor> bbox_preds;  // per level [N, A * 4, h, w]
};

class DenseHeadImpl : public torch::nn::Module {
 public:
  virtual DenseOutputs forward(const std::vector<torch::Tensor>& feats) = 0;

  // Foreground classes (1 for an RPN).
  virtual int64_t num_classes() const = 0;

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

// Factories take the config member's path ("model.rpn_head.rpn_head") for their messages.
using DenseHeadRegistry = Registry<DenseHeadImpl, const std::string&>;
absl::StatusOr<std::shared_ptr<DenseHeadImpl>> BuildDenseHead(const config::DenseHead& cfg,
                                                              const std::string& path);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_DENSE_HEADS_DENSE_HEAD_H_
