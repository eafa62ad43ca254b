// TinyMobileNet (docs/new_component.md, "A new backbone"): a small MobileNetV2-like backbone.
// A 3x3 stride-2 stem, then four stages of inverted residual blocks (1x1 expansion, 3x3
// depthwise, 1x1 linear projection, a shortcut where the shape is kept), each stage starting
// with stride 2: feature strides 4, 8, 16, 32. Convs are mmcv ConvModules followed by ReLU6,
// named like MMDetection's MobileNetV2 (conv1, layer1.0.conv.0.conv, layer1.0.conv.0.bn, ...).
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "mmdet/core/registry.h"
#include "mmdet/models/backbones/backbone.h"
#include "mmdet/models/layers/layers.h"
#include "tests/extension/tiny_mobilenet.pb.h"
#include "torch/nn/module.h"
#include "torch/nn/modules/container/modulelist.h"
#include "torch/nn/modules/container/sequential.h"

namespace mmdet_ext {
namespace {

namespace nn = torch::nn;
using mmdet::models::BackboneImpl;
using mmdet::models::ConvModuleImpl;
using mmdet::models::ConvModuleOptions;

constexpr int64_t kStemChannels = 32;
constexpr int64_t kStageChannels[] = {32, 64, 128, 256};
constexpr int kStageBlocks[] = {1, 2, 2, 1};
constexpr int64_t kExpandRatio = 4;

// MMDetection's make_divisible: the nearest multiple of 8, at least 90% of `value`.
int64_t MakeDivisible(double value) {
  const int64_t rounded = std::max<int64_t>(8, static_cast<int64_t>(value + 4) / 8 * 8);
  return rounded < 0.9 * value ? rounded + 8 : rounded;
}

// conv (no bias) + BatchNorm; the caller applies ReLU6.
std::shared_ptr<ConvModuleImpl> ConvBN(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                                       int64_t groups) {
  ConvModuleOptions o;
  o.in_channels = in;
  o.out_channels = out;
  o.kernel_size = kernel;
  o.stride = stride;
  o.padding = kernel / 2;
  o.groups = groups;
  o.norm_cfg = mmdet::config::NormConfig();  // BN
  o.relu = false;
  return ConvModuleImpl::Create(o).value();  // only a GroupNorm can fail
}

class InvertedResidualImpl : public nn::Module {
 public:
  InvertedResidualImpl(int64_t in, int64_t out, int64_t stride)
      : shortcut_(stride == 1 && in == out) {
    const int64_t hidden = in * kExpandRatio;
    convs_ = {ConvBN(in, hidden, 1, 1, 1), ConvBN(hidden, hidden, 3, stride, hidden),
              ConvBN(hidden, out, 1, 1, 1)};
    nn::ModuleList conv;
    for (const auto& c : convs_) conv->push_back(c);
    register_module("conv", conv);
  }

  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = torch::relu6(convs_[0]->forward(x));
    y = torch::relu6(convs_[1]->forward(y));
    y = convs_[2]->forward(y);  // linear bottleneck: no activation
    return shortcut_ ? x + y : y;
  }

 private:
  bool shortcut_;
  std::vector<std::shared_ptr<ConvModuleImpl>> convs_;
};
TORCH_MODULE(InvertedResidual);

class TinyMobileNetImpl : public BackboneImpl {
 public:
  TinyMobileNetImpl(const TinyMobileNet& cfg, std::vector<int> out_indices)
      : out_indices_(std::move(out_indices)), frozen_stages_(cfg.frozen_stages()) {
    int64_t in = MakeDivisible(kStemChannels * cfg.widen_factor());
    conv1_ = register_module("conv1", ConvBN(3, in, 3, 2, 1));
    for (int s = 0; s < 4; ++s) {
      const int64_t out = MakeDivisible(kStageChannels[s] * cfg.widen_factor());
      nn::Sequential stage;
      for (int b = 0; b < kStageBlocks[s]; ++b) {
        stage->push_back(InvertedResidual(b == 0 ? in : out, out, b == 0 ? 2 : 1));
      }
      stages_.push_back(register_module(absl::StrCat("layer", s + 1), stage));
      stage_channels_.push_back(out);
      in = out;
    }
    for (nn::Module* frozen : Frozen()) {
      for (auto& p : frozen->parameters()) p.set_requires_grad(false);
    }
  }

  std::vector<torch::Tensor> forward(const torch::Tensor& x) override {
    torch::Tensor y = torch::relu6(conv1_->forward(x));
    std::vector<torch::Tensor> outs;
    for (int s = 0; s < 4; ++s) {
      y = stages_[s]->forward(y);
      if (std::count(out_indices_.begin(), out_indices_.end(), s) > 0) outs.push_back(y);
    }
    return outs;
  }

  std::vector<int64_t> out_channels() const override {
    std::vector<int64_t> channels;
    for (int s : out_indices_) channels.push_back(stage_channels_[s]);
    return channels;
  }

  // Frozen layers stay in eval mode: their BatchNorm statistics do not move.
  void train(bool on = true) override {
    nn::Module::train(on);
    if (on) {
      for (nn::Module* frozen : Frozen()) frozen->eval();
    }
  }

 private:
  std::vector<nn::Module*> Frozen() {
    std::vector<nn::Module*> frozen;
    if (frozen_stages_ >= 0) frozen.push_back(conv1_.get());
    for (int s = 0; s < frozen_stages_; ++s) frozen.push_back(stages_[s].get());
    return frozen;
  }

  std::vector<int> out_indices_;
  int frozen_stages_;
  std::shared_ptr<ConvModuleImpl> conv1_;
  std::vector<nn::Sequential> stages_;
  std::vector<int64_t> stage_channels_;
};

// Errors name the field under `path` ("model.retina_net.backbone.custom.widen_factor: ...").
absl::StatusOr<std::shared_ptr<BackboneImpl>> TinyMobileNetFromConfig(const TinyMobileNet& cfg,
                                                                      const std::string& path) {
  if (!(cfg.widen_factor() > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ".widen_factor: must be positive, got ", cfg.widen_factor()));
  }
  std::vector<int> out_indices(cfg.out_indices().begin(), cfg.out_indices().end());
  if (out_indices.empty()) out_indices = {0, 1, 2, 3};
  for (size_t i = 0; i < out_indices.size(); ++i) {
    if (out_indices[i] < 0 || out_indices[i] > 3 ||
        (i > 0 && out_indices[i] <= out_indices[i - 1])) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ".out_indices: expected increasing stages in 0..3, got ",
                       out_indices[i], " at [", i, "]"));
    }
  }
  if (cfg.frozen_stages() < -1 || cfg.frozen_stages() > 4) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ".frozen_stages: expected -1 to 4, got ", cfg.frozen_stages()));
  }
  return std::shared_ptr<BackboneImpl>(
      std::make_shared<TinyMobileNetImpl>(cfg, std::move(out_indices)));
}

}  // namespace

MMDET_REGISTER(mmdet::models::BackboneRegistry, TinyMobileNet, TinyMobileNetFromConfig);

}  // namespace mmdet_ext
