// Autograd for mmdet::roi_align: the forward runs the device kernel below the Autograd key,
// the backward calls mmdet::_roi_align_backward on the same device.
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/autograd.h>
#include <torch/library.h>

#include "mmdet/ops/roi_align.h"

namespace mmdet::ops {
namespace {

at::Tensor CallBackward(const at::Tensor& grad, const at::Tensor& rois, double spatial_scale,
                        int64_t pooled_height, int64_t pooled_width, int64_t batch_size,
                        int64_t channels, int64_t height, int64_t width, int64_t sampling_ratio,
                        bool aligned, bool channels_last) {
  static auto op =
      c10::Dispatcher::singleton()
          .findSchemaOrThrow("mmdet::_roi_align_backward", "")
          .typed<at::Tensor(const at::Tensor&, const at::Tensor&, double, int64_t, int64_t,
                            int64_t, int64_t, int64_t, int64_t, int64_t, bool, bool)>();
  return op.call(grad, rois, spatial_scale, pooled_height, pooled_width, batch_size, channels,
                 height, width, sampling_ratio, aligned, channels_last);
}

class RoiAlignFunction : public torch::autograd::Function<RoiAlignFunction> {
 public:
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx,
                                                const torch::autograd::Variable& input,
                                                const torch::autograd::Variable& rois,
                                                double spatial_scale, int64_t pooled_height,
                                                int64_t pooled_width, int64_t sampling_ratio,
                                                bool aligned) {
    ctx->saved_data["spatial_scale"] = spatial_scale;
    ctx->saved_data["pooled_height"] = pooled_height;
    ctx->saved_data["pooled_width"] = pooled_width;
    ctx->saved_data["sampling_ratio"] = sampling_ratio;
    ctx->saved_data["aligned"] = aligned;
    ctx->saved_data["input_shape"] = input.sizes();
    // The gradient comes back in the feature map's layout: a channels-last map's other
    // gradients (the RPN's, the FPN's) are channels-last, and autograd sums them with this one
    // (ATen's add of an NCHW and an NHWC tensor took 135 ms at P2 in the R50-FPN train step,
    // against 12 ms for two NHWC ones, plus the 134 ms NCHW copy it spares).
    ctx->saved_data["channels_last"] =
        input.is_contiguous(at::MemoryFormat::ChannelsLast) && !input.is_contiguous();
    ctx->save_for_backward({rois});
    at::AutoDispatchBelowADInplaceOrView guard;
    // Below the Autograd key, the public entry point dispatches to the device kernel.
    return {RoiAlign(input, rois, spatial_scale, pooled_height, pooled_width, sampling_ratio,
                     aligned)};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 const torch::autograd::variable_list& grads) {
    const at::Tensor rois = ctx->get_saved_variables()[0];
    const auto shape = ctx->saved_data["input_shape"].toIntVector();
    at::Tensor grad_input = CallBackward(
        grads[0], rois, ctx->saved_data["spatial_scale"].toDouble(),
        ctx->saved_data["pooled_height"].toInt(), ctx->saved_data["pooled_width"].toInt(),
        shape[0], shape[1], shape[2], shape[3], ctx->saved_data["sampling_ratio"].toInt(),
        ctx->saved_data["aligned"].toBool(), ctx->saved_data["channels_last"].toBool());
    return {grad_input,           torch::autograd::Variable(), torch::autograd::Variable(),
            torch::autograd::Variable(), torch::autograd::Variable(),
            torch::autograd::Variable(), torch::autograd::Variable()};
  }
};

at::Tensor RoiAlignAutograd(const at::Tensor& input, const at::Tensor& rois,
                            double spatial_scale, int64_t pooled_height, int64_t pooled_width,
                            int64_t sampling_ratio, bool aligned) {
  return RoiAlignFunction::apply(input, rois, spatial_scale, pooled_height, pooled_width,
                                 sampling_ratio, aligned)[0];
}

}  // namespace

TORCH_LIBRARY_IMPL(mmdet, Autograd, m) { m.impl("roi_align", TORCH_FN(RoiAlignAutograd)); }

}  // namespace mmdet::ops
