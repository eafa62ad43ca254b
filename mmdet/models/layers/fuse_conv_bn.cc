#include "mmdet/models/layers/fuse_conv_bn.h"

#include "mmdet/models/layers/layers.h"

namespace mmdet::models {

namespace {

void Fold(torch::nn::Conv2dImpl& conv, FoldableNorm& norm, FuseMode mode) {
  torch::NoGradGuard no_grad;
  const FoldableNorm::Statistics s = norm.statistics();
  const torch::Tensor factor = s.weight / torch::sqrt(s.running_var + s.eps);
  const torch::Tensor bias = conv.bias.defined() ? conv.bias : torch::zeros_like(s.running_mean);
  const torch::Tensor new_bias = (bias - s.running_mean) * factor + s.bias;
  conv.weight.mul_(factor.reshape({-1, 1, 1, 1}));
  if (mode == FuseMode::kCheckpoint) {
    // running_var = 1 - eps, nudged until var + eps is exactly 1 in the norm's dtype, so
    // (x - 0) / sqrt(var + eps) * 1 is x exactly.
    const torch::Tensor one = torch::ones({}, s.running_var.options());
    torch::Tensor var = one - s.eps;
    for (int i = 0; i < 8 && !torch::equal(var + s.eps, one); ++i) {
      var = torch::nextafter(var, (var + s.eps < one).item<bool>() ? one * 2 : one * 0);
    }
    s.weight.fill_(1);
    s.running_mean.zero_();
    s.running_var.copy_(var.expand_as(s.running_var));
    s.bias.copy_(new_bias);
    if (conv.bias.defined()) conv.bias.zero_();
    return;
  }
  if (conv.bias.defined()) {
    conv.bias.copy_(new_bias);
  } else {
    conv.bias = new_bias;
  }
  norm.MarkFolded();
}

}  // namespace

int64_t FuseConvBn(torch::nn::Module& module, FuseMode mode) {
  int64_t folded = 0;
  torch::nn::Conv2dImpl* last_conv = nullptr;
  for (const auto& child : module.children()) {
    if (auto* norm = dynamic_cast<FoldableNorm*>(child.get())) {
      if (last_conv != nullptr && !norm->folded()) {
        Fold(*last_conv, *norm, mode);
        ++folded;
      }
      last_conv = nullptr;
    } else if (auto* conv = dynamic_cast<torch::nn::Conv2dImpl*>(child.get())) {
      last_conv = conv;
    } else {
      folded += FuseConvBn(*child, mode);
    }
  }
  return folded;
}

}  // namespace mmdet::models
