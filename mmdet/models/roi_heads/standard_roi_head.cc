// StandardRoIHead, SingleRoIExtractor, Shared2FCBBoxHead and FCNMaskHead (MMDetection v2.0).
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "mmdet/core/status.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/dense_heads/dense_head.h"
#include "mmdet/models/layers/layers.h"
#include "mmdet/models/losses/loss.h"
#include "mmdet/models/roi_heads/roi_head.h"
#include "mmdet/models/task_modules/assigners/assigner.h"
#include "mmdet/models/task_modules/bbox_transforms.h"
#include "mmdet/models/task_modules/coders/bbox_coder.h"
#include "mmdet/models/task_modules/samplers/sampler.h"
#include "mmdet/ops/mask_util.h"
#include "mmdet/ops/roi_align.h"
#include "mmdet/ops/roi_pool.h"

namespace mmdet::models {

absl::StatusOr<std::shared_ptr<RoIHeadImpl>> BuildRoIHead(const config::RoIHead& cfg,
                                                          const std::string& path) {
  return BuildFromConfig(RoIHeadRegistry::Global(), cfg, path);
}

torch::Tensor MapRoiLevels(const torch::Tensor& rois, int64_t num_levels, int64_t finest_scale) {
  const torch::Tensor scale = torch::sqrt((rois.select(1, 3) - rois.select(1, 1)) *
                                          (rois.select(1, 4) - rois.select(1, 2)));
  return torch::floor(torch::log2(scale / finest_scale + 1e-6))
      .clamp(0, num_levels - 1)
      .to(torch::kInt64);
}

namespace {

namespace nn = torch::nn;

// ---------------------------------------------------------------------- SingleRoIExtractor

class SingleRoIExtractor {
 public:
  static absl::StatusOr<SingleRoIExtractor> Create(const config::RoIExtractor& parent,
                                                   const std::string& path) {
    if (!parent.has_single_roi_extractor()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": only single_roi_extractor is supported"));
    }
    const config::SingleRoIExtractor& cfg = parent.single_roi_extractor();
    SingleRoIExtractor e;
    if (cfg.featmap_strides_size() == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ".single_roi_extractor.featmap_strides: required"));
    }
    e.strides_.assign(cfg.featmap_strides().begin(), cfg.featmap_strides().end());
    e.finest_scale_ = cfg.finest_scale();
    e.out_channels_ = cfg.out_channels();
    if (cfg.roi_layer().has_roi_pool()) {
      e.pool_ = true;
      e.out_size_ = cfg.roi_layer().roi_pool().out_size();
    } else {
      const config::RoIAlign align = cfg.roi_layer().roi_align();
      e.out_size_ = align.out_size();
      e.sample_num_ = align.sample_num();
      e.aligned_ = align.aligned();
    }
    return e;
  }

  int64_t out_size() const { return out_size_; }

  // map_roi_levels + per-level pooling into [K, C, out, out].
  torch::Tensor operator()(const std::vector<torch::Tensor>& feats,
                           const torch::Tensor& rois) const {
    const int64_t num_levels = static_cast<int64_t>(strides_.size());
    torch::Tensor out = torch::zeros({rois.size(0), out_channels_, out_size_, out_size_},
                                     feats[0].options());
    if (rois.size(0) == 0) return out;
    const torch::Tensor levels = MapRoiLevels(rois, num_levels, finest_scale_);
    for (int64_t level = 0; level < num_levels; ++level) {
      const torch::Tensor inds = torch::nonzero(levels == level).view(-1);
      if (inds.numel() == 0) continue;
      const torch::Tensor level_rois = rois.index({inds});
      const double spatial_scale = 1.0 / strides_[level];
      torch::Tensor pooled =
          pool_ ? ops::RoiPool(feats[level], level_rois, spatial_scale, out_size_, out_size_)
                : ops::RoiAlign(feats[level], level_rois, spatial_scale, out_size_, out_size_,
                                sample_num_, aligned_);
      out = out.index_put({inds}, pooled);
    }
    return out;
  }

 private:
  std::vector<int64_t> strides_;
  int64_t finest_scale_ = 56, out_channels_ = 256, out_size_ = 7, sample_num_ = 0;
  bool aligned_ = true, pool_ = false;
};

// ------------------------------------------------------------------------ Shared2FCBBoxHead

class Shared2FCBBoxHeadImpl : public nn::Module {
 public:
  Shared2FCBBoxHeadImpl(const config::Shared2FCBBoxHead& cfg, std::shared_ptr<BBoxCoder> coder,
                        std::shared_ptr<models::Loss> loss_cls,
                        std::shared_ptr<models::Loss> loss_bbox)
      : cfg_(cfg),
        coder_(std::move(coder)),
        loss_cls_(std::move(loss_cls)),
        loss_bbox_(std::move(loss_bbox)) {
    const int64_t in = int64_t{cfg.in_channels()} * cfg.roi_feat_size() * cfg.roi_feat_size();
    nn::ModuleList shared;
    fc1_ = nn::Linear(in, cfg.fc_out_channels());
    fc2_ = nn::Linear(cfg.fc_out_channels(), cfg.fc_out_channels());
    shared->push_back(fc1_);
    shared->push_back(fc2_);
    register_module("shared_fcs", shared);
    fc_cls_ = register_module("fc_cls", nn::Linear(cfg.fc_out_channels(), cfg.num_classes() + 1));
    fc_reg_ = register_module(
        "fc_reg", nn::Linear(cfg.fc_out_channels(),
                             cfg.reg_class_agnostic() ? 4 : 4 * int64_t{cfg.num_classes()}));
    NormalInit(fc_cls_, 0.01);
    NormalInit(fc_reg_, 0.001);
    torch::NoGradGuard no_grad;
    for (nn::Linear* fc : {&fc1_, &fc2_}) {
      nn::init::xavier_uniform_((*fc)->weight);
      (*fc)->bias.zero_();
    }
  }

  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& feats) {
    torch::Tensor x = feats.flatten(1);
    x = torch::relu(fc1_->forward(x));
    x = torch::relu(fc2_->forward(x));
    return {fc_cls_->forward(x), fc_reg_->forward(x)};
  }

  int64_t num_classes() const { return cfg_.num_classes(); }
  const BBoxCoder& coder() const { return *coder_; }

  struct Targets {
    torch::Tensor labels, label_weights, bbox_targets, bbox_weights;
  };

  Targets GetTargets(const std::vector<SamplingResult>& results,
                     const config::AssignConfig& cfg) const {
    std::vector<torch::Tensor> labels, label_weights, bbox_targets, bbox_weights;
    for (const SamplingResult& s : results) {
      const int64_t num_pos = s.pos_bboxes.size(0), num_neg = s.neg_bboxes.size(0);
      const auto opts = s.pos_bboxes.options();
      torch::Tensor l = torch::full({num_pos + num_neg}, cfg_.num_classes(), opts.dtype(torch::kInt64));
      torch::Tensor lw = torch::zeros({num_pos + num_neg}, opts);
      torch::Tensor bt = torch::zeros({num_pos + num_neg, 4}, opts);
      torch::Tensor bw = torch::zeros({num_pos + num_neg, 4}, opts);
      if (num_pos > 0) {
        l.narrow(0, 0, num_pos).copy_(s.pos_gt_labels);
        lw.narrow(0, 0, num_pos).fill_(cfg.pos_weight() <= 0 ? 1.0 : cfg.pos_weight());
        bt.narrow(0, 0, num_pos).copy_(coder_->Encode(s.pos_bboxes, s.pos_gt_bboxes));
        bw.narrow(0, 0, num_pos).fill_(1.0);
      }
      if (num_neg > 0) lw.narrow(0, num_pos, num_neg).fill_(1.0);
      labels.push_back(l);
      label_weights.push_back(lw);
      bbox_targets.push_back(bt);
      bbox_weights.push_back(bw);
    }
    return {torch::cat(labels), torch::cat(label_weights), torch::cat(bbox_targets),
            torch::cat(bbox_weights)};
  }

  LossMap Loss(const torch::Tensor& cls_score, const torch::Tensor& bbox_pred,
               const Targets& t) const {
    LossMap losses;
    const double avg_factor =
        std::max((t.label_weights > 0).sum().item<double>(), 1.0);
    if (cls_score.numel() > 0) {
      losses.emplace_back("loss_cls",
                          loss_cls_->Compute(cls_score, t.labels, t.label_weights, avg_factor));
      // accuracy(): top-1, in percent.
      const torch::Tensor pred = std::get<1>(cls_score.topk(1, 1)).view(-1);
      losses.emplace_back("acc", (pred == t.labels).to(torch::kFloat32).sum() *
                                     (100.0 / cls_score.size(0)));
    }
    const torch::Tensor pos = (t.labels >= 0) & (t.labels < cfg_.num_classes());
    if (pos.any().item<bool>()) {
      torch::Tensor pos_pred;
      if (cfg_.reg_class_agnostic()) {
        pos_pred = bbox_pred.view({bbox_pred.size(0), 4}).index({pos});
      } else {
        pos_pred = bbox_pred.view({bbox_pred.size(0), -1, 4}).index({pos, t.labels.index({pos})});
      }
      losses.emplace_back("loss_bbox",
                          loss_bbox_->Compute(pos_pred, t.bbox_targets.index({pos}),
                                              t.bbox_weights.index({pos}),
                                              static_cast<double>(t.bbox_targets.size(0))));
    } else {
      losses.emplace_back("loss_bbox", bbox_pred.sum() * 0);
    }
    return losses;
  }

 private:
  config::Shared2FCBBoxHead cfg_;
  std::shared_ptr<BBoxCoder> coder_;
  std::shared_ptr<models::Loss> loss_cls_, loss_bbox_;
  nn::Linear fc1_{nullptr}, fc2_{nullptr}, fc_cls_{nullptr}, fc_reg_{nullptr};
};

// ------------------------------------------------------------------------------ FCNMaskHead

class FCNMaskHeadImpl : public nn::Module {
 public:
  static absl::StatusOr<std::shared_ptr<FCNMaskHeadImpl>> Create(const config::FCNMaskHead& cfg,
                                                                 const std::string& path) {
    std::shared_ptr<FCNMaskHeadImpl> head(new FCNMaskHeadImpl);
    head->cfg_ = cfg;
    const config::Loss loss_cfg = ConfigOrDefault(
        cfg.has_loss_mask(), cfg.loss_mask(), "cross_entropy_loss { use_mask: true loss_weight: 1.0 }");
    MMDET_ASSIGN_OR_RETURN(head->loss_mask_, BuildLoss(loss_cfg, path + ".loss_mask"));
    nn::ModuleList convs;
    for (int i = 0; i < cfg.num_convs(); ++i) {
      ConvModuleOptions o;
      o.in_channels = i == 0 ? cfg.in_channels() : cfg.conv_out_channels();
      o.out_channels = cfg.conv_out_channels();
      o.kernel_size = cfg.conv_kernel_size();
      o.padding = (cfg.conv_kernel_size() - 1) / 2;
      auto conv = ConvModuleImpl::Create(o);
      if (!conv.ok()) return Annotate(conv.status(), path);
      convs->push_back(*conv);
      head->convs_.push_back(*conv);
    }
    head->register_module("convs", convs);
    const int64_t up_in = cfg.num_convs() > 0 ? cfg.conv_out_channels() : cfg.in_channels();
    head->upsample_ = head->register_module(
        "upsample", nn::ConvTranspose2d(
                        nn::ConvTranspose2dOptions(up_in, cfg.conv_out_channels(), 2).stride(2)));
    head->conv_logits_ = head->register_module(
        "conv_logits", nn::Conv2d(nn::Conv2dOptions(cfg.conv_out_channels(),
                                                    cfg.class_agnostic() ? 1 : cfg.num_classes(), 1)));
    torch::NoGradGuard no_grad;
    nn::init::kaiming_normal_(head->upsample_->weight, 0, torch::kFanOut, torch::kReLU);
    head->upsample_->bias.zero_();
    nn::init::kaiming_normal_(head->conv_logits_->weight, 0, torch::kFanOut, torch::kReLU);
    head->conv_logits_->bias.zero_();
    return head;
  }

  torch::Tensor forward(const torch::Tensor& feats) {
    torch::Tensor x = feats;
    for (auto& conv : convs_) x = conv->forward(x);
    return conv_logits_->forward(torch::relu(upsample_->forward(x)));
  }

  int64_t mask_size() const { return cfg_.roi_feat_size() * 2; }

  // mask_target: each positive's gt mask RoIAligned (aligned, 1 sample grid = adaptive) to
  // mask_size at its proposal (clipped to the mask), thresholded at 0.5.
  torch::Tensor GetTargets(const std::vector<SamplingResult>& results,
                           const std::vector<torch::Tensor>& gt_masks, int64_t mask_size) const {
    std::vector<torch::Tensor> targets;
    for (size_t i = 0; i < results.size(); ++i) {
      const SamplingResult& s = results[i];
      const int64_t num_pos = s.pos_bboxes.size(0);
      if (num_pos == 0) {
        targets.push_back(torch::zeros({0, mask_size, mask_size}, s.pos_bboxes.options()));
        continue;
      }
      const torch::Tensor masks = gt_masks[i];
      const double h = masks.size(1), w = masks.size(2);
      torch::Tensor boxes = s.pos_bboxes.clone();
      boxes.select(1, 0).clamp_(0, w);
      boxes.select(1, 2).clamp_(0, w);
      boxes.select(1, 1).clamp_(0, h);
      boxes.select(1, 3).clamp_(0, h);
      const torch::Tensor rois = torch::cat(
          {torch::arange(num_pos, boxes.options()).unsqueeze(1), boxes}, 1);
      const torch::Tensor selected = masks.to(boxes.device())
                                         .index_select(0, s.pos_assigned_gt_inds)
                                         .to(boxes.dtype())
                                         .unsqueeze(1);
      const torch::Tensor aligned =
          ops::RoiAlign(selected, rois, 1.0, mask_size, mask_size, 0, true).squeeze(1);
      targets.push_back((aligned >= 0.5).to(boxes.dtype()));
    }
    return torch::cat(targets);
  }

  torch::Tensor Loss(const torch::Tensor& mask_pred, const torch::Tensor& targets,
                     const torch::Tensor& labels) const {
    if (mask_pred.size(0) == 0) return mask_pred.sum() * 0;
    const torch::Tensor l = cfg_.class_agnostic() ? torch::zeros_like(labels) : labels;
    return loss_mask_->Compute(mask_pred, targets, l).squeeze();
  }

  // get_seg_masks: per class, the binary masks [img_h, img_w] of the detections.
  std::vector<std::vector<torch::Tensor>> GetSegMasks(const torch::Tensor& mask_pred,
                                                      const torch::Tensor& boxes,
                                                      const torch::Tensor& labels,
                                                      int64_t img_h, int64_t img_w,
                                                      double threshold) const {
    std::vector<std::vector<torch::Tensor>> per_class(cfg_.num_classes());
    const int64_t n = mask_pred.size(0);
    if (n == 0) return per_class;
    torch::Tensor probs = mask_pred.sigmoid();
    if (!cfg_.class_agnostic()) {
      probs = probs.index({torch::arange(n, labels.options()), labels});
    } else {
      probs = probs.select(1, 0);
    }
    const torch::Tensor pasted = ops::PasteMasks(probs, boxes, img_h, img_w, threshold).cpu();
    const torch::Tensor l = labels.cpu();
    for (int64_t i = 0; i < n; ++i) per_class[l[i].item<int64_t>()].push_back(pasted[i]);
    return per_class;
  }

 private:
  FCNMaskHeadImpl() = default;
  config::FCNMaskHead cfg_;
  std::shared_ptr<models::Loss> loss_mask_;
  std::vector<std::shared_ptr<ConvModuleImpl>> convs_;
  nn::ConvTranspose2d upsample_{nullptr};
  nn::Conv2d conv_logits_{nullptr};
};

// -------------------------------------------------------------------------- StandardRoIHead

class StandardRoIHeadImpl : public RoIHeadImpl {
 public:
  static absl::StatusOr<std::shared_ptr<StandardRoIHeadImpl>> Create(
      const config::StandardRoIHead& cfg, const std::string& path);

  bool with_mask() const override { return mask_head_ != nullptr; }
  int64_t num_classes() const override { return bbox_head_->num_classes(); }

  absl::StatusOr<LossMap> ForwardTrain(const std::vector<torch::Tensor>& feats,
                                       const std::vector<ImageMeta>& metas,
                                       const std::vector<torch::Tensor>& proposals,
                                       const GroundTruth& gt,
                                       const config::AssignConfig& cfg) override;

  std::vector<ImageResult> SimpleTest(const std::vector<torch::Tensor>& feats,
                                      const std::vector<ImageMeta>& metas,
                                      const std::vector<torch::Tensor>& proposals,
                                      const config::DetectionTestConfig& cfg,
                                      bool rescale) override;

 private:
  StandardRoIHeadImpl() = default;
  absl::Status EnsureTrainModules(const config::AssignConfig& cfg);

  std::optional<SingleRoIExtractor> bbox_extractor_, mask_extractor_;
  std::shared_ptr<Shared2FCBBoxHeadImpl> bbox_head_;
  std::shared_ptr<FCNMaskHeadImpl> mask_head_;
  std::shared_ptr<Assigner> assigner_;
  std::shared_ptr<BBoxSampler> sampler_;
  std::string train_cfg_key_;
};

absl::StatusOr<std::shared_ptr<StandardRoIHeadImpl>> StandardRoIHeadImpl::Create(
    const config::StandardRoIHead& cfg, const std::string& path) {
  std::shared_ptr<StandardRoIHeadImpl> head(new StandardRoIHeadImpl);
  MMDET_ASSIGN_OR_RETURN(head->bbox_extractor_,
                         SingleRoIExtractor::Create(cfg.bbox_roi_extractor(),
                                                    path + ".bbox_roi_extractor"));
  if (!cfg.bbox_head().has_shared2fc_bbox_head()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ".bbox_head: only shared2fc_bbox_head is supported"));
  }
  const config::Shared2FCBBoxHead& bh = cfg.bbox_head().shared2fc_bbox_head();
  const std::string bpath = path + ".bbox_head.shared2fc_bbox_head";
  if (bh.num_classes() < 1) {
    return absl::InvalidArgumentError(absl::StrCat(bpath, ".num_classes: must be >= 1"));
  }
  if (bh.roi_feat_size() != head->bbox_extractor_->out_size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        bpath, ".roi_feat_size: ", bh.roi_feat_size(), " but the extractor pools ",
        head->bbox_extractor_->out_size()));
  }
  const config::BBoxCoder coder_cfg =
      ConfigOrDefault(bh.has_bbox_coder(), bh.bbox_coder(),
                      "delta_xywh_bbox_coder { target_stds: [0.1, 0.1, 0.2, 0.2] }");
  MMDET_ASSIGN_OR_RETURN(auto coder, BuildBBoxCoder(coder_cfg, bpath + ".bbox_coder"));
  const config::Loss cls_cfg =
      ConfigOrDefault(bh.has_loss_cls(), bh.loss_cls(), "cross_entropy_loss { loss_weight: 1.0 }");
  MMDET_ASSIGN_OR_RETURN(auto loss_cls, BuildLoss(cls_cfg, bpath + ".loss_cls"));
  const config::Loss bbox_cfg = ConfigOrDefault(bh.has_loss_bbox(), bh.loss_bbox(),
                                                "smooth_l1_loss { beta: 1.0 loss_weight: 1.0 }");
  MMDET_ASSIGN_OR_RETURN(auto loss_bbox, BuildLoss(bbox_cfg, bpath + ".loss_bbox"));
  if (loss_cls->use_sigmoid()) {
    return absl::InvalidArgumentError(
        absl::StrCat(bpath, ".loss_cls: the bbox head needs a softmax classification loss"));
  }
  head->bbox_head_ = head->register_module(
      "bbox_head", std::make_shared<Shared2FCBBoxHeadImpl>(bh, coder, loss_cls, loss_bbox));
  if (cfg.has_mask_head() != cfg.has_mask_roi_extractor()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": mask_roi_extractor and mask_head go together"));
  }
  if (cfg.has_mask_head()) {
    MMDET_ASSIGN_OR_RETURN(head->mask_extractor_,
                           SingleRoIExtractor::Create(cfg.mask_roi_extractor(),
                                                      path + ".mask_roi_extractor"));
    if (!cfg.mask_head().has_fcn_mask_head()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ".mask_head: only fcn_mask_head is supported"));
    }
    const config::FCNMaskHead& mh = cfg.mask_head().fcn_mask_head();
    if (mh.num_classes() != bh.num_classes()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ".mask_head.fcn_mask_head.num_classes: ", mh.num_classes(),
          " but the bbox head has ", bh.num_classes()));
    }
    MMDET_ASSIGN_OR_RETURN(auto mask_head,
                           FCNMaskHeadImpl::Create(mh, path + ".mask_head.fcn_mask_head"));
    head->mask_head_ = head->register_module("mask_head", mask_head);
  }
  return head;
}

absl::Status StandardRoIHeadImpl::EnsureTrainModules(const config::AssignConfig& cfg) {
  const std::string key = cfg.SerializeAsString();
  if (assigner_ && key == train_cfg_key_) return absl::OkStatus();
  if (!cfg.has_assigner() || !cfg.has_sampler()) {
    return absl::InvalidArgumentError("train_cfg.rcnn: assigner and sampler are required");
  }
  MMDET_ASSIGN_OR_RETURN(assigner_, BuildAssigner(cfg.assigner(), "train_cfg.rcnn.assigner"));
  MMDET_ASSIGN_OR_RETURN(sampler_, BuildBBoxSampler(cfg.sampler(), "train_cfg.rcnn.sampler"));
  train_cfg_key_ = key;
  return absl::OkStatus();
}

absl::StatusOr<LossMap> StandardRoIHeadImpl::ForwardTrain(
    const std::vector<torch::Tensor>& feats, const std::vector<ImageMeta>& metas,
    const std::vector<torch::Tensor>& proposals, const GroundTruth& gt,
    const config::AssignConfig& cfg) {
  MMDET_RETURN_IF_ERROR(EnsureTrainModules(cfg));
  std::vector<SamplingResult> samples;
  for (size_t i = 0; i < metas.size(); ++i) {
    const torch::Tensor ignore = i < gt.bboxes_ignore.size() ? gt.bboxes_ignore[i] : torch::Tensor();
    const torch::Tensor boxes = proposals[i].narrow(1, 0, 4).detach();
    AssignResult assign = assigner_->Assign(boxes, gt.bboxes[i], ignore, gt.labels[i]);
    samples.push_back(sampler_->Sample(assign, boxes, gt.bboxes[i], gt.labels[i]));
  }
  std::vector<torch::Tensor> sampled;
  for (const auto& s : samples) sampled.push_back(s.bboxes());
  const torch::Tensor rois = Bbox2Roi(sampled);
  const torch::Tensor bbox_feats = (*bbox_extractor_)(feats, rois);
  auto [cls_score, bbox_pred] = bbox_head_->forward(bbox_feats);
  LossMap losses = bbox_head_->Loss(cls_score, bbox_pred, bbox_head_->GetTargets(samples, cfg));
  if (mask_head_) {
    if (gt.masks.size() != metas.size()) {
      return absl::InvalidArgumentError(
          "Mask R-CNN training needs gt_masks: add with_mask: true to LoadAnnotations and "
          "\"gt_masks\" to Collect's keys");
    }
    std::vector<torch::Tensor> pos_boxes, pos_labels;
    for (const auto& s : samples) {
      pos_boxes.push_back(s.pos_bboxes);
      pos_labels.push_back(s.pos_gt_labels);
    }
    const torch::Tensor pos_rois = Bbox2Roi(pos_boxes);
    const torch::Tensor mask_pred = mask_head_->forward((*mask_extractor_)(feats, pos_rois));
    const int64_t mask_size = cfg.mask_size();
    const torch::Tensor targets = mask_head_->GetTargets(samples, gt.masks, mask_size);
    if (mask_pred.size(-1) != mask_size) {
      return absl::InvalidArgumentError(absl::StrCat(
          "train_cfg.rcnn.mask_size: ", mask_size, " but the mask head predicts ",
          mask_pred.size(-1), "x", mask_pred.size(-1)));
    }
    losses.emplace_back("loss_mask", mask_head_->Loss(mask_pred, targets, torch::cat(pos_labels)));
  }
  return losses;
}

std::vector<ImageResult> StandardRoIHeadImpl::SimpleTest(
    const std::vector<torch::Tensor>& feats, const std::vector<ImageMeta>& metas,
    const std::vector<torch::Tensor>& proposals, const config::DetectionTestConfig& cfg,
    bool rescale) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> boxes;
  for (const auto& p : proposals) boxes.push_back(p.narrow(1, 0, 4));
  const torch::Tensor rois = Bbox2Roi(boxes);
  auto [cls_score, bbox_pred] = bbox_head_->forward((*bbox_extractor_)(feats, rois));
  const torch::Tensor scores_all = cls_score.softmax(1);
  std::vector<ImageResult> results;
  int64_t start = 0;
  for (size_t i = 0; i < metas.size(); ++i) {
    const ImageMeta& meta = metas[i];
    const int64_t n = proposals[i].size(0);
    const torch::Tensor img_rois = rois.narrow(0, start, n);
    const torch::Tensor scores = scores_all.narrow(0, start, n);
    const torch::Tensor deltas = bbox_pred.narrow(0, start, n);
    start += n;
    torch::Tensor bboxes = bbox_head_->coder().Decode(
        img_rois.narrow(1, 1, 4), deltas, std::array<int64_t, 2>{meta.img_shape[0], meta.img_shape[1]});
    const torch::Tensor scale = torch::tensor(
        {meta.scale_factor[0], meta.scale_factor[1], meta.scale_factor[2], meta.scale_factor[3]},
        bboxes.options());
    if (rescale) bboxes = (bboxes.view({bboxes.size(0), -1, 4}) / scale).view({bboxes.size(0), -1});
    Detections det = MulticlassNms(bboxes, scores, cfg.score_thr(), cfg.nms(), cfg.max_per_img());
    ImageResult result;
    result.bboxes = Bbox2Result(det.dets, det.labels, num_classes());
    if (mask_head_) {
      // Masks are predicted at the boxes in the network input's frame, then pasted into the
      // original image (rescale) or the resized one.
      const torch::Tensor input_boxes =
          rescale ? det.dets.narrow(1, 0, 4) * scale : det.dets.narrow(1, 0, 4);
      int64_t img_h = meta.ori_shape[0], img_w = meta.ori_shape[1];
      torch::Tensor paste_boxes = det.dets.narrow(1, 0, 4);
      if (!rescale) {
        img_h = std::llround(meta.ori_shape[0] * meta.scale_factor[1]);
        img_w = std::llround(meta.ori_shape[1] * meta.scale_factor[0]);
      }
      if (det.dets.size(0) == 0) {
        result.masks.assign(num_classes(), {});
      } else {
        std::vector<torch::Tensor> per_image(i + 1, torch::zeros({0, 4}, input_boxes.options()));
        per_image[i] = input_boxes;  // image index i in the RoIs
        const torch::Tensor mask_rois = Bbox2Roi(per_image);
        const torch::Tensor mask_pred = mask_head_->forward((*mask_extractor_)(feats, mask_rois));
        result.masks = mask_head_->GetSegMasks(mask_pred, paste_boxes, det.labels, img_h, img_w,
                                               cfg.mask_thr_binary());
      }
    }
    results.push_back(std::move(result));
  }
  return results;
}

absl::StatusOr<std::shared_ptr<RoIHeadImpl>> StandardFromConfig(const config::StandardRoIHead& cfg,
                                                                const std::string& path) {
  MMDET_ASSIGN_OR_RETURN(auto head, StandardRoIHeadImpl::Create(cfg, path));
  return std::shared_ptr<RoIHeadImpl>(std::move(head));
}

}  // namespace

MMDET_REGISTER(RoIHeadRegistry, config::StandardRoIHead, StandardFromConfig);

}  // namespace mmdet::models
