#include "mmdet/models/task_modules/coders/delta_xywh_bbox_coder.h"

#include <cmath>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"

namespace mmdet::models {

torch::Tensor DeltaXYWHBBoxCoder::Encode(const torch::Tensor& proposals,
                                         const torch::Tensor& gt) const {
  const torch::Tensor p = proposals.to(torch::kFloat32), g = gt.to(torch::kFloat32);
  const torch::Tensor px = (p.select(-1, 0) + p.select(-1, 2)) * 0.5;
  const torch::Tensor py = (p.select(-1, 1) + p.select(-1, 3)) * 0.5;
  const torch::Tensor pw = p.select(-1, 2) - p.select(-1, 0);
  const torch::Tensor ph = p.select(-1, 3) - p.select(-1, 1);
  const torch::Tensor gx = (g.select(-1, 0) + g.select(-1, 2)) * 0.5;
  const torch::Tensor gy = (g.select(-1, 1) + g.select(-1, 3)) * 0.5;
  const torch::Tensor gw = g.select(-1, 2) - g.select(-1, 0);
  const torch::Tensor gh = g.select(-1, 3) - g.select(-1, 1);
  const torch::Tensor deltas = torch::stack(
      {(gx - px) / pw, (gy - py) / ph, torch::log(gw / pw), torch::log(gh / ph)}, -1);
  const auto opts = deltas.options();
  const torch::Tensor means = torch::tensor({means_[0], means_[1], means_[2], means_[3]}, opts);
  const torch::Tensor stds = torch::tensor({stds_[0], stds_[1], stds_[2], stds_[3]}, opts);
  return (deltas - means) / stds;
}

torch::Tensor DeltaXYWHBBoxCoder::Decode(
    const torch::Tensor& rois, const torch::Tensor& deltas,
    const std::optional<std::array<int64_t, 2>>& max_shape) const {
  const int64_t k = deltas.size(-1) / 4;
  const auto opts = deltas.options();
  const torch::Tensor means =
      torch::tensor({means_[0], means_[1], means_[2], means_[3]}, opts).repeat({k});
  const torch::Tensor stds =
      torch::tensor({stds_[0], stds_[1], stds_[2], stds_[3]}, opts).repeat({k});
  const torch::Tensor denorm = (deltas * stds + means).view({-1, k, 4});
  const double max_ratio = std::abs(std::log(wh_ratio_clip_));
  const torch::Tensor dx = denorm.select(2, 0), dy = denorm.select(2, 1);
  const torch::Tensor dw = denorm.select(2, 2).clamp(-max_ratio, max_ratio);
  const torch::Tensor dh = denorm.select(2, 3).clamp(-max_ratio, max_ratio);
  const torch::Tensor r = rois.view({-1, 4});
  const torch::Tensor px = ((r.select(1, 0) + r.select(1, 2)) * 0.5).unsqueeze(1);
  const torch::Tensor py = ((r.select(1, 1) + r.select(1, 3)) * 0.5).unsqueeze(1);
  const torch::Tensor pw = (r.select(1, 2) - r.select(1, 0)).unsqueeze(1);
  const torch::Tensor ph = (r.select(1, 3) - r.select(1, 1)).unsqueeze(1);
  const torch::Tensor gw = pw * dw.exp(), gh = ph * dh.exp();
  const torch::Tensor gx = px + pw * dx, gy = py + ph * dy;
  torch::Tensor x1 = gx - gw * 0.5, y1 = gy - gh * 0.5, x2 = gx + gw * 0.5, y2 = gy + gh * 0.5;
  if (max_shape.has_value()) {
    const double h = static_cast<double>((*max_shape)[0]), w = static_cast<double>((*max_shape)[1]);
    x1 = x1.clamp(0, w);
    y1 = y1.clamp(0, h);
    x2 = x2.clamp(0, w);
    y2 = y2.clamp(0, h);
  }
  return torch::stack({x1, y1, x2, y2}, -1).view_as(deltas);
}

namespace {

absl::StatusOr<std::shared_ptr<BBoxCoder>> DeltaXYWHFromConfig(
    const config::DeltaXYWHBBoxCoder& cfg, const std::string& path) {
  std::array<float, 4> means{0, 0, 0, 0}, stds{1, 1, 1, 1};
  if (cfg.target_means_size() != 0) {
    if (cfg.target_means_size() != 4) {
      return absl::InvalidArgumentError(absl::StrCat(path, ".target_means: expected 4 values"));
    }
    for (int i = 0; i < 4; ++i) means[i] = cfg.target_means(i);
  }
  if (cfg.target_stds_size() != 0) {
    if (cfg.target_stds_size() != 4) {
      return absl::InvalidArgumentError(absl::StrCat(path, ".target_stds: expected 4 values"));
    }
    for (int i = 0; i < 4; ++i) {
      stds[i] = cfg.target_stds(i);
      if (stds[i] == 0) {
        return absl::InvalidArgumentError(absl::StrCat(path, ".target_stds: must not be 0"));
      }
    }
  }
  if (cfg.wh_ratio_clip() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".wh_ratio_clip: must be positive"));
  }
  return std::shared_ptr<BBoxCoder>(
      std::make_shared<DeltaXYWHBBoxCoder>(means, stds, cfg.wh_ratio_clip()));
}

}  // namespace

MMDET_REGISTER(BBoxCoderRegistry, config::DeltaXYWHBBoxCoder, DeltaXYWHFromConfig);

}  // namespace mmdet::models
