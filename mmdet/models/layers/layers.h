// Building blocks shared by backbones, necks and heads, with mmcv.cnn's module names so that
// state_dict keys match MMDetection's: build_norm_layer ("bn"/"gn" + postfix), ConvModule
// (`conv` then `bn`/`gn` then an optional ReLU), and mmcv's weight initialisers.
#ifndef MMDET_MODELS_LAYERS_LAYERS_H_
#define MMDET_MODELS_LAYERS_LAYERS_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "mmdet/config/common.pb.h"
#include "mmdet/ops/onednn_conv.h"
#include "torch/nn/module.h"
#include "torch/nn/modules/container/any.h"
#include "torch/nn/modules/conv.h"
#include "torch/nn/modules/linear.h"

namespace mmdet::models {

// A BatchNorm that FuseConvBn (fuse_conv_bn.h) can fold into the convolution before it: once
// folded, its forward is the identity. Its parameters and buffers stay, so state_dict keys
// do not change.
class FoldableNorm {
 public:
  struct Statistics {
    torch::Tensor weight, bias, running_mean, running_var;
    double eps;
  };
  virtual ~FoldableNorm() = default;
  virtual Statistics statistics() const = 0;
  bool folded() const { return folded_; }
  void MarkFolded() { folded_ = true; }
  // True when `norm` is a FoldableNorm that FuseConvBn has folded (its forward: the identity).
  static bool IsFolded(const torch::nn::Module* norm) {
    const auto* foldable = dynamic_cast<const FoldableNorm*>(norm);
    return foldable != nullptr && foldable->folded();
  }

 private:
  bool folded_ = false;
};

// norm_cfg type GN: torch.nn.GroupNorm (the same aten::group_norm call and state_dict entries:
// weight, bias). Under reduced-precision autocast (DetectorImpl::set_feature_dtype) it runs
// in float32, as CUDA autocast's policy for group_norm says: a bfloat16 / float16 input is
// widened to the parameters' dtype first.
class GroupNormImpl : public torch::nn::Module {
 public:
  GroupNormImpl(int64_t num_groups, int64_t num_channels, double eps);
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override;

  torch::Tensor weight, bias;

 private:
  int64_t num_groups_, num_channels_;
  double eps_;
};
TORCH_MODULE(GroupNorm);

// norm_cfg type BN: torch.nn.BatchNorm2d (the same aten::batch_norm call and state_dict
// entries: weight, bias, running_mean, running_var, num_batches_tracked), foldable.
class BatchNorm2dImpl : public torch::nn::Module, public FoldableNorm {
 public:
  BatchNorm2dImpl(int64_t num_features, double eps, double momentum);
  // Batch statistics (and running-average updates) in training mode, the running statistics
  // in eval mode; the identity once folded.
  torch::Tensor forward(const torch::Tensor& x);
  Statistics statistics() const override {
    return {weight, bias, running_mean, running_var, eps_};
  }
  void pretty_print(std::ostream& stream) const override;

  torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;

 protected:
  int64_t num_features_;
  double eps_, momentum_;
};
TORCH_MODULE(BatchNorm2d);

// SyncBN (norm_cfg type SyncBN): a BatchNorm2d whose batch statistics are meant to be
// reduced over the processes of a c10d process group, as torch.nn.SyncBatchNorm. The
// reduction is not implemented yet, so a SyncBN layer computes exactly BatchNorm2d with
// per-process statistics, and BuildNormLayer says so once per process on stderr. Its
// state_dict entries are BatchNorm2d's, as MMDetection's SyncBN checkpoints.
class SyncBatchNorm2dImpl : public BatchNorm2dImpl {
 public:
  using BatchNorm2dImpl::BatchNorm2dImpl;
  void pretty_print(std::ostream& stream) const override;
};
TORCH_MODULE(SyncBatchNorm2d);

// True for SyncBN layers (what the distributed runner will synchronise).
bool IsSyncBatchNorm(const torch::nn::Module& module);

// The line BuildNormLayer prints (once per process) when it builds a SyncBN layer.
extern const char kSyncBnWarning[];

// A normalisation layer: BatchNorm2d (BN), SyncBatchNorm2d (SyncBN) or GroupNorm (GN).
struct NormLayer {
  std::string name;  // mmcv's abbreviation + postfix: "bn1", "gn", ...
  torch::nn::AnyModule module;            // for forward()
  std::shared_ptr<torch::nn::Module> ptr;  // the same module, for registration
};

// mmcv's build_norm_layer(cfg, num_features, postfix). InvalidArgument for a GN whose groups
// do not divide the channels. requires_grad false freezes the affine parameters.
absl::StatusOr<NormLayer> BuildNormLayer(const config::NormConfig& cfg, int64_t num_features,
                                         const std::string& postfix = "");

// True for BatchNorm modules (what norm_eval keeps in eval mode).
bool IsBatchNorm(const torch::nn::Module& module);

// MMDetection's `a += b` for a tensor only the caller holds (a norm's, sum's or conv's fresh
// output): in place, returning `a`; when the dtypes differ (possible under autocast) it is
// a + b instead, keeping out-of-place type promotion. The same values either way.
torch::Tensor SumInPlace(torch::Tensor a, const torch::Tensor& b);

// relu(norm(x) [+ residual]) with the in-place ReLU counted as `relu_owner`'s nn.ReLU, as
// ResNet's blocks run bn -> ReLU and bn3 -> += identity -> ReLU. A BatchNorm in eval mode (the
// norm_eval of MMDetection's training, and unfolded inference) is one pass forward and one
// back (mmdet/ops/frozen_bn.h, ATen's bits); otherwise, and while a FlopsCount is alive, it is
// Counted(norm), SumInPlace(y, residual), relu_.
torch::Tensor NormRelu(NormLayer& norm, const torch::Tensor& x, const torch::nn::Module* relu_owner,
                       const torch::Tensor& residual = torch::Tensor());

// The padding of a convolution padded explicitly with zeros (an ExpandingArray, not kValid or
// kSame; padding_mode kZeros), or null: what oneDNN's convolutions can take.
const torch::ExpandingArray<2>* ExplicitZeroPadding(const torch::nn::detail::ConvNdOptions<2>& o);

// conv(x) [+ residual] [then an in-place ReLU: counted as `relu_owner`'s nn.ReLU, or a functional
// F.relu when that is null] for a convolution with no norm after it, or a folded one. In
// float32 channels-last inference it is one oneDNN primitive (`fast` holds its packed weights;
// mmdet/ops/onednn_conv.h), bit-identical to the ops it replaces; otherwise (and while a
// FlopsCount is alive) it is those ops: Counted(conv, x), SumInPlace(y, residual), relu_.
// `residual_is_ours`: nobody else holds the residual, so oneDNN may write the result into it.
torch::Tensor ConvSumRelu(torch::nn::Conv2d& conv, ops::OneDnnConv& fast, const torch::Tensor& x,
                          const torch::Tensor& residual, bool relu,
                          const torch::nn::Module* relu_owner = nullptr,
                          bool residual_is_ours = false);

struct ConvModuleOptions {
  int64_t in_channels = 0, out_channels = 0, kernel_size = 1;
  int64_t stride = 1, padding = 0, dilation = 1, groups = 1;
  // Bias: "auto" in mmcv = no bias when a norm follows.
  std::optional<bool> bias;
  std::optional<config::NormConfig> norm_cfg;
  bool relu = true;  // act_cfg ReLU (true) or None (false)
};

// mmcv's ConvModule: conv -> norm -> ReLU, children named "conv" and "bn"/"gn".
class ConvModuleImpl : public torch::nn::Module {
 public:
  static absl::StatusOr<std::shared_ptr<ConvModuleImpl>> Create(const ConvModuleOptions& options);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d& conv() { return conv_; }

 private:
  ConvModuleImpl() = default;
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::AnyModule norm_;
  ops::OneDnnConv fast_;
  bool has_norm_ = false;
  bool relu_ = true;
};

// mmcv initialisers. Biases (when present) are set to `bias`.
void KaimingInit(torch::nn::Conv2d& conv, double bias = 0);          // fan_out, relu, normal
void XavierInit(torch::nn::Conv2d& conv, double bias = 0);           // uniform, gain 1
void NormalInit(torch::nn::Conv2d& conv, double std, double bias = 0);
void NormalInit(torch::nn::Linear& linear, double std, double bias = 0);
// The bias that makes sigmoid(bias) = prior_prob (mmcv's bias_init_with_prob).
double BiasInitWithProb(double prior_prob);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_LAYERS_LAYERS_H_
