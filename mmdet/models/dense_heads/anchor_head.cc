// AnchorHead (v2.0's mmdet/models/dense_heads/anchor_head.py), RPNHead and RetinaHead.
#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "mmdet/core/status.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/dense_heads/dense_head.h"
#include "mmdet/models/layers/layers.h"
#include "mmdet/models/losses/loss.h"
#include "mmdet/models/task_modules/assigners/assigner.h"
#include "mmdet/models/task_modules/coders/bbox_coder.h"
#include "mmdet/models/task_modules/prior_generators/prior_generator.h"
#include "mmdet/models/task_modules/samplers/pseudo_sampler.h"
#include "mmdet/models/task_modules/samplers/sampler.h"
#include "mmdet/ops/nms.h"

namespace mmdet::models {

absl::StatusOr<std::shared_ptr<DenseHeadImpl>> BuildDenseHead(const config::DenseHead& cfg,
                                                              const std::string& path) {
  return BuildFromConfig(DenseHeadRegistry::Global(), cfg, path);
}

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

namespace {

namespace nn = torch::nn;

// Puts `data` (for the inside anchors) back into a tensor over all anchors, `fill` elsewhere.
torch::Tensor Unmap(const torch::Tensor& data, int64_t count, const torch::Tensor& inside,
                    double fill) {
  std::vector<int64_t> shape = data.sizes().vec();
  shape[0] = count;
  torch::Tensor out = torch::full(shape, fill, data.options());
  out.index_put_({inside}, data);
  return out;
}

// [images][all anchors] -> [levels][images, level anchors].
std::vector<torch::Tensor> ImagesToLevels(const std::vector<torch::Tensor>& per_image,
                                          const std::vector<int64_t>& level_sizes) {
  const torch::Tensor stacked = torch::stack(per_image, 0);
  std::vector<torch::Tensor> levels;
  int64_t start = 0;
  for (int64_t size : level_sizes) {
    levels.push_back(stacked.narrow(1, start, size));
    start += size;
  }
  return levels;
}

struct AnchorHeadParts {
  int64_t num_classes = 1;
  std::shared_ptr<PriorGenerator> anchor_generator;
  std::shared_ptr<BBoxCoder> bbox_coder;
  std::shared_ptr<models::Loss> loss_cls, loss_bbox;
  // v2.0: heads with a focal loss use every anchor (PseudoSampler) and average the losses
  // over the positives; the others sample and average over the samples.
  bool sampling = true;
};

// The training and inference logic shared by RPNHead and RetinaHead.
class AnchorHeadImpl : public DenseHeadImpl {
 public:
  absl::StatusOr<LossMap> Loss(const DenseOutputs& out, const GroundTruth& gt,
                               const std::vector<ImageMeta>& metas,
                               const config::AssignConfig& cfg) override;
  std::vector<torch::Tensor> GetProposals(const DenseOutputs& out,
                                          const std::vector<ImageMeta>& metas,
                                          const config::ProposalConfig& cfg) override;
  std::vector<Detections> GetBBoxes(const DenseOutputs& out, const std::vector<ImageMeta>& metas,
                                    const config::DetectionTestConfig& cfg,
                                    bool rescale) override;

 protected:
  explicit AnchorHeadImpl(AnchorHeadParts parts, std::string loss_prefix)
      : parts_(std::move(parts)), loss_prefix_(std::move(loss_prefix)) {
    use_sigmoid_ = parts_.loss_cls->use_sigmoid();
    cls_out_channels_ = use_sigmoid_ ? parts_.num_classes : parts_.num_classes + 1;
    sampling_ = parts_.sampling;
  }
  int64_t num_anchors() const { return parts_.anchor_generator->num_base_anchors()[0]; }

  AnchorHeadParts parts_;
  std::string loss_prefix_;
  bool use_sigmoid_ = true;
  bool sampling_ = true;
  int64_t cls_out_channels_ = 1;

 private:
  struct ImageTargets {
    torch::Tensor labels, label_weights, bbox_targets, bbox_weights;
    int64_t num_pos = 0, num_neg = 0;
  };
  absl::StatusOr<ImageTargets> TargetsForImage(const torch::Tensor& anchors,
                                               const torch::Tensor& valid, const torch::Tensor& gt_bboxes,
                                               const torch::Tensor& gt_ignore, const torch::Tensor& gt_labels,
                                               const ImageMeta& meta, const config::AssignConfig& cfg);
  absl::Status EnsureTrainModules(const config::AssignConfig& cfg);

  std::shared_ptr<Assigner> assigner_;
  std::shared_ptr<BBoxSampler> sampler_;
  std::string train_cfg_key_;
};

absl::Status AnchorHeadImpl::EnsureTrainModules(const config::AssignConfig& cfg) {
  const std::string key = cfg.SerializeAsString();
  if (assigner_ && key == train_cfg_key_) return absl::OkStatus();
  if (!cfg.has_assigner()) {
    return absl::InvalidArgumentError(absl::StrCat("train_cfg: ", loss_prefix_ == "loss_rpn_" ? "rpn" : "single_stage",
                                                   ".assigner is required for training"));
  }
  MMDET_ASSIGN_OR_RETURN(assigner_, BuildAssigner(cfg.assigner(), "train_cfg.assigner"));
  if (sampling_ && cfg.has_sampler()) {
    MMDET_ASSIGN_OR_RETURN(sampler_, BuildBBoxSampler(cfg.sampler(), "train_cfg.sampler"));
  } else {
    // v2.0's AnchorHead: no sampler configured means PseudoSampler (every anchor), while the
    // losses are still averaged over positives + negatives when the head samples.
    sampler_ = std::make_shared<PseudoSampler>();
  }
  train_cfg_key_ = key;
  return absl::OkStatus();
}

absl::StatusOr<AnchorHeadImpl::ImageTargets> AnchorHeadImpl::TargetsForImage(
    const torch::Tensor& flat_anchors, const torch::Tensor& valid, const torch::Tensor& gt_bboxes,
    const torch::Tensor& gt_ignore, const torch::Tensor& gt_labels, const ImageMeta& meta,
    const config::AssignConfig& cfg) {
  const torch::Tensor inside = AnchorInsideFlags(flat_anchors, valid, {meta.img_shape[0], meta.img_shape[1]},
                                                 cfg.allowed_border());
  ImageTargets t;
  const int64_t total = flat_anchors.size(0);
  const auto opts = flat_anchors.options();
  if (!inside.any().item<bool>()) {
    t.labels = torch::full({total}, parts_.num_classes, opts.dtype(torch::kInt64));
    t.label_weights = torch::zeros({total}, opts);
    t.bbox_targets = torch::zeros({total, 4}, opts);
    t.bbox_weights = torch::zeros({total, 4}, opts);
    return t;
  }
  const torch::Tensor anchors = flat_anchors.index({inside});
  const bool rpn = loss_prefix_ == "loss_rpn_";
  const torch::Tensor assign_labels = (rpn || sampling_) ? torch::Tensor() : gt_labels;
  AssignResult assign = assigner_->Assign(anchors, gt_bboxes, gt_ignore, assign_labels);
  SamplingResult s = sampler_->Sample(assign, anchors, gt_bboxes, torch::Tensor());
  const int64_t n = anchors.size(0);
  torch::Tensor labels = torch::full({n}, parts_.num_classes, opts.dtype(torch::kInt64));
  torch::Tensor label_weights = torch::zeros({n}, opts);
  torch::Tensor bbox_targets = torch::zeros_like(anchors);
  torch::Tensor bbox_weights = torch::zeros_like(anchors);
  if (s.pos_inds.numel() > 0) {
    bbox_targets.index_put_({s.pos_inds}, parts_.bbox_coder->Encode(s.pos_bboxes, s.pos_gt_bboxes));
    bbox_weights.index_put_({s.pos_inds}, 1.0);
    if (rpn || !gt_labels.defined()) {
      labels.index_put_({s.pos_inds}, 0);
    } else {
      labels.index_put_({s.pos_inds}, gt_labels.index({s.pos_assigned_gt_inds}));
    }
    label_weights.index_put_({s.pos_inds}, cfg.pos_weight() <= 0 ? 1.0 : cfg.pos_weight());
  }
  if (s.neg_inds.numel() > 0) label_weights.index_put_({s.neg_inds}, 1.0);
  t.labels = Unmap(labels, total, inside, static_cast<double>(parts_.num_classes));
  t.label_weights = Unmap(label_weights, total, inside, 0);
  t.bbox_targets = Unmap(bbox_targets, total, inside, 0);
  t.bbox_weights = Unmap(bbox_weights, total, inside, 0);
  t.num_pos = s.pos_inds.numel();
  t.num_neg = s.neg_inds.numel();
  return t;
}

absl::StatusOr<LossMap> AnchorHeadImpl::Loss(const DenseOutputs& out, const GroundTruth& gt,
                                             const std::vector<ImageMeta>& metas,
                                             const config::AssignConfig& cfg) {
  MMDET_RETURN_IF_ERROR(EnsureTrainModules(cfg));
  const torch::Device device = out.cls_scores[0].device();
  std::vector<FeatSize> sizes;
  for (const auto& score : out.cls_scores) sizes.push_back({score.size(2), score.size(3)});
  const std::vector<torch::Tensor> level_anchors = parts_.anchor_generator->GridAnchors(sizes, device);
  std::vector<int64_t> level_counts;
  for (const auto& a : level_anchors) level_counts.push_back(a.size(0));
  const torch::Tensor flat_anchors = torch::cat(level_anchors);

  std::vector<torch::Tensor> labels, label_weights, bbox_targets, bbox_weights;
  int64_t num_total_pos = 0, num_total_neg = 0;
  for (size_t i = 0; i < metas.size(); ++i) {
    const ImageMeta& meta = metas[i];
    const torch::Tensor valid = torch::cat(parts_.anchor_generator->ValidFlags(
        sizes, {meta.pad_shape[0], meta.pad_shape[1]}, device));
    const torch::Tensor ignore = i < gt.bboxes_ignore.size() ? gt.bboxes_ignore[i] : torch::Tensor();
    const torch::Tensor gt_labels = i < gt.labels.size() ? gt.labels[i] : torch::Tensor();
    MMDET_ASSIGN_OR_RETURN(ImageTargets t, TargetsForImage(flat_anchors, valid, gt.bboxes[i], ignore,
                                                           gt_labels, meta, cfg));
    labels.push_back(t.labels);
    label_weights.push_back(t.label_weights);
    bbox_targets.push_back(t.bbox_targets);
    bbox_weights.push_back(t.bbox_weights);
    num_total_pos += std::max<int64_t>(t.num_pos, 1);
    num_total_neg += std::max<int64_t>(t.num_neg, 1);
  }
  const double num_total_samples =
      static_cast<double>(sampling_ ? num_total_pos + num_total_neg : num_total_pos);
  const auto labels_l = ImagesToLevels(labels, level_counts);
  const auto label_weights_l = ImagesToLevels(label_weights, level_counts);
  const auto bbox_targets_l = ImagesToLevels(bbox_targets, level_counts);
  const auto bbox_weights_l = ImagesToLevels(bbox_weights, level_counts);
  torch::Tensor loss_cls, loss_bbox;
  for (size_t level = 0; level < out.cls_scores.size(); ++level) {
    const torch::Tensor cls_score =
        out.cls_scores[level].permute({0, 2, 3, 1}).reshape({-1, cls_out_channels_});
    const torch::Tensor bbox_pred = out.bbox_preds[level].permute({0, 2, 3, 1}).reshape({-1, 4});
    torch::Tensor lc = parts_.loss_cls->Compute(cls_score, labels_l[level].reshape(-1),
                                                label_weights_l[level].reshape(-1), num_total_samples);
    torch::Tensor lb = parts_.loss_bbox->Compute(bbox_pred, bbox_targets_l[level].reshape({-1, 4}),
                                                 bbox_weights_l[level].reshape({-1, 4}),
                                                 num_total_samples);
    loss_cls = level == 0 ? lc : loss_cls + lc;
    loss_bbox = level == 0 ? lb : loss_bbox + lb;
  }
  return LossMap{{loss_prefix_ + "cls", loss_cls}, {loss_prefix_ + "bbox", loss_bbox}};
}

std::vector<torch::Tensor> AnchorHeadImpl::GetProposals(const DenseOutputs& out,
                                                        const std::vector<ImageMeta>& metas,
                                                        const config::ProposalConfig& cfg) {
  torch::NoGradGuard no_grad;
  const torch::Device device = out.cls_scores[0].device();
  std::vector<FeatSize> sizes;
  for (const auto& score : out.cls_scores) sizes.push_back({score.size(2), score.size(3)});
  const std::vector<torch::Tensor> anchors = parts_.anchor_generator->GridAnchors(sizes, device);
  std::vector<torch::Tensor> result;
  for (size_t img = 0; img < metas.size(); ++img) {
    const std::array<int64_t, 2> img_shape{metas[img].img_shape[0], metas[img].img_shape[1]};
    std::vector<torch::Tensor> level_proposals;
    for (size_t level = 0; level < out.cls_scores.size(); ++level) {
      torch::Tensor score = out.cls_scores[level][img].permute({1, 2, 0});
      torch::Tensor scores = use_sigmoid_ ? score.reshape(-1).sigmoid()
                                          : score.reshape({-1, 2}).softmax(1).select(1, 0);
      torch::Tensor deltas = out.bbox_preds[level][img].permute({1, 2, 0}).reshape({-1, 4});
      torch::Tensor level_anchors = anchors[level];
      if (cfg.nms_pre() > 0 && scores.size(0) > cfg.nms_pre()) {
        auto [ranked, order] = scores.sort(/*dim=*/0, /*descending=*/true);
        const torch::Tensor top = order.narrow(0, 0, cfg.nms_pre());
        scores = ranked.narrow(0, 0, cfg.nms_pre());
        deltas = deltas.index({top});
        level_anchors = level_anchors.index({top});
      }
      torch::Tensor proposals = parts_.bbox_coder->Decode(level_anchors, deltas, img_shape);
      if (cfg.min_bbox_size() > 0) {
        const torch::Tensor w = proposals.select(1, 2) - proposals.select(1, 0);
        const torch::Tensor h = proposals.select(1, 3) - proposals.select(1, 1);
        const torch::Tensor keep =
            torch::nonzero((w >= cfg.min_bbox_size()) & (h >= cfg.min_bbox_size())).view(-1);
        proposals = proposals.index({keep});
        scores = scores.index({keep});
      }
      const torch::Tensor keep = ops::Nms(proposals, scores, cfg.nms_thr());
      torch::Tensor dets = torch::cat({proposals, scores.unsqueeze(1)}, 1).index({keep});
      if (dets.size(0) > cfg.nms_post()) dets = dets.narrow(0, 0, cfg.nms_post());
      level_proposals.push_back(dets);
    }
    torch::Tensor proposals = torch::cat(level_proposals);
    if (cfg.nms_across_levels()) {
      const torch::Tensor keep =
          ops::Nms(proposals.narrow(1, 0, 4), proposals.select(1, 4), cfg.nms_thr());
      proposals = proposals.index({keep});
      if (proposals.size(0) > cfg.max_num()) proposals = proposals.narrow(0, 0, cfg.max_num());
    } else {
      const int64_t num = std::min<int64_t>(cfg.max_num(), proposals.size(0));
      const torch::Tensor top = std::get<1>(proposals.select(1, 4).topk(num));
      proposals = proposals.index({top});
    }
    result.push_back(proposals);
  }
  return result;
}

std::vector<Detections> AnchorHeadImpl::GetBBoxes(const DenseOutputs& out,
                                                  const std::vector<ImageMeta>& metas,
                                                  const config::DetectionTestConfig& cfg,
                                                  bool rescale) {
  torch::NoGradGuard no_grad;
  const torch::Device device = out.cls_scores[0].device();
  std::vector<FeatSize> sizes;
  for (const auto& score : out.cls_scores) sizes.push_back({score.size(2), score.size(3)});
  const std::vector<torch::Tensor> anchors = parts_.anchor_generator->GridAnchors(sizes, device);
  std::vector<Detections> result;
  for (size_t img = 0; img < metas.size(); ++img) {
    const ImageMeta& meta = metas[img];
    std::vector<torch::Tensor> level_bboxes, level_scores;
    for (size_t level = 0; level < out.cls_scores.size(); ++level) {
      const torch::Tensor logits =
          out.cls_scores[level][img].permute({1, 2, 0}).reshape({-1, cls_out_channels_});
      torch::Tensor scores = use_sigmoid_ ? logits.sigmoid() : logits.softmax(-1);
      torch::Tensor deltas = out.bbox_preds[level][img].permute({1, 2, 0}).reshape({-1, 4});
      torch::Tensor level_anchors = anchors[level];
      if (cfg.nms_pre() > 0 && scores.size(0) > cfg.nms_pre()) {
        const torch::Tensor max_scores =
            std::get<0>((use_sigmoid_ ? scores : scores.narrow(1, 0, parts_.num_classes)).max(1));
        const torch::Tensor top = std::get<1>(max_scores.topk(cfg.nms_pre()));
        level_anchors = level_anchors.index({top});
        deltas = deltas.index({top});
        scores = scores.index({top});
      }
      level_bboxes.push_back(parts_.bbox_coder->Decode(
          level_anchors, deltas, std::array<int64_t, 2>{meta.img_shape[0], meta.img_shape[1]}));
      level_scores.push_back(scores);
    }
    torch::Tensor bboxes = torch::cat(level_bboxes);
    if (rescale) {
      bboxes = bboxes / torch::tensor({meta.scale_factor[0], meta.scale_factor[1],
                                       meta.scale_factor[2], meta.scale_factor[3]},
                                      bboxes.options());
    }
    torch::Tensor scores = torch::cat(level_scores);
    if (use_sigmoid_) scores = torch::cat({scores, torch::zeros({scores.size(0), 1}, scores.options())}, 1);
    result.push_back(MulticlassNms(bboxes, scores, cfg.score_thr(), cfg.nms(), cfg.max_per_img()));
  }
  return result;
}

// ------------------------------------------------------------------------------- RPNHead

class RPNHeadImpl : public AnchorHeadImpl {
 public:
  RPNHeadImpl(AnchorHeadParts parts, int64_t in_channels, int64_t feat_channels)
      : AnchorHeadImpl(std::move(parts), "loss_rpn_") {
    const int64_t a = num_anchors();
    rpn_conv_ = register_module(
        "rpn_conv", nn::Conv2d(nn::Conv2dOptions(in_channels, feat_channels, 3).padding(1)));
    rpn_cls_ = register_module(
        "rpn_cls", nn::Conv2d(nn::Conv2dOptions(feat_channels, a * cls_out_channels_, 1)));
    rpn_reg_ = register_module("rpn_reg", nn::Conv2d(nn::Conv2dOptions(feat_channels, a * 4, 1)));
    NormalInit(rpn_conv_, 0.01);
    NormalInit(rpn_cls_, 0.01);
    NormalInit(rpn_reg_, 0.01);
  }

  DenseOutputs forward(const std::vector<torch::Tensor>& feats) override {
    DenseOutputs out;
    for (const auto& x : feats) {
      const torch::Tensor y = torch::relu(rpn_conv_->forward(x));
      out.cls_scores.push_back(rpn_cls_->forward(y));
      out.bbox_preds.push_back(rpn_reg_->forward(y));
    }
    return out;
  }

 private:
  nn::Conv2d rpn_conv_{nullptr}, rpn_cls_{nullptr}, rpn_reg_{nullptr};
};

// ---------------------------------------------------------------------------- RetinaHead

class RetinaHeadImpl : public AnchorHeadImpl {
 public:
  static absl::StatusOr<std::shared_ptr<RetinaHeadImpl>> Create(AnchorHeadParts parts,
                                                                const config::RetinaHead& cfg,
                                                                const std::string& path) {
    std::shared_ptr<RetinaHeadImpl> head(new RetinaHeadImpl(std::move(parts)));
    nn::ModuleList cls_convs, reg_convs;
    for (int i = 0; i < cfg.stacked_convs(); ++i) {
      ConvModuleOptions o;
      o.in_channels = i == 0 ? cfg.in_channels() : cfg.feat_channels();
      o.out_channels = cfg.feat_channels();
      o.kernel_size = 3;
      o.padding = 1;
      for (auto* tower : {&head->cls_convs_, &head->reg_convs_}) {
        auto conv = ConvModuleImpl::Create(o);
        if (!conv.ok()) return Annotate(conv.status(), path);
        NormalInit((*conv)->conv(), 0.01);
        tower->push_back(*conv);
      }
      cls_convs->push_back(head->cls_convs_.back());
      reg_convs->push_back(head->reg_convs_.back());
    }
    head->register_module("cls_convs", cls_convs);
    head->register_module("reg_convs", reg_convs);
    const int64_t a = head->num_anchors();
    head->retina_cls_ = head->register_module(
        "retina_cls", nn::Conv2d(nn::Conv2dOptions(cfg.feat_channels(),
                                                   a * head->cls_out_channels_, 3)
                                     .padding(1)));
    head->retina_reg_ = head->register_module(
        "retina_reg", nn::Conv2d(nn::Conv2dOptions(cfg.feat_channels(), a * 4, 3).padding(1)));
    NormalInit(head->retina_cls_, 0.01, BiasInitWithProb(0.01));
    NormalInit(head->retina_reg_, 0.01);
    return head;
  }

  DenseOutputs forward(const std::vector<torch::Tensor>& feats) override {
    DenseOutputs out;
    for (const auto& x : feats) {
      torch::Tensor c = x, r = x;
      for (auto& conv : cls_convs_) c = conv->forward(c);
      for (auto& conv : reg_convs_) r = conv->forward(r);
      out.cls_scores.push_back(retina_cls_->forward(c));
      out.bbox_preds.push_back(retina_reg_->forward(r));
    }
    return out;
  }

 private:
  explicit RetinaHeadImpl(AnchorHeadParts parts) : AnchorHeadImpl(std::move(parts), "loss_") {}
  std::vector<std::shared_ptr<ConvModuleImpl>> cls_convs_, reg_convs_;
  nn::Conv2d retina_cls_{nullptr}, retina_reg_{nullptr};
};

// The parts every anchor head config has (RPNHead, RetinaHead), with the given defaults for
// members left unset.
template <typename HeadConfig>
absl::StatusOr<AnchorHeadParts> BuildAnchorHeadParts(const HeadConfig& cfg, const std::string& path,
                                                     int64_t num_classes,
                                                     const char* default_anchors,
                                                     const char* default_loss_cls,
                                                     const char* default_loss_bbox) {
  AnchorHeadParts parts;
  parts.num_classes = num_classes;
  MMDET_ASSIGN_OR_RETURN(
      parts.anchor_generator,
      BuildPriorGenerator(
          ConfigOrDefault(cfg.has_anchor_generator(), cfg.anchor_generator(), default_anchors),
          path + ".anchor_generator"));
  MMDET_ASSIGN_OR_RETURN(
      parts.bbox_coder,
      BuildBBoxCoder(
          ConfigOrDefault(cfg.has_bbox_coder(), cfg.bbox_coder(), "delta_xywh_bbox_coder {}"),
          path + ".bbox_coder"));
  MMDET_ASSIGN_OR_RETURN(
      parts.loss_cls, BuildLoss(ConfigOrDefault(cfg.has_loss_cls(), cfg.loss_cls(), default_loss_cls),
                                path + ".loss_cls"));
  MMDET_ASSIGN_OR_RETURN(
      parts.loss_bbox,
      BuildLoss(ConfigOrDefault(cfg.has_loss_bbox(), cfg.loss_bbox(), default_loss_bbox),
                path + ".loss_bbox"));
  const auto counts = parts.anchor_generator->num_base_anchors();
  if (std::adjacent_find(counts.begin(), counts.end(), std::not_equal_to<>()) != counts.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ".anchor_generator: every level needs the same number of anchors"));
  }
  return parts;
}

absl::StatusOr<std::shared_ptr<DenseHeadImpl>> RPNHeadFromConfig(const config::RPNHead& cfg,
                                                                 const std::string& path) {
  MMDET_ASSIGN_OR_RETURN(
      AnchorHeadParts parts,
      BuildAnchorHeadParts(
          cfg, path, 1,
          "anchor_generator { strides: [4, 8, 16, 32, 64] ratios: [0.5, 1.0, 2.0] "
          "scales: [8, 16, 32] }",
          "cross_entropy_loss { use_sigmoid: true loss_weight: 1.0 }",
          "smooth_l1_loss { beta: 0.1111111111111111 loss_weight: 1.0 }"));
  return std::shared_ptr<DenseHeadImpl>(
      std::make_shared<RPNHeadImpl>(std::move(parts), cfg.in_channels(), cfg.feat_channels()));
}

absl::StatusOr<std::shared_ptr<DenseHeadImpl>> RetinaHeadFromConfig(const config::RetinaHead& cfg,
                                                                    const std::string& path) {
  if (cfg.num_classes() < 1) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".num_classes: must be >= 1"));
  }
  MMDET_ASSIGN_OR_RETURN(
      AnchorHeadParts parts,
      BuildAnchorHeadParts(cfg, path, cfg.num_classes(),
                           "anchor_generator { strides: [8, 16, 32, 64, 128] ratios: [0.5, 1.0, 2.0] "
                           "octave_base_scale: 4 scales_per_octave: 3 }",
                           "focal_loss { use_sigmoid: true gamma: 2.0 alpha: 0.25 }", "l1_loss {}"));
  parts.sampling = !(cfg.has_loss_cls() ? cfg.loss_cls().has_focal_loss() : true);
  MMDET_ASSIGN_OR_RETURN(auto head, RetinaHeadImpl::Create(std::move(parts), cfg, path));
  return std::shared_ptr<DenseHeadImpl>(std::move(head));
}

}  // namespace

MMDET_REGISTER(DenseHeadRegistry, config::RPNHead, RPNHeadFromConfig);
MMDET_REGISTER(DenseHeadRegistry, config::RetinaHead, RetinaHeadFromConfig);

}  // namespace mmdet::models
