// The RoI-head interface and registry: the second stage of two-stage detectors (MMDetection
// v2's roi_heads). StandardRoIHead (standard_roi_head.h) composes an RoI extractor
// (roi_extractors/), a box head (bbox_heads/) and optionally a mask head (mask_heads/), each
// built from its own registry, so a new part needs no change here.
#ifndef MMDET_MODELS_ROI_HEADS_ROI_HEAD_H_
#define MMDET_MODELS_ROI_HEADS_ROI_HEAD_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/core/registry.h"
#include "mmdet/models/model_types.h"
#include "mmdet/models/roi_heads/roi_head.pb.h"
#include "mmdet/models/train_test_cfg.pb.h"
#include "torch/nn/module.h"

namespace mmdet::models {

class RoIHeadImpl : public torch::nn::Module {
 public:
  virtual bool with_mask() const = 0;
  virtual int64_t num_classes() const = 0;
  // Losses for the batch; proposals[i] is [k, 4 or 5] for image i.
  virtual absl::StatusOr<LossMap> ForwardTrain(const std::vector<torch::Tensor>& feats,
                                               const std::vector<ImageMeta>& metas,
                                               const std::vector<torch::Tensor>& proposals,
                                               const GroundTruth& gt,
                                               const config::AssignConfig& cfg) = 0;
  // Test results per image (boxes, and masks with a mask head).
  virtual std::vector<ImageResult> SimpleTest(const std::vector<torch::Tensor>& feats,
                                              const std::vector<ImageMeta>& metas,
                                              const std::vector<torch::Tensor>& proposals,
                                              const config::DetectionTestConfig& cfg,
                                              bool rescale) = 0;
  // forward_dummy: the box head on `proposals` [k, 4] of image 0, the mask head on the first
  // 100 of them.
  virtual void ForwardDummy(const std::vector<torch::Tensor>& feats,
                            const torch::Tensor& proposals) = 0;
  // aug_test of one image seen through several views: feats[v] are view v's features (a
  // batch of one), metas[v] its meta, proposals [k, 5] the merged proposals in the original
  // image's frame (MergeAugProposals).
  virtual ImageResult AugTest(const std::vector<std::vector<torch::Tensor>>& feats,
                              const std::vector<ImageMeta>& metas,
                              const torch::Tensor& proposals,
                              const config::DetectionTestConfig& cfg, bool rescale) = 0;

  // The precision of the box and mask heads' layers at test time (the detector's feature
  // dtype: test --bf16 / --fp16): reduced, they run under autocast as MMDetection's fp16 runs
  // them (auto_fp16 on the heads' forward, RoIAlign in float32, force_fp32 on decoding and
  // post-processing). Training always runs them in float32.
  void set_head_dtype(at::ScalarType dtype) { head_dtype_ = dtype; }
  at::ScalarType head_dtype() const { return head_dtype_; }

 private:
  at::ScalarType head_dtype_ = at::kFloat;
};

// Factories take the config member's path ("model.faster_rcnn.roi_head.standard_roi_head").
using RoIHeadRegistry = Registry<RoIHeadImpl, const std::string&>;
absl::StatusOr<std::shared_ptr<RoIHeadImpl>> BuildRoIHead(const config::RoIHead& cfg,
                                                          const std::string& path);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_ROI_HEADS_ROI_HEAD_H_
