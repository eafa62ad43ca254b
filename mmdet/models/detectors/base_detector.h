// BaseDetector (MMDetection v2's detectors/base.py): what every detector shares, public for
// subclassing. A new detector subclasses DetectorBase (or TwoStageDetector /
// SingleStageDetector), implements Train and Test, and registers a factory for its config
// message in DetectorRegistry (detector.h):
//
//   class MyDetector : public DetectorBase {
//     absl::StatusOr<LossMap> Train(...) override;     // forward_train
//     absl::StatusOr<std::vector<ImageResult>> Test(...) override;  // simple_test
//   };
//
// DetectorBase checks ground-truth labels against num_classes, runs tests without gradients
// and turns LibTorch exceptions into a Status; InitCommon builds the backbone and neck
// ("backbone.", "neck." in the state_dict) and keeps train_cfg / test_cfg.
#ifndef MMDET_MODELS_DETECTORS_BASE_DETECTOR_H_
#define MMDET_MODELS_DETECTORS_BASE_DETECTOR_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/backbones/backbone.h"
#include "mmdet/models/dense_heads/dense_head.h"
#include "mmdet/models/detectors/detector.h"
#include "mmdet/models/layers/autocast.h"
#include "mmdet/models/necks/neck.h"

namespace mmdet::models {

// Backbone + optional neck (extract_feat).
struct Trunk {
  std::shared_ptr<BackboneImpl> backbone;
  std::shared_ptr<NeckImpl> neck;
};

template <typename Cfg>
absl::StatusOr<Trunk> BuildTrunk(const Cfg& cfg, const std::string& path) {
  Trunk trunk;
  if (!cfg.has_backbone()) return absl::InvalidArgumentError(path + ".backbone: required");
  MMDET_ASSIGN_OR_RETURN(trunk.backbone, BuildBackbone(cfg.backbone(), path + ".backbone"));
  if (cfg.has_neck()) {
    MMDET_ASSIGN_OR_RETURN(trunk.neck, BuildNeck(cfg.neck(), path + ".neck"));
  }
  return trunk;
}

// Ground-truth labels must index the model's classes (a dataset / num_classes mismatch would
// otherwise fail deep inside a loss).
// num_classes < 0: labels are not used (class-agnostic detectors).
absl::Status CheckLabels(const GroundTruth& gt, int64_t num_classes);

// Runs `fn`, turning a LibTorch exception (a shape or device error) into a Status instead of
// an abort.
template <typename Fn>
auto Guarded(const char* what, Fn fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat(what, ": ", e.what_without_backtrace()));
  }
}

// The entry points every detector shares: ground-truth checks, no-grad testing and LibTorch
// exceptions turned into a Status; the subclasses implement Train and Test.
class DetectorBase : public DetectorImpl {
 public:
  std::string pretrained() const override { return pretrained_; }
  torch::nn::Module& backbone() override { return *backbone_; }

  absl::StatusOr<LossMap> ForwardTrain(const torch::Tensor& img,
                                       const std::vector<ImageMeta>& metas,
                                       const GroundTruth& gt) final {
    MMDET_RETURN_IF_ERROR(CheckLabels(gt, uses_labels() ? num_classes() : -1));
    return Guarded("forward_train", [&]() { return Train(img, metas, gt); });
  }

  absl::StatusOr<std::vector<ImageResult>> SimpleTest(const torch::Tensor& img,
                                                      const std::vector<ImageMeta>& metas,
                                                      bool rescale) final {
    return Guarded("simple_test", [&]() {
      torch::NoGradGuard no_grad;
      return Test(img, metas, rescale);
    });
  }

  absl::StatusOr<ImageResult> AugTest(const std::vector<torch::Tensor>& imgs,
                                      const std::vector<ImageMeta>& metas, bool rescale) final {
    if (imgs.empty() || imgs.size() != metas.size()) {
      return absl::InvalidArgumentError(absl::StrCat("aug_test: ", imgs.size(), " views but ",
                                                     metas.size(), " metas"));
    }
    for (const torch::Tensor& img : imgs) {
      if (img.size(0) != 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "aug test does not support inference with batch size ", img.size(0)));
      }
    }
    return Guarded("aug_test", [&]() {
      torch::NoGradGuard no_grad;
      return TestAug(imgs, metas, rescale);
    });
  }

  absl::Status ForwardDummy(const torch::Tensor& img) final {
    return Guarded("forward_dummy", [&]() {
      torch::NoGradGuard no_grad;
      return Dummy(img);
    });
  }

 protected:
  // forward_dummy; the default says there is none (MMDetection's NotImplementedError).
  virtual absl::Status Dummy(const torch::Tensor& /*img*/) {
    return absl::UnimplementedError("this detector has no forward_dummy, so FLOPs cannot be counted");
  }
  // aug_test for detectors that have one; this default refuses several views.
  virtual absl::StatusOr<ImageResult> TestAug(const std::vector<torch::Tensor>& imgs,
                                              const std::vector<ImageMeta>& /*metas*/,
                                              bool /*rescale*/) {
    return absl::UnimplementedError(absl::StrCat(
        "test-time augmentation (", imgs.size(),
        " views per image from MultiScaleFlipAug) is not supported by this detector, as in "
        "MMDetection v2.0 (single-stage detectors have no aug_test); use one img_scale and "
        "flip: false"));
  }
  virtual absl::StatusOr<LossMap> Train(const torch::Tensor& img,
                                        const std::vector<ImageMeta>& metas,
                                        const GroundTruth& gt) = 0;
  virtual absl::StatusOr<std::vector<ImageResult>> Test(const torch::Tensor& img,
                                                        const std::vector<ImageMeta>& metas,
                                                        bool rescale) = 0;
  // False for class-agnostic detectors (RPN), whose labels are ignored.
  virtual bool uses_labels() const { return true; }

  // pretrained, train_cfg, test_cfg, backbone and neck: what every detector config has.
  template <typename ModelConfig>
  absl::Status InitCommon(const ModelConfig& m, const config::Config& cfg, const std::string& path) {
    pretrained_ = m.pretrained();
    train_cfg_ = cfg.train_cfg();
    test_cfg_ = cfg.test_cfg();
    MMDET_ASSIGN_OR_RETURN(Trunk trunk, BuildTrunk(m, path));
    SetTrunk(std::move(trunk));
    return absl::OkStatus();
  }
  void SetTrunk(Trunk trunk) {
    backbone_ = register_module("backbone", trunk.backbone);
    if (trunk.neck) neck_ = register_module("neck", trunk.neck);
  }
  std::vector<torch::Tensor> ExtractFeat(const torch::Tensor& img) {
    const bool reduced = feature_dtype() != at::kFloat;
    std::vector<torch::Tensor> x;
    {
      std::optional<AutocastScope> autocast;
      if (reduced) autocast.emplace(img.device().type(), feature_dtype());
      x = backbone_->forward(img);
      if (neck_) x = neck_->forward(x);
    }
    if (reduced) {
      for (torch::Tensor& level : x) level = level.to(at::kFloat);
    }
    return x;
  }
  // head.forward(x): at test time under the same reduced-precision autocast as ExtractFeat
  // (the RPN's or RetinaNet's convolutions over every level are a third to a half of a
  // detector's convolution work), its scores and deltas back in float32 for anchors and NMS.
  // In training the dense head stays float32: under bfloat16 the quickstart Mask R-CNN
  // trained to 0.548 bbox mAP instead of 0.588 (docs/benchmarks.md).
  DenseOutputs DenseForward(DenseHeadImpl& head, const std::vector<torch::Tensor>& x) {
    if (feature_dtype() == at::kFloat || x.empty() || is_training()) return head.forward(x);
    DenseOutputs out;
    {
      AutocastScope autocast(x.front().device().type(), feature_dtype());
      out = head.forward(x);
    }
    for (torch::Tensor& t : out.cls_scores) t = t.to(at::kFloat);
    for (torch::Tensor& t : out.bbox_preds) t = t.to(at::kFloat);
    return out;
  }

  std::string pretrained_;
  config::TrainConfig train_cfg_;
  config::TestConfig test_cfg_;
  std::shared_ptr<BackboneImpl> backbone_;
  std::shared_ptr<NeckImpl> neck_;
};

}  // namespace mmdet::models

#endif  // MMDET_MODELS_DETECTORS_BASE_DETECTOR_H_
