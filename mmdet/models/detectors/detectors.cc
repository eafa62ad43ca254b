#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "mmdet/core/status.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/backbones/backbone.h"
#include "mmdet/models/checkpoint/checkpoint.h"
#include "mmdet/models/dense_heads/dense_head.h"
#include "mmdet/models/detectors/detector.h"
#include "mmdet/models/necks/neck.h"
#include "mmdet/models/roi_heads/roi_head.h"
#include "mmdet/models/task_modules/bbox_transforms.h"

namespace mmdet::models {

absl::StatusOr<std::shared_ptr<DetectorImpl>> BuildDetector(const config::Config& cfg) {
  std::unique_ptr<google::protobuf::Message> unpacked;
  MMDET_ASSIGN_OR_RETURN(const google::protobuf::Message* member,
                         SelectedMember(cfg.model(), "model", &unpacked));
  const std::string path = SelectedMemberPath(cfg.model(), "model");
  auto built = DetectorRegistry::Global().Create(*member, cfg, path);
  if (!built.ok() && !absl::StartsWith(built.status().message(), "model")) {
    return Annotate(built.status(), path);
  }
  return built;
}

absl::StatusOr<LoadReport> InitPretrainedWeights(DetectorImpl& model) {
  if (model.pretrained().empty()) return LoadReport();
  auto report = LoadCheckpointInto(model.backbone(), model.pretrained(), /*strict=*/false);
  if (!report.ok()) return Annotate(report.status(), "model.pretrained");
  return report;
}

torch::Tensor TotalLoss(const LossMap& losses) {
  torch::Tensor total;
  for (const auto& [name, value] : losses) {
    if (!absl::StrContains(name, "loss")) continue;
    total = total.defined() ? total + value.mean() : value.mean();
  }
  return total;
}

namespace {

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
absl::Status CheckLabels(const GroundTruth& gt, int64_t num_classes) {
  for (size_t i = 0; num_classes >= 0 && i < gt.labels.size(); ++i) {
    const torch::Tensor& l = gt.labels[i];
    if (!l.defined() || l.numel() == 0) continue;
    const int64_t lo = l.min().item<int64_t>(), hi = l.max().item<int64_t>();
    if (lo < 0 || hi >= num_classes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "image ", i, " of the batch has ground-truth label ", lo < 0 ? lo : hi,
          " but the model has ", num_classes,
          " classes: make the head's num_classes match the dataset's classes"));
    }
  }
  for (size_t i = 0; i < gt.bboxes.size(); ++i) {
    if (gt.bboxes[i].dim() != 2 || gt.bboxes[i].size(-1) != 4) {
      return absl::InvalidArgumentError(absl::StrCat("image ", i, ": gt_bboxes must be [n, 4]"));
    }
  }
  return absl::OkStatus();
}

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

 protected:
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
    std::vector<torch::Tensor> x = backbone_->forward(img);
    return neck_ ? neck_->forward(x) : x;
  }

  std::string pretrained_;
  config::TrainConfig train_cfg_;
  config::TestConfig test_cfg_;
  std::shared_ptr<BackboneImpl> backbone_;
  std::shared_ptr<NeckImpl> neck_;
};

// ------------------------------------------------------------------------------ two-stage

class TwoStageDetector : public DetectorBase {
 public:
  template <typename Cfg>
  static absl::StatusOr<std::shared_ptr<DetectorImpl>> Create(const Cfg& m,
                                                              const config::Config& cfg,
                                                              const std::string& path,
                                                              bool needs_mask) {
    std::shared_ptr<TwoStageDetector> det(new TwoStageDetector);
    MMDET_RETURN_IF_ERROR(det->InitCommon(m, cfg, path));
    if (!m.has_rpn_head()) return absl::InvalidArgumentError(path + ".rpn_head: required");
    MMDET_ASSIGN_OR_RETURN(auto rpn, BuildDenseHead(m.rpn_head(), path + ".rpn_head"));
    det->rpn_head_ = det->register_module("rpn_head", rpn);
    if (!m.has_roi_head()) return absl::InvalidArgumentError(path + ".roi_head: required");
    MMDET_ASSIGN_OR_RETURN(auto roi, BuildRoIHead(m.roi_head(), path + ".roi_head"));
    if (needs_mask && !roi->with_mask()) {
      return absl::InvalidArgumentError(
          path + ".roi_head: Mask R-CNN needs mask_roi_extractor and mask_head");
    }
    det->roi_head_ = det->register_module("roi_head", roi);
    return std::shared_ptr<DetectorImpl>(det);
  }

  int64_t num_classes() const override { return roi_head_->num_classes(); }
  bool with_mask() const override { return roi_head_->with_mask(); }


 private:
  absl::StatusOr<LossMap> Train(const torch::Tensor& img, const std::vector<ImageMeta>& metas,
                                const GroundTruth& gt) override {
    const std::vector<torch::Tensor> x = ExtractFeat(img);
    const DenseOutputs rpn_out = rpn_head_->forward(x);
    GroundTruth rpn_gt = gt;
    rpn_gt.labels.clear();  // the RPN is class-agnostic
    MMDET_ASSIGN_OR_RETURN(LossMap losses,
                           rpn_head_->Loss(rpn_out, rpn_gt, metas, train_cfg_.rpn()));
    const config::ProposalConfig& proposal_cfg =
        train_cfg_.has_rpn_proposal() ? train_cfg_.rpn_proposal() : test_cfg_.rpn();
    const std::vector<torch::Tensor> proposals =
        rpn_head_->GetProposals(rpn_out, metas, proposal_cfg);
    MMDET_ASSIGN_OR_RETURN(LossMap roi_losses,
                           roi_head_->ForwardTrain(x, metas, proposals, gt, train_cfg_.rcnn()));
    losses.insert(losses.end(), roi_losses.begin(), roi_losses.end());
    return losses;
  }

  absl::StatusOr<std::vector<ImageResult>> Test(const torch::Tensor& img,
                                                const std::vector<ImageMeta>& metas,
                                                bool rescale) override {
    const std::vector<torch::Tensor> x = ExtractFeat(img);
    const std::vector<torch::Tensor> proposals =
        rpn_head_->GetProposals(rpn_head_->forward(x), metas, test_cfg_.rpn());
    return roi_head_->SimpleTest(x, metas, proposals, test_cfg_.rcnn(), rescale);
  }

  TwoStageDetector() = default;
  std::shared_ptr<DenseHeadImpl> rpn_head_;
  std::shared_ptr<RoIHeadImpl> roi_head_;
};

// ---------------------------------------------------------------------------- single-stage

class SingleStageDetector : public DetectorBase {
 public:
  static absl::StatusOr<std::shared_ptr<DetectorImpl>> Create(const config::RetinaNet& m,
                                                              const config::Config& cfg,
                                                              const std::string& path) {
    std::shared_ptr<SingleStageDetector> det(new SingleStageDetector);
    MMDET_RETURN_IF_ERROR(det->InitCommon(m, cfg, path));
    if (!m.has_bbox_head()) return absl::InvalidArgumentError(path + ".bbox_head: required");
    if (!m.bbox_head().has_retina_head()) {
      return absl::InvalidArgumentError(path + ".bbox_head: expected a retina_head");
    }
    det->num_classes_ = m.bbox_head().retina_head().num_classes();
    MMDET_ASSIGN_OR_RETURN(auto head, BuildDenseHead(m.bbox_head(), path + ".bbox_head"));
    det->bbox_head_ = det->register_module("bbox_head", head);
    return std::shared_ptr<DetectorImpl>(det);
  }

  int64_t num_classes() const override { return num_classes_; }


 private:
  absl::StatusOr<LossMap> Train(const torch::Tensor& img, const std::vector<ImageMeta>& metas,
                                const GroundTruth& gt) override {
    return bbox_head_->Loss(bbox_head_->forward(ExtractFeat(img)), gt, metas,
                            train_cfg_.single_stage());
  }

  absl::StatusOr<std::vector<ImageResult>> Test(const torch::Tensor& img,
                                                const std::vector<ImageMeta>& metas,
                                                bool rescale) override {
    std::vector<ImageResult> results;
    for (const Detections& det : bbox_head_->GetBBoxes(bbox_head_->forward(ExtractFeat(img)),
                                                       metas, test_cfg_.single_stage(), rescale)) {
      ImageResult r;
      r.bboxes = Bbox2Result(det.dets, det.labels, num_classes_);
      results.push_back(std::move(r));
    }
    return absl::StatusOr<std::vector<ImageResult>>(std::move(results));
  }

  SingleStageDetector() = default;
  std::shared_ptr<DenseHeadImpl> bbox_head_;
  int64_t num_classes_ = 80;
};

// ------------------------------------------------------------------------------------- RPN

class RPNDetector : public DetectorBase {
 public:
  static absl::StatusOr<std::shared_ptr<DetectorImpl>> Create(const config::RPN& m,
                                                              const config::Config& cfg,
                                                              const std::string& path) {
    std::shared_ptr<RPNDetector> det(new RPNDetector);
    MMDET_RETURN_IF_ERROR(det->InitCommon(m, cfg, path));
    if (!m.has_rpn_head()) return absl::InvalidArgumentError(path + ".rpn_head: required");
    MMDET_ASSIGN_OR_RETURN(auto head, BuildDenseHead(m.rpn_head(), path + ".rpn_head"));
    det->rpn_head_ = det->register_module("rpn_head", head);
    return std::shared_ptr<DetectorImpl>(det);
  }

  int64_t num_classes() const override { return 1; }


 private:
  bool uses_labels() const override { return false; }

  absl::StatusOr<LossMap> Train(const torch::Tensor& img, const std::vector<ImageMeta>& metas,
                                const GroundTruth& gt) override {
    GroundTruth rpn_gt = gt;
    rpn_gt.labels.clear();
    return rpn_head_->Loss(rpn_head_->forward(ExtractFeat(img)), rpn_gt, metas, train_cfg_.rpn());
  }

  absl::StatusOr<std::vector<ImageResult>> Test(const torch::Tensor& img,
                                                const std::vector<ImageMeta>& metas,
                                                bool rescale) override {
    std::vector<torch::Tensor> proposals =
        rpn_head_->GetProposals(rpn_head_->forward(ExtractFeat(img)), metas, test_cfg_.rpn());
    std::vector<ImageResult> results;
    for (size_t i = 0; i < proposals.size(); ++i) {
      torch::Tensor p = proposals[i].clone();
      if (rescale) {
        const auto& sf = metas[i].scale_factor;
        p.narrow(1, 0, 4).div_(torch::tensor({sf[0], sf[1], sf[2], sf[3]}, p.options()));
      }
      ImageResult r;
      r.bboxes = {p.cpu()};
      results.push_back(std::move(r));
    }
    return absl::StatusOr<std::vector<ImageResult>>(std::move(results));
  }

  RPNDetector() = default;
  std::shared_ptr<DenseHeadImpl> rpn_head_;
};

absl::StatusOr<std::shared_ptr<DetectorImpl>> FasterFromConfig(const config::FasterRCNN& m,
                                                               const config::Config& cfg,
                                                               const std::string& path) {
  return TwoStageDetector::Create(m, cfg, path, /*needs_mask=*/false);
}

absl::StatusOr<std::shared_ptr<DetectorImpl>> MaskFromConfig(const config::MaskRCNN& m,
                                                             const config::Config& cfg,
                                                             const std::string& path) {
  return TwoStageDetector::Create(m, cfg, path, /*needs_mask=*/true);
}

}  // namespace

MMDET_REGISTER(DetectorRegistry, config::FasterRCNN, FasterFromConfig);
MMDET_REGISTER(DetectorRegistry, config::MaskRCNN, MaskFromConfig);
MMDET_REGISTER(DetectorRegistry, config::RetinaNet, SingleStageDetector::Create);
MMDET_REGISTER(DetectorRegistry, config::RPN, RPNDetector::Create);

}  // namespace mmdet::models
