#include "mmdet/runner/detector_source.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "mmdet/core/status_macros.h"

namespace mmdet::runner {
namespace {

std::vector<torch::Tensor> To(const std::vector<torch::Tensor>& tensors, const torch::Device& d) {
  std::vector<torch::Tensor> out;
  out.reserve(tensors.size());
  for (const torch::Tensor& t : tensors) out.push_back(t.defined() ? t.to(d) : t);
  return out;
}

}  // namespace

models::GroundTruth BatchGroundTruth(const datasets::Batch& batch, const torch::Device& device) {
  models::GroundTruth gt;
  gt.bboxes = To(batch.gt_bboxes, device);
  gt.labels = To(batch.gt_labels, device);
  gt.bboxes_ignore = To(batch.gt_bboxes_ignore, device);
  gt.masks = To(batch.gt_masks, device);
  return gt;
}

absl::StatusOr<bool> DetectorTrainSource::NextBatch() {
  MMDET_ASSIGN_OR_RETURN(std::optional<std::vector<datasets::Batch>> batch, loader_.Next());
  if (!batch) {
    batch_.reset();
    return false;
  }
  if (batch->empty()) return absl::InternalError("the loader returned a batch without views");
  batch_ = std::move((*batch)[0]);
  return true;
}

absl::StatusOr<StepOutput> DetectorTrainSource::TrainStep() {
  if (!batch_) return absl::InternalError("TrainStep before NextBatch");
  const datasets::Batch& b = *batch_;
  if (b.gt_bboxes.size() != b.size() || b.gt_labels.size() != b.size()) {
    return absl::InvalidArgumentError(
        "the training pipeline does not collect gt_bboxes and gt_labels: add them to "
        "Collect's keys (data.train_pipeline)");
  }
  try {
    MMDET_ASSIGN_OR_RETURN(models::LossMap losses,
                           model_.ForwardTrain(b.img.to(device_), b.img_metas,
                                               BatchGroundTruth(b, device_)));
    StepOutput out;
    out.losses = models::ParseLosses(losses);
    out.num_samples = static_cast<int>(b.size());
    if (!out.losses.loss.defined()) {
      return absl::InvalidArgumentError("the model returned no loss terms");
    }
    if (pg_ != nullptr && pg_->world_size() > 1 && !out.losses.log_vars.empty()) {
      std::vector<torch::Tensor> values;
      for (const auto& [name, v] : out.losses.log_vars) {
        values.push_back(v.detach().to(torch::kCPU, torch::kFloat32).reshape({1}));
      }
      torch::Tensor all = torch::cat(values).div_(static_cast<double>(pg_->world_size()));
      if (pg_->backend() == "nccl") all = all.to(device_);
      MMDET_RETURN_IF_ERROR(pg_->AllReduceSum(all));
      all = all.to(torch::kCPU);
      for (size_t k = 0; k < out.losses.log_vars.size(); ++k) {
        out.losses.log_vars[k].second = all[static_cast<int64_t>(k)];
      }
    }
    return out;
  } catch (const std::exception& e) {
    std::string names;
    for (const auto& meta : b.img_metas) absl::StrAppend(&names, names.empty() ? "" : ", ", meta.filename);
    return absl::InternalError(absl::StrCat("forward_train on [", names, "]: ", e.what()));
  }
}

}  // namespace mmdet::runner
