#include "mmdet/ops/focal_loss.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/autograd.h>
#include <torch/library.h>

namespace mmdet::ops {

TORCH_LIBRARY_FRAGMENT(mmdet, m) {
  m.def("sigmoid_focal_loss(Tensor logits, Tensor labels, float gamma, float alpha) -> Tensor");
  m.def(
      "_sigmoid_focal_loss_backward(Tensor grad, Tensor logits, Tensor labels, float gamma, "
      "float alpha) -> Tensor");
  // (loss, d loss / d logit) in one pass; CPU only, used by the autograd wrapper.
  m.def(
      "_sigmoid_focal_loss_with_grad(Tensor logits, Tensor labels, float gamma, float alpha) "
      "-> (Tensor, Tensor)");
}

at::Tensor SigmoidFocalLoss(const at::Tensor& logits, const at::Tensor& labels, double gamma,
                            double alpha) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("mmdet::sigmoid_focal_loss", "")
                       .typed<at::Tensor(const at::Tensor&, const at::Tensor&, double, double)>();
  return op.call(logits, labels, gamma, alpha);
}

}  // namespace mmdet::ops
