#include "mmdet/datasets/loader/collate.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "mmdet/core/status_macros.h"

namespace mmdet::datasets {

torch::Tensor PadAndStack(const std::vector<torch::Tensor>& images) {
  int64_t h = 0, w = 0;
  for (const torch::Tensor& t : images) {
    h = std::max(h, t.size(-2));
    w = std::max(w, t.size(-1));
  }
  const torch::Tensor& first = images.front();
  torch::Tensor out = torch::zeros({static_cast<int64_t>(images.size()), first.size(0), h, w},
                                   first.options());
  for (size_t i = 0; i < images.size(); ++i) {
    const torch::Tensor& t = images[i];
    out[static_cast<int64_t>(i)]
        .narrow(1, 0, t.size(-2))
        .narrow(2, 0, t.size(-1))
        .copy_(t);
  }
  return out;
}

absl::StatusOr<Batch> Collate(std::vector<Results> samples, std::vector<size_t> indices) {
  if (samples.empty()) return absl::InvalidArgumentError("collate: an empty batch");
  Batch batch;
  batch.indices = std::move(indices);
  const Results& first = samples.front();
  auto mismatch = [&](const char* key, size_t i) {
    return absl::InvalidArgumentError(absl::StrCat(
        "collate: sample ", i, " (", samples[i].meta.ori_filename, ") and sample 0 disagree on '",
        key, "' (do their pipelines differ?)"));
  };
  std::vector<torch::Tensor> images, segs;
  for (size_t i = 0; i < samples.size(); ++i) {
    Results& r = samples[i];
    if (r.img_tensor.defined() != first.img_tensor.defined()) return mismatch("img", i);
    if (r.img_tensor.defined()) {
      if (r.img_tensor.dim() != 3 || r.img_tensor.scalar_type() != first.img_tensor.scalar_type() ||
          r.img_tensor.size(0) != first.img_tensor.size(0)) {
        return mismatch("img", i);
      }
      images.push_back(r.img_tensor);
    }
    auto take = [&](const torch::Tensor& t, const torch::Tensor& t0, const char* key,
                    std::vector<torch::Tensor>* out) -> absl::Status {
      if (t.defined() != t0.defined()) return mismatch(key, i);
      if (t.defined()) out->push_back(t);
      return absl::OkStatus();
    };
    MMDET_RETURN_IF_ERROR(
        take(r.gt_bboxes_tensor, first.gt_bboxes_tensor, "gt_bboxes", &batch.gt_bboxes));
    MMDET_RETURN_IF_ERROR(
        take(r.gt_labels_tensor, first.gt_labels_tensor, "gt_labels", &batch.gt_labels));
    MMDET_RETURN_IF_ERROR(take(r.gt_bboxes_ignore_tensor, first.gt_bboxes_ignore_tensor,
                               "gt_bboxes_ignore", &batch.gt_bboxes_ignore));
    MMDET_RETURN_IF_ERROR(
        take(r.gt_masks_tensor, first.gt_masks_tensor, "gt_masks", &batch.gt_masks));
    MMDET_RETURN_IF_ERROR(
        take(r.proposals_tensor, first.proposals_tensor, "proposals", &batch.proposals));
    MMDET_RETURN_IF_ERROR(take(r.gt_semantic_seg_tensor, first.gt_semantic_seg_tensor,
                               "gt_semantic_seg", &segs));
    batch.img_metas.push_back(std::move(r.meta));
  }
  if (!images.empty()) {
    batch.img = PadAndStack(images);
    for (ImageMeta& meta : batch.img_metas) {
      meta.batch_input_shape = {batch.img.size(2), batch.img.size(3)};
    }
  }
  if (!segs.empty()) batch.gt_semantic_seg = PadAndStack(segs);
  return batch;
}

}  // namespace mmdet::datasets
