#include "mmdet/models/layers/flops.h"

#include "mmdet/models/layers/layers.h"
#include "mmdet/ops/autocast_conv.h"
#include "mmdet/ops/max_pool.h"
#include "torch/nn/module.h"
#include "torch/nn/modules/activation.h"
#include "torch/nn/modules/container/any.h"
#include "torch/nn/modules/container/sequential.h"
#include "torch/nn/modules/conv.h"
#include "torch/nn/modules/linear.h"
#include "torch/nn/modules/pooling.h"

namespace mmdet::models {

namespace {

thread_local FlopsCount* active = nullptr;

double Spatial(const torch::Tensor& t) {
  double n = 1;
  for (int64_t d = 2; d < t.dim(); ++d) n *= static_cast<double>(t.size(d));
  return n;
}

template <typename Options>
double ConvFlops(const Options& o, bool has_bias, const torch::Tensor& output) {
  double kernel = 1;
  for (int64_t k : (*o.kernel_size())) kernel *= static_cast<double>(k);
  const double active_elements = static_cast<double>(output.size(0)) * Spatial(output);
  const double per_position = kernel * static_cast<double>(o.in_channels()) *
                              static_cast<double>(o.out_channels() / o.groups());
  return per_position * active_elements +
         (has_bias ? static_cast<double>(o.out_channels()) * active_elements : 0.0);
}

}  // namespace

FlopsCount::FlopsCount() : previous_(active) { active = this; }
FlopsCount::~FlopsCount() { active = previous_; }

void FlopsCount::Add(const torch::nn::Module* module, const std::string& part, double flops) {
  total_ += flops;
  for (Entry& e : entries_) {
    if (e.module == module && e.part == part) {
      e.flops += flops;
      return;
    }
  }
  entries_.push_back({module, part, flops});
}

FlopsCount* ActiveFlopsCount() { return active; }

void CountModuleCall(const torch::nn::Module& module, const torch::Tensor& input,
                     const torch::Tensor& output) {
  FlopsCount* count = active;
  if (count == nullptr) return;
  double flops = -1;
  if (const auto* conv = dynamic_cast<const torch::nn::Conv2dImpl*>(&module)) {
    flops = ConvFlops(conv->options, conv->options.bias(), output);
  } else if (const auto* deconv = dynamic_cast<const torch::nn::ConvTranspose2dImpl*>(&module)) {
    flops = ConvFlops(deconv->options, deconv->options.bias(), output);
  } else if (const auto* linear = dynamic_cast<const torch::nn::LinearImpl*>(&module)) {
    flops = static_cast<double>(input.size(0)) * static_cast<double>(linear->options.in_features()) *
            static_cast<double>(linear->options.out_features());
  } else if (IsBatchNorm(module)) {
    flops = static_cast<double>(input.numel()) * 2;
  } else if (dynamic_cast<const torch::nn::ReLUImpl*>(&module) != nullptr) {
    flops = static_cast<double>(output.numel());
  } else if (dynamic_cast<const torch::nn::MaxPool2dImpl*>(&module) != nullptr ||
             dynamic_cast<const torch::nn::AvgPool2dImpl*>(&module) != nullptr ||
             dynamic_cast<const torch::nn::AdaptiveAvgPool2dImpl*>(&module) != nullptr) {
    flops = static_cast<double>(input.numel());
  }
  if (flops >= 0) count->Add(&module, "", flops);
}

namespace {
torch::Tensor ConvForward(torch::nn::Conv2dImpl& conv, const torch::Tensor& x) {
  const auto& o = conv.options;
  if (const auto* padding = ExplicitZeroPadding(o)) {
    if (auto y = ops::AutocastTrainConv1x1(x, conv.weight, conv.bias, *o.stride(), **padding,
                                           *o.dilation(), o.groups())) {
      return *std::move(y);
    }
  }
  return conv.forward(x);
}
}  // namespace

torch::Tensor Counted(torch::nn::Conv2d& conv, const torch::Tensor& x) {
  torch::Tensor y = ConvForward(*conv, x);
  if (active != nullptr) CountModuleCall(*conv, x, y);
  return y;
}

torch::Tensor Counted(torch::nn::AnyModule& module, const torch::Tensor& x) {
  auto* conv = dynamic_cast<torch::nn::Conv2dImpl*>(module.ptr().get());
  torch::Tensor y = conv != nullptr ? ConvForward(*conv, x) : module.forward(x);
  if (active != nullptr) CountModuleCall(*module.ptr(), x, y);
  return y;
}

torch::Tensor Counted(torch::nn::Sequential& seq, const torch::Tensor& x) {
  // Module by module (a downsample's convolution goes through ConvForward).
  torch::Tensor y = x;
  for (auto& module : *seq) y = Counted(module, y);
  return y;
}

torch::Tensor CountedRelu(const torch::nn::Module* owner, const torch::Tensor& x) {
  torch::Tensor y = torch::relu(x);
  if (active != nullptr) active->Add(owner, "relu", static_cast<double>(y.numel()));
  return y;
}

torch::Tensor CountedReluInPlace(const torch::nn::Module* owner, torch::Tensor x) {
  x.relu_();
  if (active != nullptr) active->Add(owner, "relu", static_cast<double>(x.numel()));
  return x;
}

torch::Tensor CountedMaxPool(const torch::nn::Module* owner, const torch::Tensor& x,
                             int64_t kernel, int64_t stride, int64_t padding) {
  // at::max_pool2d's maxima; without a gradient on the CPU, a faster kernel (mmdet/ops/max_pool.h).
  torch::Tensor y = ops::MaxPool2d(x, kernel, stride, padding);
  if (active != nullptr) active->Add(owner, "maxpool", static_cast<double>(x.numel()));
  return y;
}

}  // namespace mmdet::models
