#include "mmdet/runner/optim/optimizer_builder.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "mmdet/core/status.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/layers/layers.h"
#include "torch/nn/modules/batchnorm.h"
#include "torch/nn/modules/conv.h"
#include "torch/nn/functional/instancenorm.h"  // modules/instancenorm.h needs it, lacks it
#include "torch/nn/modules/instancenorm.h"
#include "torch/nn/modules/normalization.h"
#include "torch/optim/adam.h"
#include "torch/optim/adamw.h"
#include "torch/optim/sgd.h"

namespace mmdet::runner {
namespace {

bool IsNorm(const torch::nn::Module& m) {
  return models::IsBatchNorm(m) || dynamic_cast<const models::GroupNormImpl*>(&m) ||
         dynamic_cast<const torch::nn::GroupNormImpl*>(&m) ||
         dynamic_cast<const torch::nn::LayerNormImpl*>(&m) ||
         dynamic_cast<const torch::nn::InstanceNorm2dImpl*>(&m) ||
         dynamic_cast<const torch::nn::BatchNorm1dImpl*>(&m);
}

bool IsDepthwiseConv(const torch::nn::Module& m) {
  const auto* conv = dynamic_cast<const torch::nn::Conv2dImpl*>(&m);
  return conv != nullptr && conv->options.groups() == conv->options.in_channels();
}

template <typename Options>
std::vector<torch::optim::OptimizerParamGroup> TorchGroups(const std::vector<ParamGroup>& groups,
                                                          const Options& base) {
  std::vector<torch::optim::OptimizerParamGroup> out;
  for (const ParamGroup& g : groups) {
    auto options = std::make_unique<Options>(base);
    options->lr(g.lr);
    options->weight_decay(g.weight_decay);
    out.emplace_back(g.params, std::move(options));
  }
  return out;
}

absl::Status CheckLr(double lr, const std::string& path) {
  if (!(lr > 0)) return absl::InvalidArgumentError(absl::StrCat(path, ".lr: must be positive, got ", lr));
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<torch::optim::Optimizer>> SgdFromConfig(
    const config::SGD& cfg, const std::string& path, const OptimizerContext& ctx) {
  MMDET_RETURN_IF_ERROR(CheckLr(cfg.lr(), path));
  if (cfg.nesterov() && (cfg.momentum() <= 0 || cfg.dampening() != 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ".nesterov: needs momentum > 0 and dampening 0 (as torch.optim.SGD)"));
  }
  const torch::optim::SGDOptions base =
      torch::optim::SGDOptions(cfg.lr()).momentum(cfg.momentum()).dampening(cfg.dampening())
          .weight_decay(cfg.weight_decay()).nesterov(cfg.nesterov());
  auto groups = BuildParamGroups(*ctx.model, cfg.lr(), cfg.weight_decay(), ctx.paramwise);
  return std::shared_ptr<torch::optim::Optimizer>(
      std::make_shared<torch::optim::SGD>(TorchGroups(groups, base), base));
}

// Adam and AdamW share their hyper-parameters (config messages and LibTorch options alike).
template <typename Optim, typename Options, typename Config>
absl::StatusOr<std::shared_ptr<torch::optim::Optimizer>> AdamLikeFromConfig(
    const Config& cfg, const std::string& path, const OptimizerContext& ctx) {
  MMDET_RETURN_IF_ERROR(CheckLr(cfg.lr(), path));
  const Options base = Options(cfg.lr())
                           .betas({cfg.beta1(), cfg.beta2()})
                           .eps(cfg.eps())
                           .weight_decay(cfg.weight_decay())
                           .amsgrad(cfg.amsgrad());
  auto groups = BuildParamGroups(*ctx.model, cfg.lr(), cfg.weight_decay(), ctx.paramwise);
  return std::shared_ptr<torch::optim::Optimizer>(
      std::make_shared<Optim>(TorchGroups(groups, base), base));
}

absl::StatusOr<std::shared_ptr<torch::optim::Optimizer>> AdamFromConfig(
    const config::Adam& cfg, const std::string& path, const OptimizerContext& ctx) {
  return AdamLikeFromConfig<torch::optim::Adam, torch::optim::AdamOptions>(cfg, path, ctx);
}

absl::StatusOr<std::shared_ptr<torch::optim::Optimizer>> AdamWFromConfig(
    const config::AdamW& cfg, const std::string& path, const OptimizerContext& ctx) {
  return AdamLikeFromConfig<torch::optim::AdamW, torch::optim::AdamWOptions>(cfg, path, ctx);
}

}  // namespace

std::vector<ParamGroup> BuildParamGroups(torch::nn::Module& model, double base_lr,
                                         double base_weight_decay,
                                         const config::ParamwiseConfig* paramwise) {
  if (paramwise == nullptr) {
    return {ParamGroup{model.parameters(), base_lr, base_weight_decay}};
  }
  std::vector<ParamGroup> groups;
  // add_params: each module's own parameters, modules in pre-order (named_parameters order).
  for (const auto& module : model.modules(/*include_self=*/true)) {
    const bool norm = IsNorm(*module);
    const bool dwconv = IsDepthwiseConv(*module);
    for (const auto& item : module->named_parameters(/*recurse=*/false)) {
      const torch::Tensor& p = item.value();
      if (!p.requires_grad()) continue;
      ParamGroup g{{p}, base_lr, base_weight_decay};
      const bool bias = item.key() == "bias";
      if (bias && !norm) g.lr = base_lr * paramwise->bias_lr_mult();
      if (norm) {
        g.weight_decay = base_weight_decay * paramwise->norm_decay_mult();
      } else if (dwconv) {
        g.weight_decay = base_weight_decay * paramwise->dwconv_decay_mult();
      } else if (bias) {
        g.weight_decay = base_weight_decay * paramwise->bias_decay_mult();
      }
      groups.push_back(std::move(g));
    }
  }
  return groups;
}

absl::StatusOr<std::shared_ptr<torch::optim::Optimizer>> BuildOptimizer(
    const config::Optimizer& cfg, torch::nn::Module& model) {
  OptimizerContext ctx;
  ctx.model = &model;
  ctx.paramwise = cfg.has_paramwise_cfg() ? &cfg.paramwise_cfg() : nullptr;
  const std::string path = SelectedMemberPath(cfg, "optimizer");
  return BuildComponent<torch::optim::Optimizer, const std::string&, const OptimizerContext&>(
      OptimizerRegistry::Global(), cfg, "optimizer", path, ctx);
}

std::vector<double> GroupLrs(const torch::optim::Optimizer& optimizer) {
  std::vector<double> lrs;
  for (const auto& group : optimizer.param_groups()) lrs.push_back(group.options().get_lr());
  return lrs;
}

void SetGroupLrs(torch::optim::Optimizer& optimizer, const std::vector<double>& lrs) {
  auto& groups = optimizer.param_groups();
  for (size_t i = 0; i < groups.size() && i < lrs.size(); ++i) groups[i].options().set_lr(lrs[i]);
}

MMDET_REGISTER(OptimizerRegistry, config::SGD, SgdFromConfig);
MMDET_REGISTER(OptimizerRegistry, config::Adam, AdamFromConfig);
MMDET_REGISTER(OptimizerRegistry, config::AdamW, AdamWFromConfig);

}  // namespace mmdet::runner
