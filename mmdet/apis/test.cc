#include "mmdet/apis/test.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/detectors/rpn.h"
#include "mmdet/ops/mask_util.h"
#include "torch/types.h"

namespace mmdet::apis {

evaluation::DetectionResults::Kind ResultsKind(const models::DetectorImpl& model) {
  if (dynamic_cast<const models::RPNDetector*>(&model) != nullptr) {
    return evaluation::DetectionResults::kProposals;
  }
  return model.with_mask() ? evaluation::DetectionResults::kMasks
                           : evaluation::DetectionResults::kBoxes;
}

void AppendImageResult(const models::ImageResult& result, evaluation::DetectionResults* results) {
  std::vector<at::Tensor> boxes;
  for (const torch::Tensor& b : result.bboxes) {
    boxes.push_back(b.detach().to(torch::kCPU, torch::kFloat32).contiguous());
  }
  if (results->kind == evaluation::DetectionResults::kMasks) {
    std::vector<std::vector<ops::Rle>> segms(boxes.size());
    for (size_t c = 0; c < result.masks.size() && c < segms.size(); ++c) {
      for (const torch::Tensor& m : result.masks[c]) segms[c].push_back(ops::Encode(m));
    }
    results->segms.push_back(std::move(segms));
  }
  results->bboxes.push_back(std::move(boxes));
}

absl::StatusOr<TestShard> TestLoader(models::DetectorImpl& model, datasets::DataLoader& loader,
                                     const torch::Device& device, const TestProgress& progress) {
  const size_t n = loader.dataset().size();
  TestShard shard;
  shard.results.kind = ResultsKind(model);
  std::vector<bool> seen(n, false);
  model.eval();
  loader.StartEpoch(0);
  const size_t total = loader.num_batches();
  size_t done = 0;
  while (true) {
    MMDET_ASSIGN_OR_RETURN(std::optional<std::vector<datasets::Batch>> views, loader.Next());
    if (!views) break;
    if (views->size() > 1) {  // test-time augmentation: one image, several views
      std::vector<torch::Tensor> imgs;
      std::vector<models::ImageMeta> metas;
      for (const datasets::Batch& view : *views) {
        imgs.push_back(view.img.to(device));
        metas.insert(metas.end(), view.img_metas.begin(), view.img_metas.end());
      }
      const datasets::Batch& first = (*views)[0];
      const std::string name = first.img_metas.empty() ? "" : first.img_metas[0].filename;
      if (first.size() != 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            name, ": aug test does not support inference with batch size ", first.size()));
      }
      auto out = model.AugTest(imgs, metas, /*rescale=*/true);
      if (!out.ok()) {
        return absl::Status(out.status().code(), absl::StrCat(name, ": ", out.status().message()));
      }
      const size_t index = first.indices[0];
      if (index < n && !seen[index]) {
        seen[index] = true;
        AppendImageResult(*out, &shard.results);
        shard.indices.push_back(index);
      }
    } else {
      const datasets::Batch& batch = (*views)[0];
      auto out = model.SimpleTest(batch.img.to(device), batch.img_metas, /*rescale=*/true);
      if (!out.ok()) {
        return absl::Status(out.status().code(),
                            absl::StrCat(batch.img_metas.empty() ? "" : batch.img_metas[0].filename,
                                         ": ", out.status().message()));
      }
      for (size_t i = 0; i < batch.size() && i < out->size(); ++i) {
        const size_t index = batch.indices[i];
        if (index >= n || seen[index]) continue;  // a padded sampler's repeat
        seen[index] = true;
        AppendImageResult((*out)[i], &shard.results);
        shard.indices.push_back(index);
      }
    }
    ++done;
    if (progress) progress(done, total);
  }
  return shard;
}

absl::StatusOr<evaluation::DetectionResults> SingleGpuTest(models::DetectorImpl& model,
                                                           datasets::DataLoader& loader,
                                                           const torch::Device& device,
                                                           const TestProgress& progress) {
  MMDET_ASSIGN_OR_RETURN(TestShard shard, TestLoader(model, loader, device, progress));
  const size_t n = loader.dataset().size();
  if (shard.indices.size() != n) {
    return absl::InternalError(absl::StrCat("test: the loader visited ", shard.indices.size(),
                                            " of ", n, " images"));
  }
  std::vector<size_t> where(n);
  for (size_t k = 0; k < n; ++k) where[shard.indices[k]] = k;
  evaluation::DetectionResults ordered;
  ordered.kind = shard.results.kind;
  for (size_t i = 0; i < n; ++i) {
    ordered.bboxes.push_back(std::move(shard.results.bboxes[where[i]]));
    if (ordered.kind == evaluation::DetectionResults::kMasks) {
      ordered.segms.push_back(std::move(shard.results.segms[where[i]]));
    }
  }
  return ordered;
}

}  // namespace mmdet::apis
