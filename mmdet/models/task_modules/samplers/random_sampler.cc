#include "mmdet/models/task_modules/samplers/random_sampler.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"

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
  return MakeSamplingResult(pos, neg, bboxes, gt_bboxes, assign, gt_flags);
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

}  // namespace

MMDET_REGISTER(BBoxSamplerRegistry, config::RandomSampler, RandomFromConfig);

}  // namespace mmdet::models
