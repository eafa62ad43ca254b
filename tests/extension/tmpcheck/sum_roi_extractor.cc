#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "mmdet/core/registry.h"
#include "mmdet/models/roi_heads/roi_extractors/base_roi_extractor.h"
#include "mmdet/ops/roi_align.h"
#include "tests/extension/tmpcheck/sum_roi_extractor.pb.h"

namespace my {
namespace {

class SumRoIExtractorImpl : public mmdet::models::RoIExtractorImpl {
 public:
  explicit SumRoIExtractorImpl(const SumRoIExtractor& cfg) : cfg_(cfg) {}

  // rois [K, 5] (image index, x1, y1, x2, y2) -> [K, C, out_size, out_size].
  torch::Tensor forward(const std::vector<torch::Tensor>& feats,
                        const torch::Tensor& rois) override {
    TORCH_CHECK(feats.size() == static_cast<size_t>(cfg_.featmap_strides_size()),
                "SumRoIExtractor: ", cfg_.featmap_strides_size(), " strides for ", feats.size(),
                " levels");
    const int64_t s = cfg_.out_size();
    torch::Tensor out = torch::zeros({rois.size(0), feats[0].size(1), s, s}, feats[0].options());
    if (rois.size(0) == 0) return out;
    for (size_t level = 0; level < feats.size(); ++level) {
      out = out + mmdet::ops::RoiAlign(feats[level], rois, 1.0 / cfg_.featmap_strides(level), s,
                                       s, cfg_.sample_num(), /*aligned=*/true);
    }
    return out;
  }

  int64_t out_size() const override { return cfg_.out_size(); }

 private:
  SumRoIExtractor cfg_;
};

absl::StatusOr<std::shared_ptr<mmdet::models::RoIExtractorImpl>> SumRoIExtractorFromConfig(
    const SumRoIExtractor& cfg, const std::string& path) {
  if (cfg.featmap_strides_size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".featmap_strides: required"));
  }
  if (cfg.out_size() < 1) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".out_size: must be >= 1"));
  }
  return std::shared_ptr<mmdet::models::RoIExtractorImpl>(
      std::make_shared<SumRoIExtractorImpl>(cfg));
}

}  // namespace

MMDET_REGISTER(mmdet::models::RoIExtractorRegistry, SumRoIExtractor, SumRoIExtractorFromConfig);

}  // namespace my
