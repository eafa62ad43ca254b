#include "mmdet/models/layers/memory_format.h"

namespace mmdet::models {

int64_t ToChannelsLast(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  int64_t converted = 0;
  auto convert = [&](torch::Tensor& t) {
    if (!t.defined() || t.dim() != 4 || t.is_contiguous(at::MemoryFormat::ChannelsLast)) return;
    t.set_data(t.contiguous(at::MemoryFormat::ChannelsLast));
    ++converted;
  };
  for (auto& p : module.parameters(/*recurse=*/true)) convert(p);
  for (auto& b : module.buffers(/*recurse=*/true)) convert(b);
  return converted;
}

}  // namespace mmdet::models
