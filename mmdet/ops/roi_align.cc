#include "mmdet/ops/roi_align.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/library.h>

namespace mmdet::ops {

TORCH_LIBRARY_FRAGMENT(mmdet, m) {
  m.def(
      "roi_align(Tensor input, Tensor rois, float spatial_scale, int pooled_height, "
      "int pooled_width, int sampling_ratio, bool aligned) -> Tensor");
  m.def(
      "_roi_align_backward(Tensor grad, Tensor rois, float spatial_scale, int pooled_height, "
      "int pooled_width, int batch_size, int channels, int height, int width, "
      "int sampling_ratio, bool aligned, bool channels_last=False) -> Tensor");
}

at::Tensor RoiAlign(const at::Tensor& input, const at::Tensor& rois, double spatial_scale,
                    int64_t pooled_height, int64_t pooled_width, int64_t sampling_ratio,
                    bool aligned) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("mmdet::roi_align", "")
                       .typed<at::Tensor(const at::Tensor&, const at::Tensor&, double, int64_t,
                                         int64_t, int64_t, bool)>();
  return op.call(input, rois, spatial_scale, pooled_height, pooled_width, sampling_ratio,
                 aligned);
}

}  // namespace mmdet::ops
