// Detectors: FasterRCNN, MaskRCNN, RetinaNet and RPN, composed from a backbone, a neck and
// heads built from config, with MMDetection v2's module names (backbone., neck., rpn_head.,
// roi_head., bbox_head.) so that state_dict keys match MMDetection's.
//
//   MMDET_ASSIGN_OR_RETURN(std::shared_ptr<DetectorImpl> model, BuildDetector(cfg));
//   model->train();
//   MMDET_ASSIGN_OR_RETURN(LossMap losses, model->ForwardTrain(batch.img, batch.img_metas, gt));
//   model->eval();
//   MMDET_ASSIGN_OR_RETURN(auto results, model->SimpleTest(batch.img, batch.img_metas, true));
//
// Training returns MMDetection's loss names: loss_rpn_cls, loss_rpn_bbox, loss_cls, acc,
// loss_bbox (+ loss_mask) for two-stage detectors, loss_cls and loss_bbox for RetinaNet,
// loss_rpn_cls and loss_rpn_bbox for RPN. Testing returns, per image, the per-class [k, 5]
// boxes (x1, y1, x2, y2, score) and, for Mask R-CNN, per-class binary masks, in the original
// image's frame when `rescale`; an RPN returns its proposals as a single class.
#ifndef MMDET_MODELS_DETECTORS_DETECTOR_H_
#define MMDET_MODELS_DETECTORS_DETECTOR_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/config/config.pb.h"
#include "mmdet/core/registry.h"
#include "mmdet/models/checkpoint/state_dict.h"
#include "mmdet/models/model_types.h"
#include "torch/nn/module.h"

namespace mmdet::models {

class DetectorImpl : public torch::nn::Module {
 public:
  virtual absl::StatusOr<LossMap> ForwardTrain(const torch::Tensor& img,
                                               const std::vector<ImageMeta>& metas,
                                               const GroundTruth& gt) = 0;
  virtual absl::StatusOr<std::vector<ImageResult>> SimpleTest(const torch::Tensor& img,
                                                              const std::vector<ImageMeta>& metas,
                                                              bool rescale) = 0;
  // MMDetection's aug_test: one image seen through several test-time views (MultiScaleFlipAug's
  // scales and flips): imgs[v] is view v's [1, 3, H, W] input, metas[v] its meta. Results are
  // merged as MMDetection v2.0 merges them (merge_augs.h). Detectors without it (single-stage,
  // as in v2.0) return Unimplemented.
  virtual absl::StatusOr<ImageResult> AugTest(const std::vector<torch::Tensor>& imgs,
                                              const std::vector<ImageMeta>& metas,
                                              bool rescale) = 0;
  // MMDetection's forward_dummy (what get_flops runs): the network without post-processing on
  // `img` [1, 3, H, W]; two-stage detectors run their RoI head on 1000 proposals (the mask head
  // on the first 100). Unimplemented for a detector without one.
  virtual absl::Status ForwardDummy(const torch::Tensor& img) = 0;
  // Foreground classes (1 for an RPN).
  virtual int64_t num_classes() const = 0;
  virtual bool with_mask() const { return false; }
  // The config's `pretrained` (backbone initialisation), "" when none.
  virtual std::string pretrained() const = 0;
  virtual torch::nn::Module& backbone() = 0;

  // Reduced precision (test / train --bf16, test --fp16): the backbone, the neck and, in eval
  // mode, the dense head (RPN, RetinaNet head) run under autocast in `dtype` (at::kBFloat16,
  // at::kHalf) and their outputs return to float32, so the RoI heads, losses, box decoding,
  // NMS and RoIAlign stay float32. at::kFloat (the default) is plain float32 everywhere.
  void set_feature_dtype(at::ScalarType dtype) { feature_dtype_ = dtype; }
  at::ScalarType feature_dtype() const { return feature_dtype_; }

 private:
  at::ScalarType feature_dtype_ = at::kFloat;
};

// MMDetection's init_weights(pretrained): loads `pretrained` (a path, torchvision://NAME or a
// cached URL; see mmdet/models/checkpoint/checkpoint.h) into the backbone non-strictly, as
// mmcv does. Returns what did not match, for the caller to log; an empty report when the
// model has no `pretrained`.
absl::StatusOr<LoadReport> InitPretrainedWeights(DetectorImpl& model);

// Factories take the whole config (train_cfg / test_cfg included) and the member's path.
using DetectorRegistry = Registry<DetectorImpl, const config::Config&, const std::string&>;

// Builds cfg.model.
absl::StatusOr<std::shared_ptr<DetectorImpl>> BuildDetector(const config::Config& cfg);

// The sum of the means of the losses whose name contains "loss" (MMDetection's parse_losses:
// summed in the losses' order, so the float32 total is bit-identical).
torch::Tensor TotalLoss(const LossMap& losses);

// MMDetection v2.0's BaseDetector._parse_losses: `loss` (TotalLoss, with its graph) and
// `log_vars`: every term's mean in the losses' order ("acc" too), then "loss", detached
// 0-dim tensors (for the runner to all-reduce across ranks before reading them).
struct ParsedLosses {
  torch::Tensor loss;
  std::vector<std::pair<std::string, torch::Tensor>> log_vars;
  // log_vars' values as Python's .item() reads them (float32 widened to double).
  std::vector<std::pair<std::string, double>> Values() const;
};
ParsedLosses ParseLosses(const LossMap& losses);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_DETECTORS_DETECTOR_H_
