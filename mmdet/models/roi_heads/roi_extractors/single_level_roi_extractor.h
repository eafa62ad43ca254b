// SingleRoIExtractor (MMDetection v2.0's roi_extractors/single_level_roi_extractor.py): each
// RoI is pooled (RoIAlign or RoIPool) from the one feature level its scale maps to.
#ifndef MMDET_MODELS_ROI_HEADS_ROI_EXTRACTORS_SINGLE_LEVEL_ROI_EXTRACTOR_H_
#define MMDET_MODELS_ROI_HEADS_ROI_EXTRACTORS_SINGLE_LEVEL_ROI_EXTRACTOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/models/roi_heads/roi_extractors/base_roi_extractor.h"
#include "mmdet/models/roi_heads/roi_extractors/single_roi_extractor.pb.h"

namespace mmdet::models {

// SingleRoIExtractor.map_roi_levels: rois [k, 5] -> level per RoI,
// floor(log2(sqrt(w * h) / finest_scale + 1e-6)) clamped to [0, num_levels - 1].
torch::Tensor MapRoiLevels(const torch::Tensor& rois, int64_t num_levels, int64_t finest_scale);

class SingleRoIExtractorImpl : public RoIExtractorImpl {
 public:
  static absl::StatusOr<std::shared_ptr<SingleRoIExtractorImpl>> Create(
      const config::SingleRoIExtractor& cfg, const std::string& path);

  // map_roi_levels + per-level pooling into [K, C, out, out].
  torch::Tensor forward(const std::vector<torch::Tensor>& feats,
                        const torch::Tensor& rois) override;
  int64_t out_size() const override { return out_size_; }

 private:
  SingleRoIExtractorImpl() = default;
  std::vector<int64_t> strides_;
  int64_t finest_scale_ = 56, out_channels_ = 256, out_size_ = 7, sample_num_ = 0;
  bool aligned_ = true, pool_ = false;
};

}  // namespace mmdet::models

#endif  // MMDET_MODELS_ROI_HEADS_ROI_EXTRACTORS_SINGLE_LEVEL_ROI_EXTRACTOR_H_
