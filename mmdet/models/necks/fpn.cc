#include "mmdet/models/necks/fpn.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "mmdet/core/status.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/layers/layers.h"
#include "mmdet/models/necks/fpn.pb.h"
#include "torch/nn/functional/upsampling.h"
#include "torch/nn/modules/container/modulelist.h"

namespace mmdet::models {

namespace {

namespace F = torch::nn::functional;

class FPNImpl : public NeckImpl {
 public:
  static absl::StatusOr<std::shared_ptr<FPNImpl>> Create(const config::FPN& cfg,
                                                         const std::string& path);

  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& inputs) override {
    std::vector<torch::Tensor> laterals;
    for (size_t i = 0; i < lateral_convs_.size(); ++i) {
      laterals.push_back(lateral_convs_[i]->forward(inputs[i + start_level_]));
    }
    for (size_t i = laterals.size() - 1; i >= 1; --i) {
      const auto size = laterals[i - 1].sizes();
      const torch::Tensor top_down = F::interpolate(
          laterals[i], F::InterpolateFuncOptions()
                           .size(std::vector<int64_t>{size[2], size[3]})
                           .mode(torch::kNearest));
      // In place, as MMDetection's `laterals[i - 1] += ...` (the lateral conv's output is ours
      // alone).
      laterals[i - 1] = SumInPlace(laterals[i - 1], top_down);
    }
    std::vector<torch::Tensor> outs;
    for (size_t i = 0; i < laterals.size(); ++i) outs.push_back(fpn_convs_[i]->forward(laterals[i]));
    const size_t used = laterals.size();
    if (static_cast<size_t>(num_outs_) > outs.size()) {
      if (extra_source_.empty()) {
        while (outs.size() < static_cast<size_t>(num_outs_)) {
          outs.push_back(torch::max_pool2d(outs.back(), 1, 2));
        }
      } else {
        torch::Tensor source = extra_source_ == "on_input"     ? inputs[backbone_end_level_ - 1]
                               : extra_source_ == "on_lateral" ? laterals.back()
                                                               : outs.back();
        outs.push_back(fpn_convs_[used]->forward(source));
        for (size_t i = used + 1; i < static_cast<size_t>(num_outs_); ++i) {
          outs.push_back(fpn_convs_[i]->forward(relu_before_extra_convs_ ? torch::relu(outs.back())
                                                                         : outs.back()));
        }
      }
    }
    return outs;
  }

 private:
  FPNImpl() = default;
  std::vector<std::shared_ptr<ConvModuleImpl>> lateral_convs_, fpn_convs_;
  int start_level_ = 0, backbone_end_level_ = 0, num_outs_ = 0;
  std::string extra_source_;
  bool relu_before_extra_convs_ = false;
};

absl::StatusOr<std::shared_ptr<FPNImpl>> FPNImpl::Create(const config::FPN& cfg,
                                                         const std::string& path) {
  auto error = [&](const std::string& field, const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".", field, ": ", what));
  };
  const int num_ins = cfg.in_channels_size();
  if (num_ins < 1) return error("in_channels", "required (the backbone's output channels)");
  std::shared_ptr<FPNImpl> fpn(new FPNImpl);
  fpn->num_outs_ = cfg.num_outs();
  fpn->start_level_ = cfg.start_level();
  if (cfg.start_level() < 0 || cfg.start_level() >= num_ins) {
    return error("start_level", absl::StrCat("expected 0 to ", num_ins - 1));
  }
  if (cfg.end_level() == -1) {
    fpn->backbone_end_level_ = num_ins;
    if (cfg.num_outs() < num_ins - cfg.start_level()) {
      return error("num_outs", absl::StrCat("must be at least ", num_ins - cfg.start_level(),
                                            " (the inputs from start_level on)"));
    }
  } else {
    fpn->backbone_end_level_ = cfg.end_level();
    if (cfg.end_level() > num_ins || cfg.end_level() <= cfg.start_level()) {
      return error("end_level", absl::StrCat("expected start_level < end_level <= ", num_ins));
    }
    if (cfg.num_outs() != cfg.end_level() - cfg.start_level()) {
      return error("num_outs", "must be end_level - start_level when end_level is set");
    }
  }
  const std::string& extra = cfg.add_extra_convs();
  if (extra == "true" || extra == "True") {
    fpn->extra_source_ = cfg.extra_convs_on_inputs() ? "on_input" : "on_output";
  } else if (extra == "" || extra == "false" || extra == "False") {
    fpn->extra_source_ = "";
  } else if (extra == "on_input" || extra == "on_lateral" || extra == "on_output") {
    fpn->extra_source_ = extra;
  } else {
    return error("add_extra_convs", absl::StrCat("expected \"\", \"on_input\", \"on_lateral\", "
                                                 "\"on_output\" or \"true\", got \"", extra, "\""));
  }
  fpn->relu_before_extra_convs_ = cfg.relu_before_extra_convs();
  const int64_t out = cfg.out_channels();
  std::optional<config::NormConfig> norm;
  if (cfg.has_norm_cfg()) norm = cfg.norm_cfg();
  torch::nn::ModuleList laterals, fpn_convs;
  for (int i = cfg.start_level(); i < fpn->backbone_end_level_; ++i) {
    ConvModuleOptions lateral;
    lateral.in_channels = cfg.in_channels(i);
    lateral.out_channels = out;
    lateral.kernel_size = 1;
    if (!cfg.no_norm_on_lateral()) lateral.norm_cfg = norm;
    lateral.relu = false;
    ConvModuleOptions smooth;
    smooth.in_channels = out;
    smooth.out_channels = out;
    smooth.kernel_size = 3;
    smooth.padding = 1;
    smooth.norm_cfg = norm;
    smooth.relu = false;
    auto l = ConvModuleImpl::Create(lateral);
    auto f = ConvModuleImpl::Create(smooth);
    if (!l.ok()) return Annotate(l.status(), path);
    if (!f.ok()) return Annotate(f.status(), path);
    laterals->push_back(*l);
    fpn_convs->push_back(*f);
    fpn->lateral_convs_.push_back(*l);
    fpn->fpn_convs_.push_back(*f);
  }
  const int extra_levels = cfg.num_outs() - fpn->backbone_end_level_ + cfg.start_level();
  if (!fpn->extra_source_.empty()) {
    for (int i = 0; i < extra_levels; ++i) {
      ConvModuleOptions o;
      o.in_channels = i == 0 && fpn->extra_source_ == "on_input"
                          ? cfg.in_channels(fpn->backbone_end_level_ - 1)
                          : out;
      o.out_channels = out;
      o.kernel_size = 3;
      o.stride = 2;
      o.padding = 1;
      o.norm_cfg = norm;
      o.relu = false;
      auto conv = ConvModuleImpl::Create(o);
      if (!conv.ok()) return Annotate(conv.status(), path);
      fpn_convs->push_back(*conv);
      fpn->fpn_convs_.push_back(*conv);
    }
  }
  fpn->register_module("lateral_convs", laterals);
  fpn->register_module("fpn_convs", fpn_convs);
  for (auto& conv : fpn->lateral_convs_) XavierInit(conv->conv());
  for (auto& conv : fpn->fpn_convs_) XavierInit(conv->conv());
  return fpn;
}

absl::StatusOr<std::shared_ptr<NeckImpl>> FPNFromConfig(const config::FPN& cfg,
                                                        const std::string& path) {
  MMDET_ASSIGN_OR_RETURN(auto fpn, FPNImpl::Create(cfg, path));
  return std::shared_ptr<NeckImpl>(std::move(fpn));
}

}  // namespace

MMDET_REGISTER(NeckRegistry, config::FPN, FPNFromConfig);

}  // namespace mmdet::models
