// MMDetection v2.0's tools/get_flops.py: the multiply-accumulates and the trainable
// parameters of CONFIG's model on one (3, H, W) input through forward_dummy.
//
//   bazel run //tools:get_flops -- CONFIG [--shape H [W]] [--verbose 1] [--cfg-options ...]
//
// Prints (stdout), as MMDetection:
//   ==============================
//   Input shape: (3, 1280, 800)
//   Flops: 215.96 GMac
//   Params: 41.53 M
//   ==============================
//   !!!Please be cautious if you use the results in papers. ...
// --shape defaults to 1280 800; one value n means (3, n, n). Flops and params are rounded as
// Python's round(x / 1e9, 2) / round(x / 1e6, 2) and printed as str() prints a float. What is
// counted is mmdet/models/layers/flops.h's list (MMDetection's hooks); --verbose 1 adds one
// line per counted module with its GMac and share.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "mmdet/config/overrides.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/models/detectors/detector.h"
#include "mmdet/models/layers/flops.h"
#include "tools/common_flags.h"
#include "tools/tool_main.h"
#include "torch/nn/module.h"
#include "torch/utils.h"

ABSL_FLAG(std::vector<std::string>, shape, std::vector<std::string>({"1280", "800"}),
          "Input image size: H W, or one value for a square.");
// tool_main's --verbose N: N >= 1 also prints the MACs of every counted module.
ABSL_DECLARE_FLAG(int, verbose);

namespace mmdet::tools {
namespace {

// Python's str(round(x, 2)): "%.2f" rounds the exact binary value as round() does, and the
// fewest decimals that read back to that double are what repr() prints ("239.32", "1.5",
// "37.0").
std::string PyRound2(double x) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.2f", x);
  const double rounded = std::strtod(buf, nullptr);
  for (int decimals = 0; decimals <= 2; ++decimals) {
    std::snprintf(buf, sizeof(buf), "%.*f", decimals, rounded);
    if (std::strtod(buf, nullptr) == rounded) break;
  }
  std::string s = buf;
  if (s.find('.') == std::string::npos) s += ".0";
  return s;
}

std::string ParamsToString(double p) {
  if (std::floor(p / 1e6) > 0) return PyRound2(p / 1e6) + " M";
  if (std::floor(p / 1e3) > 0) return PyRound2(p / 1e3) + " k";
  return absl::StrCat(static_cast<int64_t>(p));
}

absl::Status Run(const std::vector<std::string>& positional) {
  std::vector<std::string> args = positional;
  MMDET_ASSIGN_OR_RETURN(config::Config cfg, LoadToolConfig(&args));
  MMDET_RETURN_IF_ERROR(NoExtraArgs(args));
  const std::vector<std::string> shape = absl::GetFlag(FLAGS_shape);
  int64_t h = 0, w = 0;
  if (shape.size() == 1 && absl::SimpleAtoi(shape[0], &h)) {
    w = h;
  } else if (shape.size() != 2 || !absl::SimpleAtoi(shape[0], &h) ||
             !absl::SimpleAtoi(shape[1], &w)) {
    return absl::InvalidArgumentError("--shape: expected H [W] (positive integers), got " +
                                      absl::StrJoin(shape, " "));
  }
  if (h < 32 || w < 32) return absl::InvalidArgumentError("--shape: H and W must be at least 32");
  MMDET_RETURN_IF_ERROR(ApplyOverride("model.pretrained=", &cfg));
  MMDET_ASSIGN_OR_RETURN(std::shared_ptr<models::DetectorImpl> model, models::BuildDetector(cfg));
  model->eval();
  double params = 0;
  for (const torch::Tensor& p : model->parameters()) {
    if (p.requires_grad()) params += static_cast<double>(p.numel());
  }
  torch::manual_seed(0);
  const torch::Tensor img = torch::zeros({1, 3, h, w});
  models::FlopsCount count;
  MMDET_RETURN_IF_ERROR(model->ForwardDummy(img));
  const double flops = count.total();

  if (absl::GetFlag(FLAGS_verbose) >= 1) {
    std::map<const torch::nn::Module*, std::string> names;
    for (const auto& item : model->named_modules()) names[item.value().get()] = item.key();
    for (const models::FlopsCount::Entry& e : count.entries()) {
      std::string name = names.count(e.module) ? names[e.module] : "?";
      if (!e.part.empty()) name += (name.empty() ? "" : ".") + e.part;
      std::cout << absl::StrFormat("%-48s %10.3f GMac, %7.3f%% MACs\n", name, e.flops / 1e9,
                                   flops > 0 ? 100.0 * e.flops / flops : 0.0);
    }
  }
  const std::string line(30, '=');
  std::cout << line << "\n"
            << "Input shape: (3, " << h << ", " << w << ")\n"
            << "Flops: " << PyRound2(flops / 1e9) << " GMac\n"
            << "Params: " << ParamsToString(params) << "\n"
            << line << "\n"
            << "!!!Please be cautious if you use the results in papers. You may need to check "
               "if all ops are supported and verify that the flops computation is correct.\n"
            << "(Not counted, as in MMDetection: GroupNorm, functional ops such as F.relu, "
               "F.interpolate and F.max_pool2d, RoIAlign / RoIPool, additions.)"
            << std::endl;
  return absl::OkStatus();
}

}  // namespace
}  // namespace mmdet::tools

int main(int argc, char** argv) {
  std::vector<std::string> args = mmdet::tools::InitTool(
      {.usage = "get_flops CONFIG [--shape H [W]] [--verbose 1] [--cfg-options KEY=VALUE ...]",
       .takes_config = true,
       .list_flags = {"shape"}},
      argc, argv);
  return mmdet::tools::RunTool(&mmdet::tools::Run, args);
}
