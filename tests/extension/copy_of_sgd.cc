// CopyOfSGD: torch's SGD under a new name, over mmdet's parameter groups (paramwise_cfg
// included), registered in the optimizer registry.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "mmdet/core/registry.h"
#include "mmdet/runner/optim/optimizer_builder.h"
#include "tests/extension/copy_of_sgd.pb.h"
#include "torch/optim/sgd.h"

namespace mmdet_ext {
namespace {

using mmdet::runner::OptimizerContext;
using mmdet::runner::OptimizerRegistry;

absl::StatusOr<std::shared_ptr<torch::optim::Optimizer>> CopyOfSgdFromConfig(
    const CopyOfSGD& cfg, const std::string& path, const OptimizerContext& ctx) {
  if (!(cfg.lr() > 0)) return absl::InvalidArgumentError(absl::StrCat(path, ".lr: must be positive"));
  const auto base = torch::optim::SGDOptions(cfg.lr())
                        .momentum(cfg.momentum())
                        .weight_decay(cfg.weight_decay());
  std::vector<torch::optim::OptimizerParamGroup> groups;
  for (const auto& g : mmdet::runner::BuildParamGroups(*ctx.model, cfg.lr(), cfg.weight_decay(),
                                                       ctx.paramwise)) {
    auto options = std::make_unique<torch::optim::SGDOptions>(base);
    options->lr(g.lr).weight_decay(g.weight_decay);
    groups.emplace_back(g.params, std::move(options));
  }
  return std::shared_ptr<torch::optim::Optimizer>(
      std::make_shared<torch::optim::SGD>(std::move(groups), base));
}

}  // namespace
}  // namespace mmdet_ext

MMDET_REGISTER(mmdet::runner::OptimizerRegistry, mmdet_ext::CopyOfSGD,
               mmdet_ext::CopyOfSgdFromConfig);
