// A tiny model and data for the distributed tests: the same steps in 1 process on the whole
// batch and in 2 processes on halves must give the same parameters.
#ifndef MMDET_RUNNER_DIST_TESTING_TINY_NET_H_
#define MMDET_RUNNER_DIST_TESTING_TINY_NET_H_

#include <vector>

#include "torch/nn/module.h"
#include "torch/nn/modules/linear.h"
#include "torch/utils.h"

namespace mmdet::runner::testing {

struct TinyNetImpl : torch::nn::Module {
  TinyNetImpl() {
    fc1 = register_module("fc1", torch::nn::Linear(6, 16));
    fc2 = register_module("fc2", torch::nn::Linear(16, 16));
    fc3 = register_module("fc3", torch::nn::Linear(16, 3));
    side = register_module("side", torch::nn::Linear(6, 3));  // used only when asked
    register_buffer("steps", torch::zeros({1}, torch::kInt64));
  }
  torch::Tensor forward(const torch::Tensor& x, bool use_side) {
    torch::Tensor y = fc3(torch::relu(fc2(torch::relu(fc1(x)))));
    return use_side ? y + side(x) : y;
  }
  torch::nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr}, side{nullptr};
};
TORCH_MODULE(TinyNet);

constexpr int kSteps = 5;
constexpr int kBatch = 8;  // the whole batch; each of 2 ranks takes half

// Step s's inputs and targets (the whole batch), the same in every process.
inline std::vector<std::pair<torch::Tensor, torch::Tensor>> Data() {
  torch::manual_seed(7);
  std::vector<std::pair<torch::Tensor, torch::Tensor>> data;
  for (int s = 0; s < kSteps; ++s) {
    data.emplace_back(torch::randn({kBatch, 6}), torch::randn({kBatch, 3}));
  }
  return data;
}

// The model's parameters as one flat tensor.
inline torch::Tensor Flat(TinyNet& net) {
  std::vector<torch::Tensor> v;
  for (const auto& p : net->parameters()) v.push_back(p.detach().reshape(-1));
  return torch::cat(v);
}

}  // namespace mmdet::runner::testing

#endif  // MMDET_RUNNER_DIST_TESTING_TINY_NET_H_
