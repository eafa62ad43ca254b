#include "mmdet/models/roi_heads/roi_extractors/single_level_roi_extractor.h"

#include "absl/strings/str_cat.h"
#include "mmdet/ops/roi_align.h"
#include "mmdet/ops/roi_pool.h"

namespace mmdet::models {

torch::Tensor MapRoiLevels(const torch::Tensor& rois, int64_t num_levels, int64_t finest_scale) {
  const torch::Tensor scale = torch::sqrt((rois.select(1, 3) - rois.select(1, 1)) *
                                          (rois.select(1, 4) - rois.select(1, 2)));
  return torch::floor(torch::log2(scale / finest_scale + 1e-6))
      .clamp(0, num_levels - 1)
      .to(torch::kInt64);
}

absl::StatusOr<std::shared_ptr<SingleRoIExtractorImpl>> SingleRoIExtractorImpl::Create(
    const config::SingleRoIExtractor& cfg, const std::string& path) {
  std::shared_ptr<SingleRoIExtractorImpl> e(new SingleRoIExtractorImpl);
  if (cfg.featmap_strides_size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".featmap_strides: required"));
  }
  e->strides_.assign(cfg.featmap_strides().begin(), cfg.featmap_strides().end());
  e->finest_scale_ = cfg.finest_scale();
  e->out_channels_ = cfg.out_channels();
  if (cfg.roi_layer().has_roi_pool()) {
    e->pool_ = true;
    e->out_size_ = cfg.roi_layer().roi_pool().out_size();
  } else {
    const config::RoIAlign align = cfg.roi_layer().roi_align();
    e->out_size_ = align.out_size();
    e->sample_num_ = align.sample_num();
    e->aligned_ = align.aligned();
  }
  return e;
}

torch::Tensor SingleRoIExtractorImpl::forward(const std::vector<torch::Tensor>& feats,
                                              const torch::Tensor& rois) {
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

namespace {

absl::StatusOr<std::shared_ptr<RoIExtractorImpl>> SingleRoIExtractorFromConfig(
    const config::SingleRoIExtractor& cfg, const std::string& path) {
  auto extractor = SingleRoIExtractorImpl::Create(cfg, path);
  if (!extractor.ok()) return extractor.status();
  return std::shared_ptr<RoIExtractorImpl>(*std::move(extractor));
}

}  // namespace

MMDET_REGISTER(RoIExtractorRegistry, config::SingleRoIExtractor, SingleRoIExtractorFromConfig);

}  // namespace mmdet::models
