// Writes files for the Python interop check (check_interop.py, run where PyTorch is):
//   resnet50.pth           our ResNet-50's state_dict, stem and stages 1-2 (random weights and
//                          BN statistics; the first two stages keep the files small)
//   resnet50_io.pth        {'input': [1, 3, 96, 128], 'outputs': [C2, C3]} in eval mode
//   checkpoint.pth         a checkpoint in MMDetection's layout (meta with the Faster R-CNN
//                          config text, the state_dict above, an SGD optimizer state)
// Usage: interop_export OUT_DIR
#include <cstdio>
#include <string>

#include "google/protobuf/text_format.h"
#include "mmdet/config/loader.h"
#include "mmdet/core/pth/pth.h"
#include "mmdet/models/backbones/backbone.h"
#include "mmdet/models/checkpoint/checkpoint.h"
#include "torch/utils.h"

namespace mmdet {
namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "interop_export: %s\n", status.ToString().c_str());
  return 1;
}

int Main(const std::string& out) {
  torch::manual_seed(0);
  config::Backbone cfg;
  google::protobuf::TextFormat::ParseFromString("resnet { depth: 50 num_stages: 2 out_indices: [0, 1] strides: [1, 2] dilations: [1, 1] }", &cfg);
  auto backbone = models::BuildBackbone(cfg, "backbone");
  if (!backbone.ok()) return Fail(backbone.status());
  {
    torch::NoGradGuard no_grad;
    for (auto& item : (*backbone)->named_buffers()) {
      if (item.key().find("running_mean") != std::string::npos) item.value().normal_(0, 0.1);
      if (item.key().find("running_var") != std::string::npos) item.value().uniform_(0.5, 1.5);
    }
    for (auto& item : (*backbone)->named_parameters()) {
      if (item.key().find("bn") != std::string::npos && item.key().find("weight") != std::string::npos) {
        item.value().uniform_(0.5, 1.5);  // no zero-initialised residual norms
      }
    }
  }
  (*backbone)->eval();
  const models::StateDict state = models::GetStateDict(**backbone);
  if (auto s = pth::SavePth(out + "/resnet50.pth", models::StateDictToValue(state)); !s.ok()) return Fail(s);
  const torch::Tensor input = torch::randn({1, 3, 96, 128});
  std::vector<pth::Value> outputs;
  {
    torch::NoGradGuard no_grad;
    for (const torch::Tensor& t : (*backbone)->forward(input)) outputs.push_back(pth::Value::Tensor(t));
  }
  pth::Value io = pth::Value::Dict();
  io.Set("input", pth::Value::Tensor(input));
  io.Set("outputs", pth::Value::List(outputs));
  if (auto s = pth::SavePth(out + "/resnet50_io.pth", io); !s.ok()) return Fail(s);

  auto config = LoadConfig("configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt");
  if (!config.ok()) return Fail(config.status());
  pth::Value meta = pth::Value::Dict();
  meta.Set("mmdet_version", pth::Value::String("2.0.0"));
  meta.Set("epoch", pth::Value::Int(12));
  meta.Set("iter", pth::Value::Int(87960));
  meta.Set("CLASSES", pth::Value::Tuple({pth::Value::String("person"), pth::Value::String("bicycle")}));
  meta.Set("config", pth::Value::String(ConfigToText(*config)));
  pth::Value optimizer = pth::Value::Dict();
  pth::Value opt_state = pth::Value::Dict();
  pth::Value buffer = pth::Value::Dict();
  buffer.Set("momentum_buffer", pth::Value::Tensor(torch::ones({64, 3, 7, 7})));
  opt_state.Set(pth::Value::Int(0), buffer);
  optimizer.Set("state", opt_state);
  pth::Value group = pth::Value::Dict();
  group.Set("lr", pth::Value::Float(0.02));
  group.Set("momentum", pth::Value::Float(0.9));
  group.Set("weight_decay", pth::Value::Float(0.0001));
  group.Set("nesterov", pth::Value::Bool(false));
  group.Set("params", pth::Value::List({pth::Value::Int(0), pth::Value::Int(1)}));
  optimizer.Set("param_groups", pth::Value::List({group}));
  if (auto s = models::SaveCheckpoint(out + "/checkpoint.pth", state, meta, optimizer);
      !s.ok()) {
    return Fail(s);
  }
  std::printf("wrote %s/{resnet50,resnet50_io,checkpoint}.pth\n", out.c_str());
  return 0;
}

}  // namespace
}  // namespace mmdet

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: interop_export OUT_DIR\n");
    return 2;
  }
  return mmdet::Main(argv[1]);
}
