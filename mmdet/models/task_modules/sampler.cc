#include "absl/strings/str_cat.h"
#include "mmdet/models/task_modules/task_modules.h"

namespace mmdet::models {
namespace {

// `count` elements of `gallery` drawn without replacement (randperm), or all of them.
torch::Tensor RandomChoice(const torch::Tensor& gallery, int64_t count) {
  if (gallery.numel() <= count) return gallery;
  const torch::Tensor perm =
      torch::randperm(gallery.numel(), torch::TensorOptions().dtype(torch::kInt64))
          .narrow(0, 0, count)
          .to(gallery.device());
  return gallery.index({perm});
}

SamplingResult MakeResult(torch::Tensor pos_inds, torch::Tensor neg_inds,
                          const torch::Tensor& bboxes, const torch::Tensor& gt_bboxes,
                          const AssignResult& assign, const torch::Tensor& gt_flags) {
  SamplingResult r;
  r.pos_inds = std::move(pos_inds);
  r.neg_inds = std::move(neg_inds);
  r.pos_bboxes = bboxes.index({r.pos_inds});
  r.neg_bboxes = bboxes.index({r.neg_inds});
  r.pos_is_gt = gt_flags.index({r.pos_inds});
  r.num_gts = gt_bboxes.size(0);
  r.pos_assigned_gt_inds = assign.gt_inds.index({r.pos_inds}) - 1;
  if (gt_bboxes.numel() == 0) {
    r.pos_gt_bboxes = torch::empty({0, 4}, bboxes.options());
  } else {
    r.pos_gt_bboxes = gt_bboxes.view({-1, 4}).index({r.pos_assigned_gt_inds});
  }
  if (assign.labels.defined()) r.pos_gt_labels = assign.labels.index({r.pos_inds});
  return r;
}

torch::Tensor IndicesWhere(const torch::Tensor& mask) {
  return std::get<0>(torch::_unique(torch::nonzero(mask).view(-1), /*sorted=*/true));
}

}  // namespace

SamplingResult RandomSampler::Sample(AssignResult& assign, const torch::Tensor& bboxes_in,
                                     const torch::Tensor& gt_bboxes,
                                     const torch::Tensor& gt_labels) const {
  torch::Tensor bboxes = bboxes_in.narrow(1, 0, 4);
  torch::Tensor gt_flags =
      torch::zeros({bboxes.size(0)}, bboxes.options().dtype(torch::kUInt8));
  if (cfg_.add_gt_as_proposals() && gt_bboxes.size(0) > 0) {
    bboxes = torch::cat({gt_bboxes.to(bboxes.dtype()), bboxes});
    assign.AddGtAsProposals(gt_bboxes.size(0), gt_labels);
    gt_flags = torch::cat({torch::ones({gt_bboxes.size(0)}, gt_flags.options()), gt_flags});
  }
  const int64_t num_expected_pos = static_cast<int64_t>(cfg_.num() * cfg_.pos_fraction());
  // _sample_pos / _sample_neg, then .unique() (which also sorts) as MMDetection does.
  torch::Tensor pos = torch::nonzero(assign.gt_inds > 0).view(-1);
  pos = std::get<0>(torch::_unique(RandomChoice(pos, num_expected_pos), true));
  int64_t num_expected_neg = cfg_.num() - pos.numel();
  if (cfg_.neg_pos_ub() >= 0) {
    const int64_t upper = static_cast<int64_t>(cfg_.neg_pos_ub() * std::max<int64_t>(1, pos.numel()));
    num_expected_neg = std::min(num_expected_neg, upper);
  }
  torch::Tensor neg = torch::nonzero(assign.gt_inds == 0).view(-1);
  neg = std::get<0>(torch::_unique(RandomChoice(neg, num_expected_neg), true));
  return MakeResult(pos, neg, bboxes, gt_bboxes, assign, gt_flags);
}

SamplingResult PseudoSampler::Sample(AssignResult& assign, const torch::Tensor& bboxes,
                                     const torch::Tensor& gt_bboxes,
                                     const torch::Tensor&) const {
  const torch::Tensor gt_flags =
      torch::zeros({bboxes.size(0)}, bboxes.options().dtype(torch::kUInt8));
  return MakeResult(IndicesWhere(assign.gt_inds > 0), IndicesWhere(assign.gt_inds == 0),
                    bboxes.narrow(1, 0, 4), gt_bboxes, assign, gt_flags);
}

absl::StatusOr<std::shared_ptr<BBoxSampler>> BuildBBoxSampler(const config::Sampler& cfg,
                                                              const std::string& path) {
  return BuildFromConfig(BBoxSamplerRegistry::Global(), cfg, path);
}

namespace {

absl::StatusOr<std::shared_ptr<BBoxSampler>> RandomFromConfig(const config::RandomSampler& cfg,
                                                              const std::string& path) {
  if (cfg.num() < 1) return absl::InvalidArgumentError(absl::StrCat(path, ".num: must be >= 1"));
  if (cfg.pos_fraction() < 0 || cfg.pos_fraction() > 1) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".pos_fraction: expected 0 to 1"));
  }
  return std::shared_ptr<BBoxSampler>(std::make_shared<RandomSampler>(cfg));
}

absl::StatusOr<std::shared_ptr<BBoxSampler>> PseudoFromConfig(const config::PseudoSampler&,
                                                              const std::string&) {
  return std::shared_ptr<BBoxSampler>(std::make_shared<PseudoSampler>());
}

}  // namespace

MMDET_REGISTER(BBoxSamplerRegistry, config::RandomSampler, RandomFromConfig);
MMDET_REGISTER(BBoxSamplerRegistry, config::PseudoSampler, PseudoFromConfig);

torch::Tensor Bbox2Roi(const std::vector<torch::Tensor>& bbox_list) {
  std::vector<torch::Tensor> rois;
  for (size_t i = 0; i < bbox_list.size(); ++i) {
    const torch::Tensor& b = bbox_list[i];
    if (b.size(0) > 0) {
      rois.push_back(torch::cat(
          {torch::full({b.size(0), 1}, static_cast<double>(i), b.options()), b.narrow(1, 0, 4)},
          1));
    } else {
      rois.push_back(torch::zeros({0, 5}, b.options()));
    }
  }
  return torch::cat(rois, 0);
}

std::vector<torch::Tensor> Roi2Bbox(const torch::Tensor& rois, int64_t num_images) {
  std::vector<torch::Tensor> out;
  for (int64_t i = 0; i < num_images; ++i) {
    const torch::Tensor inds = torch::nonzero(rois.select(1, 0) == i).view(-1);
    out.push_back(rois.index({inds}).narrow(1, 1, rois.size(1) - 1));
  }
  return out;
}

std::vector<torch::Tensor> Bbox2Result(const torch::Tensor& dets, const torch::Tensor& labels,
                                       int64_t num_classes) {
  std::vector<torch::Tensor> out;
  const torch::Tensor d = dets.detach().cpu().to(torch::kFloat32);
  const torch::Tensor l = labels.detach().cpu();
  for (int64_t c = 0; c < num_classes; ++c) {
    out.push_back(d.size(0) == 0 ? torch::zeros({0, 5}) : d.index({l == c}).contiguous());
  }
  return out;
}

}  // namespace mmdet::models
