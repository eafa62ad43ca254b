#include "mmdet/models/task_modules/prior_generators/anchor_generator.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "mmdet/core/status_macros.h"

namespace mmdet::models {

absl::StatusOr<std::shared_ptr<AnchorGenerator>> AnchorGenerator::Create(
    const config::AnchorGenerator& cfg, const std::string& path) {
  auto error = [&](const std::string& field, const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".", field, ": ", what));
  };
  if (cfg.strides_size() == 0) return error("strides", "required");
  if (cfg.ratios_size() == 0) return error("ratios", "required");
  std::vector<float> scales(cfg.scales().begin(), cfg.scales().end());
  if (cfg.has_octave_base_scale() || cfg.has_scales_per_octave()) {
    if (!scales.empty()) return error("scales", "give scales or octave_base_scale, not both");
    if (cfg.scales_per_octave() < 1) return error("scales_per_octave", "must be >= 1");
    // torch: 2 ** (i / n) in float64, times octave_base_scale, then a float32 tensor.
    for (int i = 0; i < cfg.scales_per_octave(); ++i) {
      scales.push_back(static_cast<float>(std::pow(2.0, static_cast<double>(i) /
                                                            cfg.scales_per_octave()) *
                                          cfg.octave_base_scale()));
    }
  }
  if (scales.empty()) return error("scales", "required (or octave_base_scale)");
  if (cfg.base_sizes_size() != 0 && cfg.base_sizes_size() != cfg.strides_size()) {
    return error("base_sizes", "needs one per stride");
  }
  auto gen = std::make_shared<AnchorGenerator>();
  const torch::Tensor ratios =
      torch::tensor(std::vector<float>(cfg.ratios().begin(), cfg.ratios().end()));
  const torch::Tensor scale_t = torch::tensor(scales);
  const torch::Tensor h_ratios = torch::sqrt(ratios);
  const torch::Tensor w_ratios = 1 / h_ratios;
  for (int level = 0; level < cfg.strides_size(); ++level) {
    if (cfg.strides(level) < 1) return error("strides", "must be positive");
    gen->strides_.push_back(cfg.strides(level));
    const double base = cfg.base_sizes_size() ? cfg.base_sizes(level) : cfg.strides(level);
    const double xc = cfg.center_offset() * base, yc = cfg.center_offset() * base;
    torch::Tensor ws, hs;
    if (cfg.scale_major()) {
      ws = (base * w_ratios.unsqueeze(1) * scale_t.unsqueeze(0)).reshape(-1);
      hs = (base * h_ratios.unsqueeze(1) * scale_t.unsqueeze(0)).reshape(-1);
    } else {
      ws = (base * scale_t.unsqueeze(1) * w_ratios.unsqueeze(0)).reshape(-1);
      hs = (base * scale_t.unsqueeze(1) * h_ratios.unsqueeze(0)).reshape(-1);
    }
    gen->base_anchors_.push_back(
        torch::stack({xc - 0.5 * ws, yc - 0.5 * hs, xc + 0.5 * ws, yc + 0.5 * hs}, -1));
  }
  return gen;
}

std::vector<int64_t> AnchorGenerator::num_base_anchors() const {
  std::vector<int64_t> n;
  for (const auto& base : base_anchors_) n.push_back(base.size(0));
  return n;
}

std::vector<torch::Tensor> AnchorGenerator::GridAnchors(const std::vector<FeatSize>& sizes,
                                                        const torch::Device& device) const {
  std::vector<torch::Tensor> anchors;
  for (size_t level = 0; level < sizes.size() && level < strides_.size(); ++level) {
    const auto [h, w] = sizes[level];
    const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device);
    const torch::Tensor shift_x = torch::arange(0, w, opts) * strides_[level];
    const torch::Tensor shift_y = torch::arange(0, h, opts) * strides_[level];
    const torch::Tensor xx = shift_x.repeat({h});
    const torch::Tensor yy = shift_y.view({-1, 1}).repeat({1, w}).view(-1);
    const torch::Tensor shifts = torch::stack({xx, yy, xx, yy}, -1);
    anchors.push_back((base_anchors_[level].to(device).unsqueeze(0) + shifts.unsqueeze(1))
                          .view({-1, 4}));
  }
  return anchors;
}

std::vector<torch::Tensor> AnchorGenerator::ValidFlags(const std::vector<FeatSize>& sizes,
                                                       const std::array<int64_t, 2>& pad_shape,
                                                       const torch::Device& device) const {
  std::vector<torch::Tensor> flags;
  for (size_t level = 0; level < sizes.size() && level < strides_.size(); ++level) {
    const auto [h, w] = sizes[level];
    const int64_t stride = strides_[level];
    const int64_t valid_h = std::min<int64_t>((pad_shape[0] + stride - 1) / stride, h);
    const int64_t valid_w = std::min<int64_t>((pad_shape[1] + stride - 1) / stride, w);
    const auto opts = torch::TensorOptions().dtype(torch::kBool).device(device);
    torch::Tensor vx = torch::zeros({w}, opts), vy = torch::zeros({h}, opts);
    vx.narrow(0, 0, valid_w).fill_(true);
    vy.narrow(0, 0, valid_h).fill_(true);
    const torch::Tensor valid = vx.repeat({h}) & vy.view({-1, 1}).repeat({1, w}).view(-1);
    flags.push_back(valid.unsqueeze(1)
                        .expand({valid.size(0), base_anchors_[level].size(0)})
                        .contiguous()
                        .view(-1));
  }
  return flags;
}

namespace {
absl::StatusOr<std::shared_ptr<PriorGenerator>> AnchorGeneratorFromConfig(
    const config::AnchorGenerator& cfg, const std::string& path) {
  MMDET_ASSIGN_OR_RETURN(auto gen, AnchorGenerator::Create(cfg, path));
  return std::shared_ptr<PriorGenerator>(std::move(gen));
}
}  // namespace

MMDET_REGISTER(PriorGeneratorRegistry, config::AnchorGenerator, AnchorGeneratorFromConfig);

}  // namespace mmdet::models
