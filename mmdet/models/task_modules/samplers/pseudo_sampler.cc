#include "mmdet/models/task_modules/samplers/pseudo_sampler.h"

#include <memory>
#include <string>
#include <tuple>

#include "mmdet/models/task_modules/samplers/pseudo_sampler.pb.h"

namespace mmdet::models {
namespace {

torch::Tensor IndicesWhere(const torch::Tensor& mask) {
  return std::get<0>(torch::_unique(torch::nonzero(mask).view(-1), /*sorted=*/true));
}

}  // namespace

SamplingResult PseudoSampler::Sample(AssignResult& assign, const torch::Tensor& bboxes,
                                     const torch::Tensor& gt_bboxes,
                                     const torch::Tensor&) const {
  const torch::Tensor gt_flags =
      torch::zeros({bboxes.size(0)}, bboxes.options().dtype(torch::kUInt8));
  return MakeSamplingResult(IndicesWhere(assign.gt_inds > 0), IndicesWhere(assign.gt_inds == 0),
                            bboxes.narrow(1, 0, 4), gt_bboxes, assign, gt_flags);
}

namespace {

absl::StatusOr<std::shared_ptr<BBoxSampler>> PseudoFromConfig(const config::PseudoSampler&,
                                                              const std::string&) {
  return std::shared_ptr<BBoxSampler>(std::make_shared<PseudoSampler>());
}

}  // namespace

MMDET_REGISTER(BBoxSamplerRegistry, config::PseudoSampler, PseudoFromConfig);

}  // namespace mmdet::models
