// Autograd for mmdet::roi_pool: saves the arg-max from the forward for the backward.
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/autograd.h>
#include <torch/library.h>

#include <tuple>

namespace mmdet::ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::Variable;
using torch::autograd::variable_list;

class RoiPoolFunction : public torch::autograd::Function<RoiPoolFunction> {
 public:
  static variable_list forward(AutogradContext* ctx, const Variable& input, const Variable& rois,
                               double spatial_scale, int64_t pooled_height,
                               int64_t pooled_width) {
    static auto op = c10::Dispatcher::singleton()
                         .findSchemaOrThrow("mmdet::roi_pool", "")
                         .typed<std::tuple<at::Tensor, at::Tensor>(
                             const at::Tensor&, const at::Tensor&, double, int64_t, int64_t)>();
    ctx->saved_data["spatial_scale"] = spatial_scale;
    ctx->saved_data["pooled_height"] = pooled_height;
    ctx->saved_data["pooled_width"] = pooled_width;
    ctx->saved_data["input_shape"] = input.sizes();
    at::AutoDispatchBelowADInplaceOrView guard;
    auto [output, argmax] = op.call(input, rois, spatial_scale, pooled_height, pooled_width);
    ctx->save_for_backward({rois, argmax});
    ctx->mark_non_differentiable({argmax});
    return {output, argmax};
  }

  static variable_list backward(AutogradContext* ctx, const variable_list& grads) {
    static auto op =
        c10::Dispatcher::singleton()
            .findSchemaOrThrow("mmdet::_roi_pool_backward", "")
            .typed<at::Tensor(const at::Tensor&, const at::Tensor&, const at::Tensor&, double,
                              int64_t, int64_t, int64_t, int64_t, int64_t, int64_t)>();
    const auto saved = ctx->get_saved_variables();
    const auto shape = ctx->saved_data["input_shape"].toIntVector();
    at::Tensor grad_input =
        op.call(grads[0], saved[0], saved[1], ctx->saved_data["spatial_scale"].toDouble(),
                ctx->saved_data["pooled_height"].toInt(), ctx->saved_data["pooled_width"].toInt(),
                shape[0], shape[1], shape[2], shape[3]);
    return {grad_input, Variable(), Variable(), Variable(), Variable()};
  }
};

std::tuple<at::Tensor, at::Tensor> RoiPoolAutograd(const at::Tensor& input,
                                                   const at::Tensor& rois, double spatial_scale,
                                                   int64_t pooled_height, int64_t pooled_width) {
  auto result = RoiPoolFunction::apply(input, rois, spatial_scale, pooled_height, pooled_width);
  return {result[0], result[1]};
}

}  // namespace

TORCH_LIBRARY_IMPL(mmdet, Autograd, m) { m.impl("roi_pool", TORCH_FN(RoiPoolAutograd)); }

}  // namespace mmdet::ops
