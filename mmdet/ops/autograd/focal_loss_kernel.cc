// Autograd for mmdet::sigmoid_focal_loss.
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/autograd.h>
#include <torch/library.h>

#include "mmdet/ops/focal_loss.h"

namespace mmdet::ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::Variable;
using torch::autograd::variable_list;

class FocalLossFunction : public torch::autograd::Function<FocalLossFunction> {
 public:
  static variable_list forward(AutogradContext* ctx, const Variable& logits,
                               const Variable& labels, double gamma, double alpha) {
    ctx->saved_data["gamma"] = gamma;
    ctx->saved_data["alpha"] = alpha;
    at::AutoDispatchBelowADInplaceOrView guard;
    if (logits.device().is_cpu() && logits.requires_grad()) {
      // The CPU kernel gives the derivative with the loss; backward is one multiply.
      static auto fused = c10::Dispatcher::singleton()
                              .findSchemaOrThrow("mmdet::_sigmoid_focal_loss_with_grad", "")
                              .typed<std::tuple<at::Tensor, at::Tensor>(
                                  const at::Tensor&, const at::Tensor&, double, double)>();
      auto [loss, dlogit] = fused.call(logits, labels, gamma, alpha);
      ctx->saved_data["fused"] = true;
      ctx->save_for_backward({dlogit});
      return {loss};
    }
    ctx->save_for_backward({logits, labels});
    // Below the Autograd key, the public entry point dispatches to the device kernel.
    return {SigmoidFocalLoss(logits, labels, gamma, alpha)};
  }

  static variable_list backward(AutogradContext* ctx, const variable_list& grads) {
    if (ctx->saved_data.count("fused")) {
      return {grads[0] * ctx->get_saved_variables()[0], Variable(), Variable(), Variable()};
    }
    static auto op = c10::Dispatcher::singleton()
                         .findSchemaOrThrow("mmdet::_sigmoid_focal_loss_backward", "")
                         .typed<at::Tensor(const at::Tensor&, const at::Tensor&,
                                           const at::Tensor&, double, double)>();
    const auto saved = ctx->get_saved_variables();
    return {op.call(grads[0], saved[0], saved[1], ctx->saved_data["gamma"].toDouble(),
                    ctx->saved_data["alpha"].toDouble()),
            Variable(), Variable(), Variable()};
  }
};

at::Tensor FocalLossAutograd(const at::Tensor& logits, const at::Tensor& labels, double gamma,
                             double alpha) {
  return FocalLossFunction::apply(logits, labels, gamma, alpha)[0];
}

}  // namespace

TORCH_LIBRARY_IMPL(mmdet, Autograd, m) {
  m.impl("sigmoid_focal_loss", TORCH_FN(FocalLossAutograd));
}

}  // namespace mmdet::ops
