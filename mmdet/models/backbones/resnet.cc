#include "mmdet/models/backbones/resnet.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/layers/flops.h"
#include "mmdet/models/layers/layers.h"
#include "torch/nn/init.h"
#include "torch/nn/modules/activation.h"
#include "torch/nn/modules/container/sequential.h"
#include "torch/nn/modules/pooling.h"

namespace mmdet::models {

namespace {

namespace nn = torch::nn;

nn::Conv2d Conv(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = 0,
                int64_t dilation = 1) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel)
                        .stride(stride)
                        .padding(padding)
                        .dilation(dilation)
                        .bias(false));
}

struct BlockOptions {
  bool bottleneck = true;
  int64_t inplanes = 0, planes = 0, stride = 1, dilation = 1;
  bool caffe = false;
  bool avg_down = false;
  config::NormConfig norm_cfg;
};

// BasicBlock (two 3x3 convs) or Bottleneck (1x1, 3x3, 1x1 with 4x expansion).
class ResBlock : public nn::Module {
 public:
  static absl::StatusOr<std::shared_ptr<ResBlock>> Create(const BlockOptions& o) {
    std::shared_ptr<ResBlock> block(new ResBlock);
    const int64_t expansion = o.bottleneck ? 4 : 1;
    const int64_t out_planes = o.planes * expansion;
    if (o.bottleneck) {
      const int64_t conv1_stride = o.caffe ? o.stride : 1;
      const int64_t conv2_stride = o.caffe ? 1 : o.stride;
      block->convs_.push_back(Conv(o.inplanes, o.planes, 1, conv1_stride));
      block->convs_.push_back(Conv(o.planes, o.planes, 3, conv2_stride, o.dilation, o.dilation));
      block->convs_.push_back(Conv(o.planes, out_planes, 1));
    } else {
      block->convs_.push_back(Conv(o.inplanes, o.planes, 3, o.stride, o.dilation, o.dilation));
      block->convs_.push_back(Conv(o.planes, o.planes, 3, 1, 1));
    }
    for (size_t i = 0; i < block->convs_.size(); ++i) {
      const std::string index = std::to_string(i + 1);
      block->register_module("conv" + index, block->convs_[i]);
      MMDET_ASSIGN_OR_RETURN(NormLayer norm,
                             BuildNormLayer(o.norm_cfg, block->convs_[i]->options.out_channels(),
                                            index));
      block->register_module(norm.name, norm.ptr);
      block->norms_.push_back(std::move(norm));
    }
    block->fast_.resize(block->convs_.size() + 1);
    if (o.stride != 1 || o.inplanes != out_planes) {
      nn::Sequential downsample;
      int64_t conv_stride = o.stride;
      if (o.avg_down && o.stride != 1) {
        conv_stride = 1;
        downsample->push_back(nn::AvgPool2d(nn::AvgPool2dOptions(o.stride)
                                                .stride(o.stride)
                                                .ceil_mode(true)
                                                .count_include_pad(false)));
      }
      nn::Conv2d conv = Conv(o.inplanes, out_planes, 1, conv_stride);
      downsample->push_back(conv);
      if (!(o.avg_down && o.stride != 1)) block->downsample_conv_ = conv;
      MMDET_ASSIGN_OR_RETURN(NormLayer norm, BuildNormLayer(o.norm_cfg, out_planes));
      block->downsample_norm_ = norm.ptr;
      downsample->push_back(norm.module);
      block->downsample_ = block->register_module("downsample", downsample);
    }
    return block;
  }

  // `input_is_ours`: nothing but the caller holds `x` (the previous block's output within a
  // stage), so the fused path may write the block's output over it.
  torch::Tensor forward(const torch::Tensor& x, bool input_is_ours = false) {
    if (AllNormsFolded() && ActiveFlopsCount() == nullptr) return FoldedForward(x, input_is_ours);
    torch::Tensor out = x;
    // MMDetection's blocks call one nn.ReLU(inplace=True) after each inner norm and after
    // `out += identity`; NormRelu runs them in place too (the norm's and the sum's outputs are
    // ours alone, and no backward needs them before the ReLU), or, with frozen BatchNorm, as
    // one pass with the norm and the sum.
    for (size_t i = 0; i + 1 < convs_.size(); ++i) {
      out = NormRelu(norms_[i], Counted(convs_[i], out), this);
    }
    out = Counted(convs_.back(), out);
    const torch::Tensor identity = downsample_ ? Counted(downsample_, x) : x;
    return NormRelu(norms_.back(), out, this, identity);
  }

  // With every norm folded (test --fuse-conv-bn) each convolution, its ReLU and the last one's
  // residual sum are one ConvSumRelu: the same ops as forward() where oneDNN is not used, one
  // fused primitive per convolution in channels-last float32 inference.
  torch::Tensor FoldedForward(const torch::Tensor& x, bool input_is_ours) {
    torch::Tensor identity = x;
    bool identity_is_ours = input_is_ours;
    if (downsample_) {
      identity = downsample_conv_ ? ConvSumRelu(downsample_conv_, fast_.back(), x, {}, false)
                                  : Counted(downsample_, x);
      identity_is_ours = true;
    }
    torch::Tensor out = x;
    for (size_t i = 0; i < convs_.size(); ++i) {
      const bool last = i + 1 == convs_.size();
      out = ConvSumRelu(convs_[i], fast_[i], out, last ? identity : torch::Tensor(), true, this,
                        identity_is_ours);
    }
    return out;
  }

  bool AllNormsFolded() const {
    for (const NormLayer& norm : norms_) {
      if (!FoldableNorm::IsFolded(norm.ptr.get())) return false;
    }
    return !downsample_ || FoldableNorm::IsFolded(downsample_norm_.get());
  }

  // The last norm's weight (zero_init_residual).
  torch::Tensor last_norm_weight() {
    for (auto& item : norms_.back().ptr->named_parameters(false)) {
      if (item.key() == "weight") return item.value();
    }
    return torch::Tensor();
  }

 private:
  ResBlock() = default;
  std::vector<nn::Conv2d> convs_;
  std::vector<NormLayer> norms_;
  nn::Sequential downsample_{nullptr};
  nn::Conv2d downsample_conv_{nullptr};  // downsample's conv when it is [conv, norm]
  std::shared_ptr<nn::Module> downsample_norm_;
  // The fused inference path's state: one per conv in convs_, then the downsample's.
  std::vector<ops::OneDnnConv> fast_;
};

class ResNetImpl : public BackboneImpl {
 public:
  static absl::StatusOr<std::shared_ptr<ResNetImpl>> Create(const config::ResNet& cfg,
                                                            const std::string& path);

  std::vector<torch::Tensor> forward(const torch::Tensor& x) override {
    torch::Tensor y = x;
    if (deep_stem_) {
      y = Counted(stem_, y);
    } else {
      if (FoldableNorm::IsFolded(stem_norm_.ptr.get()) && ActiveFlopsCount() == nullptr) {
        y = ConvSumRelu(conv1_, stem_fast_, y, {}, true, this);
      } else {
        y = NormRelu(stem_norm_, Counted(conv1_, y), this);
      }
    }
    y = CountedMaxPool(this, y, 3, 2, 1);
    std::vector<torch::Tensor> outs;
    for (size_t i = 0; i < layers_.size(); ++i) {
      // Within a stage each block's input is the previous block's output, held only by `y`.
      for (size_t j = 0; j < layers_[i].size(); ++j) y = layers_[i][j]->forward(y, j > 0);
      if (std::find(out_indices_.begin(), out_indices_.end(), static_cast<int>(i)) !=
          out_indices_.end()) {
        outs.push_back(y);
      }
    }
    return outs;
  }

  std::vector<int64_t> out_channels() const override { return out_channels_; }

  void train(bool on = true) override {
    nn::Module::train(on);
    if (!on) return;
    // Frozen stages stay in eval mode; norm_eval keeps every BatchNorm in eval mode.
    for (nn::Module* module : FrozenModules()) module->eval();
    if (norm_eval_) {
      for (auto& module : modules(/*include_self=*/false)) {
        if (IsBatchNorm(*module)) module->eval();
      }
    }
  }

 private:
  ResNetImpl() = default;

  std::vector<nn::Module*> FrozenModules() {
    std::vector<nn::Module*> frozen;
    if (frozen_stages_ >= 0) {
      if (deep_stem_) {
        frozen.push_back(stem_.get());
      } else {
        frozen.push_back(conv1_.get());
        frozen.push_back(stem_norm_.ptr.get());
      }
    }
    for (int i = 1; i <= frozen_stages_ && i <= static_cast<int>(layer_modules_.size()); ++i) {
      frozen.push_back(layer_modules_[i - 1].get());
    }
    return frozen;
  }

  bool deep_stem_ = false;
  nn::Conv2d conv1_{nullptr};
  NormLayer stem_norm_;
  ops::OneDnnConv stem_fast_;
  nn::Sequential stem_{nullptr};
  std::vector<std::vector<std::shared_ptr<ResBlock>>> layers_;
  std::vector<nn::Sequential> layer_modules_;
  std::vector<int> out_indices_;
  std::vector<int64_t> out_channels_;
  int frozen_stages_ = -1;
  bool norm_eval_ = true;
};

absl::StatusOr<std::shared_ptr<ResNetImpl>> ResNetImpl::Create(const config::ResNet& cfg,
                                                               const std::string& path) {
  auto error = [&](const std::string& field, const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".", field, ": ", what));
  };
  bool bottleneck = true;
  std::vector<int> blocks;
  switch (cfg.depth()) {
    case 18: bottleneck = false; blocks = {2, 2, 2, 2}; break;
    case 34: bottleneck = false; blocks = {3, 4, 6, 3}; break;
    case 50: blocks = {3, 4, 6, 3}; break;
    case 101: blocks = {3, 4, 23, 3}; break;
    case 152: blocks = {3, 8, 36, 3}; break;
    default:
      return error("depth", absl::StrCat("expected 18, 34, 50, 101 or 152, got ", cfg.depth()));
  }
  const int num_stages = cfg.num_stages();
  if (num_stages < 1 || num_stages > 4) return error("num_stages", "expected 1 to 4");
  std::vector<int> strides(cfg.strides().begin(), cfg.strides().end());
  std::vector<int> dilations(cfg.dilations().begin(), cfg.dilations().end());
  if (strides.empty()) strides = std::vector<int>{1, 2, 2, 2};
  if (dilations.empty()) dilations = std::vector<int>{1, 1, 1, 1};
  strides.resize(std::max<size_t>(strides.size(), 4), 1);
  dilations.resize(std::max<size_t>(dilations.size(), 4), 1);
  if (cfg.strides_size() != 0 && cfg.strides_size() != num_stages) {
    return error("strides", absl::StrCat("needs one per stage (", num_stages, ")"));
  }
  if (cfg.dilations_size() != 0 && cfg.dilations_size() != num_stages) {
    return error("dilations", absl::StrCat("needs one per stage (", num_stages, ")"));
  }
  std::vector<int> out_indices(cfg.out_indices().begin(), cfg.out_indices().end());
  if (out_indices.empty()) {
    for (int i = 0; i < num_stages; ++i) out_indices.push_back(i);
  }
  for (int index : out_indices) {
    if (index < 0 || index >= num_stages) {
      return error("out_indices", absl::StrCat(index, " is not a stage (0..", num_stages - 1, ")"));
    }
  }
  if (cfg.style() != "pytorch" && cfg.style() != "caffe") {
    return error("style", absl::StrCat("expected \"pytorch\" or \"caffe\", got \"", cfg.style(), "\""));
  }
  if (cfg.frozen_stages() < -1 || cfg.frozen_stages() > num_stages) {
    return error("frozen_stages", absl::StrCat("expected -1 to ", num_stages));
  }
  if (cfg.with_cp()) return error("with_cp", "gradient checkpointing is not supported");
  const config::NormConfig norm_cfg = cfg.norm_cfg();

  std::shared_ptr<ResNetImpl> net(new ResNetImpl);
  net->deep_stem_ = cfg.deep_stem();
  net->frozen_stages_ = cfg.frozen_stages();
  net->norm_eval_ = cfg.norm_eval();
  net->out_indices_ = out_indices;
  const int64_t stem_channels = 64;
  auto annotate = [&](const absl::Status& s) { return Annotate(s, path); };
  if (net->deep_stem_) {
    nn::Sequential stem;
    const int64_t half = stem_channels / 2;
    const std::vector<std::array<int64_t, 3>> convs = {
        {cfg.in_channels(), half, 2}, {half, half, 1}, {half, stem_channels, 1}};
    for (const auto& [in, out, stride] : convs) {
      stem->push_back(Conv(in, out, 3, stride, 1));
      auto norm = BuildNormLayer(norm_cfg, out);
      if (!norm.ok()) return annotate(norm.status());
      stem->push_back(norm->module);
      stem->push_back(nn::ReLU());
    }
    net->stem_ = net->register_module("stem", stem);
  } else {
    net->conv1_ = net->register_module("conv1", Conv(cfg.in_channels(), stem_channels, 7, 2, 3));
    auto norm = BuildNormLayer(norm_cfg, stem_channels, "1");
    if (!norm.ok()) return annotate(norm.status());
    net->stem_norm_ = *std::move(norm);
    net->register_module(net->stem_norm_.name, net->stem_norm_.ptr);
  }
  const int64_t expansion = bottleneck ? 4 : 1;
  int64_t inplanes = stem_channels;
  for (int i = 0; i < num_stages; ++i) {
    const int64_t planes = 64LL << i;
    nn::Sequential layer;
    std::vector<std::shared_ptr<ResBlock>> layer_blocks;
    for (int b = 0; b < blocks[i]; ++b) {
      BlockOptions o;
      o.bottleneck = bottleneck;
      o.inplanes = inplanes;
      o.planes = planes;
      o.stride = b == 0 ? strides[i] : 1;
      o.dilation = dilations[i];
      o.caffe = cfg.style() == "caffe";
      o.avg_down = cfg.avg_down();
      o.norm_cfg = norm_cfg;
      auto block = ResBlock::Create(o);
      if (!block.ok()) return annotate(block.status());
      layer->push_back(*block);
      layer_blocks.push_back(*block);
      inplanes = planes * expansion;
    }
    net->layer_modules_.push_back(net->register_module(absl::StrCat("layer", i + 1), layer));
    net->layers_.push_back(std::move(layer_blocks));
  }
  for (int index : out_indices) net->out_channels_.push_back((64LL << index) * expansion);

  // MMDetection's init_weights without `pretrained`: kaiming convs, unit norms (done by
  // BuildNormLayer), and zero-initialised last norms of each block.
  for (auto& module : net->modules(false)) {
    if (auto* conv = dynamic_cast<nn::Conv2dImpl*>(module.get())) {
      torch::NoGradGuard no_grad;
      nn::init::kaiming_normal_(conv->weight, 0, torch::kFanOut, torch::kReLU);
    }
  }
  if (cfg.zero_init_residual()) {
    torch::NoGradGuard no_grad;
    for (auto& layer : net->layers_) {
      for (auto& block : layer) block->last_norm_weight().zero_();
    }
  }
  for (nn::Module* module : net->FrozenModules()) {
    for (auto& p : module->parameters()) p.set_requires_grad(false);
  }
  net->train(true);
  return net;
}

absl::StatusOr<std::shared_ptr<BackboneImpl>> ResNetFromConfig(const config::ResNet& cfg,
                                                               const std::string& path) {
  MMDET_ASSIGN_OR_RETURN(auto net, ResNetImpl::Create(cfg, path));
  return std::shared_ptr<BackboneImpl>(std::move(net));
}

}  // namespace

absl::StatusOr<std::shared_ptr<BackboneImpl>> BuildResNet(const config::ResNet& config,
                                                          const std::string& path) {
  return ResNetFromConfig(config, path);
}

MMDET_REGISTER(BackboneRegistry, config::ResNet, ResNetFromConfig);

}  // namespace mmdet::models
