#include "mmdet/ops/roi_pool.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/library.h>

#include <tuple>

namespace mmdet::ops {

TORCH_LIBRARY_FRAGMENT(mmdet, m) {
  m.def(
      "roi_pool(Tensor input, Tensor rois, float spatial_scale, int pooled_height, "
      "int pooled_width) -> (Tensor, Tensor)");
  m.def(
      "_roi_pool_backward(Tensor grad, Tensor rois, Tensor argmax, float spatial_scale, "
      "int pooled_height, int pooled_width, int batch_size, int channels, int height, "
      "int width) -> Tensor");
}

at::Tensor RoiPool(const at::Tensor& input, const at::Tensor& rois, double spatial_scale,
                   int64_t pooled_height, int64_t pooled_width) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("mmdet::roi_pool", "")
                       .typed<std::tuple<at::Tensor, at::Tensor>(
                           const at::Tensor&, const at::Tensor&, double, int64_t, int64_t)>();
  return std::get<0>(op.call(input, rois, spatial_scale, pooled_height, pooled_width));
}

}  // namespace mmdet::ops
