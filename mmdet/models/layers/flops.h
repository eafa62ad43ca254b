// MMDetection v2.0's FLOPs counter (mmdet/utils/flops_counter.py, get_flops.py) for our
// modules. MMDetection counts through forward hooks on the nn.Module types it supports; here
// the layers MMDetection would hook report themselves, through Counted(...) at their call
// sites, while a FlopsCount is alive on the calling thread (otherwise Counted is a plain call).
//
//   models::FlopsCount count;
//   model->ForwardDummy(img);
//   count.total();   // multiply-accumulates, as MMDetection's GMac
//
// What counts, per call (one MAC = 1, batch included), as MMDetection's hooks:
//   Conv2d, ConvTranspose2d  prod(kernel) * Cin * Cout / groups * prod(output spatial) * batch,
//                            + Cout * prod(output spatial) * batch with a bias (a transposed
//                            conv gets the conv formula on its output, as MMDetection's
//                            isinstance(_ConvNd) check gives it)
//   Linear                   batch * in * out (no bias term)
//   BatchNorm (BN, SyncBN)   numel(input) * 2 (affine)
//   ReLU modules, pools      numel(output) / numel(input)
// Not counted (as MMDetection): GroupNorm (not in its v2.0 supported types), functional ops
// (F.relu in the RPN head, F.interpolate and F.max_pool2d in the FPN), RoIAlign / RoIPool,
// additions, sigmoid, softmax.
#ifndef MMDET_MODELS_LAYERS_FLOPS_H_
#define MMDET_MODELS_LAYERS_FLOPS_H_

#include <string>
#include <utility>
#include <vector>

#include "torch/nn/module.h"
#include "torch/nn/modules/container/any.h"
#include "torch/nn/modules/container/sequential.h"
#include "torch/nn/modules/conv.h"

namespace mmdet::models {

class FlopsCount {
 public:
  // What one module (or a module's ReLU, `part` "relu") contributed, in call order of first use.
  struct Entry {
    const torch::nn::Module* module;
    std::string part;
    double flops = 0;
  };
  FlopsCount();
  ~FlopsCount();
  FlopsCount(const FlopsCount&) = delete;
  FlopsCount& operator=(const FlopsCount&) = delete;

  double total() const { return total_; }
  const std::vector<Entry>& entries() const { return entries_; }
  void Add(const torch::nn::Module* module, const std::string& part, double flops);

 private:
  FlopsCount* previous_;
  double total_ = 0;
  std::vector<Entry> entries_;
};

// The FlopsCount alive on this thread, or null.
FlopsCount* ActiveFlopsCount();

// Counts `module`'s call from `input` to `output` if it is a type MMDetection counts.
void CountModuleCall(const torch::nn::Module& module, const torch::Tensor& input,
                     const torch::Tensor& output);

// holder->forward(x), counted.
template <typename Holder>
torch::Tensor Counted(Holder& holder, const torch::Tensor& x) {
  torch::Tensor y = holder->forward(x);
  if (ActiveFlopsCount() != nullptr) CountModuleCall(*holder.ptr(), x, y);
  return y;
}
// A convolution's forward(x), counted; in bfloat16 autocast training a 1x1 one runs as
// mmdet/ops/autocast_conv.h's (the same forward, a faster weight gradient).
torch::Tensor Counted(torch::nn::Conv2d& conv, const torch::Tensor& x);
// An AnyModule's forward(x), counted (a Conv2d's as the overload above).
torch::Tensor Counted(torch::nn::AnyModule& module, const torch::Tensor& x);
// Each module of `seq` in turn (nn::Sequential's forward), each counted.
torch::Tensor Counted(torch::nn::Sequential& seq, const torch::Tensor& x);

// torch::relu(x) where MMDetection calls an nn.ReLU module of `owner` (counted as
// numel(output)); a functional F.relu site calls torch::relu directly.
torch::Tensor CountedRelu(const torch::nn::Module* owner, const torch::Tensor& x);
// The same with torch::relu_ on `x` itself, as MMDetection's nn.ReLU(inplace=True): for a
// tensor only the caller holds (a norm's or a sum's fresh output), half the memory traffic.
torch::Tensor CountedReluInPlace(const torch::nn::Module* owner, torch::Tensor x);
// max_pool2d(x, kernel, stride, padding) where MMDetection calls an nn.MaxPool2d of `owner`.
torch::Tensor CountedMaxPool(const torch::nn::Module* owner, const torch::Tensor& x,
                             int64_t kernel, int64_t stride, int64_t padding);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_LAYERS_FLOPS_H_
