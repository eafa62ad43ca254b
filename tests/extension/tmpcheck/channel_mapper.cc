// ChannelMapper: a ConvModule (conv + ReLU) per level, children convs.0, convs.1, ...
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "mmdet/core/registry.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/layers/layers.h"
#include "mmdet/models/necks/neck.h"
#include "tests/extension/tmpcheck/channel_mapper.pb.h"

namespace my {
namespace {

using mmdet::models::ConvModuleImpl;

class ChannelMapperImpl : public mmdet::models::NeckImpl {
 public:
  explicit ChannelMapperImpl(std::vector<std::shared_ptr<ConvModuleImpl>> convs)
      : convs_(std::move(convs)) {
    torch::nn::ModuleList list;
    for (const auto& conv : convs_) list->push_back(conv);
    register_module("convs", list);
  }

  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& inputs) override {
    TORCH_CHECK(inputs.size() == convs_.size(), "ChannelMapper: expected ", convs_.size(),
                " levels, got ", inputs.size());
    std::vector<torch::Tensor> outs;
    for (size_t i = 0; i < inputs.size(); ++i) outs.push_back(convs_[i]->forward(inputs[i]));
    return outs;
  }

 private:
  std::vector<std::shared_ptr<ConvModuleImpl>> convs_;
};

absl::StatusOr<std::shared_ptr<mmdet::models::NeckImpl>> ChannelMapperFromConfig(
    const ChannelMapper& cfg, const std::string& path) {
  if (cfg.in_channels_size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".in_channels: required"));
  }
  if (cfg.out_channels() < 1) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".out_channels: must be >= 1"));
  }
  if (cfg.kernel_size() < 1 || cfg.kernel_size() % 2 == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".kernel_size: must be odd"));
  }
  std::vector<std::shared_ptr<ConvModuleImpl>> convs;
  for (int in : cfg.in_channels()) {
    mmdet::models::ConvModuleOptions o;
    o.in_channels = in;
    o.out_channels = cfg.out_channels();
    o.kernel_size = cfg.kernel_size();
    o.padding = cfg.kernel_size() / 2;
    MMDET_ASSIGN_OR_RETURN(auto conv, ConvModuleImpl::Create(o));
    convs.push_back(std::move(conv));
  }
  return std::shared_ptr<mmdet::models::NeckImpl>(
      std::make_shared<ChannelMapperImpl>(std::move(convs)));
}

}  // namespace

MMDET_REGISTER(mmdet::models::NeckRegistry, ChannelMapper, ChannelMapperFromConfig);

}  // namespace my
