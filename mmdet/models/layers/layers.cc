#include "mmdet/models/layers/layers.h"

#include <cmath>
#include <cstdio>
#include <mutex>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/layers/flops.h"
#include "mmdet/ops/frozen_bn.h"
#include "torch/nn/init.h"
#include "torch/nn/modules/batchnorm.h"
#include "torch/version.h"

namespace mmdet::models {

const char kSyncBnWarning[] =
    "mmdet: norm_cfg type SyncBN: no c10d process group in this build yet, so SyncBN layers run "
    "as BatchNorm2d with per-process batch statistics";

BatchNorm2dImpl::BatchNorm2dImpl(int64_t num_features, double eps, double momentum)
    : num_features_(num_features), eps_(eps), momentum_(momentum) {
  weight = register_parameter("weight", torch::ones({num_features}));
  bias = register_parameter("bias", torch::zeros({num_features}));
  running_mean = register_buffer("running_mean", torch::zeros({num_features}));
  running_var = register_buffer("running_var", torch::ones({num_features}));
  num_batches_tracked = register_buffer("num_batches_tracked", torch::zeros({}, torch::kInt64));
}

torch::Tensor BatchNorm2dImpl::forward(const torch::Tensor& x) {
  if (folded()) return x;
  TORCH_CHECK(x.dim() == 4, "BatchNorm2d: expected a 4-d input, got ", x.dim(), "-d");
  if (is_training()) {
    torch::NoGradGuard no_grad;
    num_batches_tracked.add_(1);
  }
  return torch::batch_norm(x, weight, bias, running_mean, running_var, is_training(), momentum_,
                           eps_, /*cudnn_enabled=*/true);
}

void BatchNorm2dImpl::pretty_print(std::ostream& stream) const {
  stream << "mmdet::BatchNorm2d(" << num_features_ << ", eps=" << eps_ << ", momentum=" << momentum_
         << ")";
}

GroupNormImpl::GroupNormImpl(int64_t num_groups, int64_t num_channels, double eps)
    : num_groups_(num_groups), num_channels_(num_channels), eps_(eps) {
  weight = register_parameter("weight", torch::ones({num_channels}));
  bias = register_parameter("bias", torch::zeros({num_channels}));
}

torch::Tensor GroupNormImpl::forward(const torch::Tensor& x) {
  const torch::Tensor input = x.scalar_type() == weight.scalar_type() ? x : x.to(weight.scalar_type());
  return torch::group_norm(input, num_groups_, weight, bias, eps_, /*cudnn_enabled=*/true);
}

void GroupNormImpl::pretty_print(std::ostream& stream) const {
  stream << "mmdet::GroupNorm(" << num_groups_ << ", " << num_channels_ << ", eps=" << eps_
         << ", affine=True)";
}

void SyncBatchNorm2dImpl::pretty_print(std::ostream& stream) const {
  stream << "mmdet::SyncBatchNorm2d(" << num_features_ << ", eps=" << eps_
         << ", momentum=" << momentum_ << ")";
}

bool IsSyncBatchNorm(const torch::nn::Module& module) {
  return dynamic_cast<const SyncBatchNorm2dImpl*>(&module) != nullptr;
}

absl::StatusOr<NormLayer> BuildNormLayer(const config::NormConfig& cfg, int64_t num_features,
                                         const std::string& postfix) {
  NormLayer layer;
  if (cfg.type() == config::NormConfig::GN) {
    if (cfg.num_groups() < 1 || num_features % cfg.num_groups() != 0) {
      return absl::InvalidArgumentError(absl::StrCat("norm_cfg.num_groups: ", cfg.num_groups(),
                                                     " does not divide ", num_features,
                                                     " channels"));
    }
    auto gn = GroupNorm(cfg.num_groups(), num_features, cfg.eps());
    layer.name = "gn" + postfix;
    layer.ptr = gn.ptr();
    layer.module = torch::nn::AnyModule(gn);
  } else if (cfg.type() == config::NormConfig::SyncBN) {
    static std::once_flag warned;
    std::call_once(warned, [] { std::fprintf(stderr, "%s\n", kSyncBnWarning); });
    auto bn = SyncBatchNorm2d(num_features, cfg.eps(), cfg.momentum());
    layer.name = "bn" + postfix;
    layer.ptr = bn.ptr();
    layer.module = torch::nn::AnyModule(bn);
  } else {
    auto bn = BatchNorm2d(num_features, cfg.eps(), cfg.momentum());
    layer.name = "bn" + postfix;
    layer.ptr = bn.ptr();
    layer.module = torch::nn::AnyModule(bn);
  }
  for (auto& p : layer.ptr->parameters()) p.set_requires_grad(cfg.requires_grad());
  torch::NoGradGuard no_grad;
  for (auto& item : layer.ptr->named_parameters()) {
    if (item.key() == "weight") item.value().fill_(1);
    if (item.key() == "bias") item.value().zero_();
  }
  return layer;
}

torch::Tensor SumInPlace(torch::Tensor a, const torch::Tensor& b) {
  if (a.scalar_type() != b.scalar_type()) return a + b;
  return a.add_(b);
}

torch::Tensor NormRelu(NormLayer& norm, const torch::Tensor& x, const torch::nn::Module* relu_owner,
                       const torch::Tensor& residual) {
  auto* bn = dynamic_cast<BatchNorm2dImpl*>(norm.ptr.get());
  if (bn != nullptr && !bn->is_training() && !bn->folded() && ActiveFlopsCount() == nullptr) {
    const FoldableNorm::Statistics st = bn->statistics();
    if (auto y = ops::FrozenBnRelu(x, st.weight, st.bias, st.running_mean, st.running_var, st.eps,
                                   residual)) {
      return *std::move(y);
    }
  }
  torch::Tensor y = Counted(norm.module, x);
  if (residual.defined()) y = SumInPlace(y, residual);
  return CountedReluInPlace(relu_owner, y);
}

bool IsBatchNorm(const torch::nn::Module& module) {
  return dynamic_cast<const BatchNorm2dImpl*>(&module) != nullptr ||
         dynamic_cast<const torch::nn::BatchNorm2dImpl*>(&module) != nullptr;
}

absl::StatusOr<std::shared_ptr<ConvModuleImpl>> ConvModuleImpl::Create(
    const ConvModuleOptions& o) {
  std::shared_ptr<ConvModuleImpl> m(new ConvModuleImpl);
  m->has_norm_ = o.norm_cfg.has_value();
  const bool bias = o.bias.value_or(!m->has_norm_);
  m->conv_ = m->register_module(
      "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(o.in_channels, o.out_channels,
                                                         o.kernel_size)
                                    .stride(o.stride)
                                    .padding(o.padding)
                                    .dilation(o.dilation)
                                    .groups(o.groups)
                                    .bias(bias)));
  if (m->has_norm_) {
    MMDET_ASSIGN_OR_RETURN(NormLayer norm, BuildNormLayer(*o.norm_cfg, o.out_channels));
    m->register_module(norm.name, norm.ptr);
    m->norm_ = std::move(norm.module);
  }
  m->relu_ = o.relu;
  // mmcv's ConvModule.init_weights: kaiming for ReLU convs; ours are re-initialised by their
  // owners where MMDetection does (xavier in FPN, normal in heads).
  KaimingInit(m->conv_);
  return m;
}

namespace {
// The conv options' variants are c10's up to LibTorch 2.0 and std's from 2.1 on.
template <typename T, typename V>
const T* PaddingGetIf(const V* v) {
#if TORCH_VERSION_MAJOR < 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR < 1)
  return c10::get_if<T>(v);
#else
  return std::get_if<T>(v);
#endif
}
}  // namespace

const torch::ExpandingArray<2>* ExplicitZeroPadding(const torch::nn::detail::ConvNdOptions<2>& o) {
  if (PaddingGetIf<torch::enumtype::kZeros>(&o.padding_mode()) == nullptr) return nullptr;
  return PaddingGetIf<torch::ExpandingArray<2>>(&o.padding());
}

torch::Tensor ConvSumRelu(torch::nn::Conv2d& conv, ops::OneDnnConv& fast, const torch::Tensor& x,
                          const torch::Tensor& residual, bool relu,
                          const torch::nn::Module* relu_owner, bool residual_is_ours) {
  const auto& o = conv->options;
  const auto* padding = ExplicitZeroPadding(o);
  if (ActiveFlopsCount() == nullptr && padding != nullptr &&
      x.is_contiguous(at::MemoryFormat::ChannelsLast)) {
    if (auto y = fast.Forward(x, conv->weight, conv->bias, *o.stride(), **padding, *o.dilation(),
                              o.groups(), residual, relu, residual_is_ours)) {
      return *std::move(y);
    }
  }
  torch::Tensor y = Counted(conv, x);
  if (residual.defined()) y = SumInPlace(y, residual);
  if (!relu) return y;
  return relu_owner != nullptr ? CountedReluInPlace(relu_owner, y) : y.relu_();
}

torch::Tensor ConvModuleImpl::forward(const torch::Tensor& x) {
  // A folded norm is the identity (and FlopsCount still counts it, as MMDetection's hooks).
  if (!has_norm_ || (FoldableNorm::IsFolded(norm_.ptr().get()) && ActiveFlopsCount() == nullptr)) {
    return ConvSumRelu(conv_, fast_, x, torch::Tensor(), relu_, this);
  }
  torch::Tensor y = Counted(conv_, x);
  if (has_norm_) y = Counted(norm_, y);
  // mmcv's ConvModule activates with nn.ReLU(inplace=True); `y` is the conv's or norm's fresh
  // output, which neither's backward needs.
  return relu_ ? CountedReluInPlace(this, y) : y;
}

void KaimingInit(torch::nn::Conv2d& conv, double bias) {
  torch::NoGradGuard no_grad;
  torch::nn::init::kaiming_normal_(conv->weight, 0, torch::kFanOut, torch::kReLU);
  if (conv->bias.defined()) conv->bias.fill_(bias);
}

void XavierInit(torch::nn::Conv2d& conv, double bias) {
  torch::NoGradGuard no_grad;
  torch::nn::init::xavier_uniform_(conv->weight, 1.0);
  if (conv->bias.defined()) conv->bias.fill_(bias);
}

void NormalInit(torch::nn::Conv2d& conv, double std, double bias) {
  torch::NoGradGuard no_grad;
  conv->weight.normal_(0, std);
  if (conv->bias.defined()) conv->bias.fill_(bias);
}

void NormalInit(torch::nn::Linear& linear, double std, double bias) {
  torch::NoGradGuard no_grad;
  linear->weight.normal_(0, std);
  if (linear->bias.defined()) linear->bias.fill_(bias);
}

double BiasInitWithProb(double prior_prob) { return -std::log((1 - prior_prob) / prior_prob); }

}  // namespace mmdet::models
