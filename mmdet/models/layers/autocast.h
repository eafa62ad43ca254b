// Mixed-precision scope over LibTorch's autocast (torch.autocast): inside, convolutions and
// matrix products run in `dtype` (bfloat16 on the CPU, float16 or bfloat16 on CUDA); on
// exit the previous state returns and autocast's weight-cast cache is cleared. The one place
// that knows both autocast APIs: LibTorch 1.13's per-device functions (CI) and 2.4+'s
// functions taking a device type (GPU machines).
#ifndef MMDET_MODELS_LAYERS_AUTOCAST_H_
#define MMDET_MODELS_LAYERS_AUTOCAST_H_

#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace mmdet::models {

class AutocastScope {
 public:
  AutocastScope(c10::DeviceType device, at::ScalarType dtype) : device_(device) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    prev_enabled_ = at::autocast::is_autocast_enabled(device_);
    prev_dtype_ = at::autocast::get_autocast_dtype(device_);
    at::autocast::set_autocast_enabled(device_, true);
    at::autocast::set_autocast_dtype(device_, dtype);
#else
    const bool cuda = device_ == c10::DeviceType::CUDA;
    prev_enabled_ = cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
    prev_dtype_ = cuda ? at::autocast::get_autocast_gpu_dtype()
                       : at::autocast::get_autocast_cpu_dtype();
    if (cuda) {
      at::autocast::set_enabled(true);
      at::autocast::set_autocast_gpu_dtype(dtype);
    } else {
      at::autocast::set_cpu_enabled(true);
      at::autocast::set_autocast_cpu_dtype(dtype);
    }
#endif
    at::autocast::increment_nesting();
  }
  ~AutocastScope() {
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_enabled(device_, prev_enabled_);
    at::autocast::set_autocast_dtype(device_, prev_dtype_);
#else
    if (device_ == c10::DeviceType::CUDA) {
      at::autocast::set_enabled(prev_enabled_);
      at::autocast::set_autocast_gpu_dtype(prev_dtype_);
    } else {
      at::autocast::set_cpu_enabled(prev_enabled_);
      at::autocast::set_autocast_cpu_dtype(prev_dtype_);
    }
#endif
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  c10::DeviceType device_;
  bool prev_enabled_ = false;
  at::ScalarType prev_dtype_ = at::kFloat;
};

}  // namespace mmdet::models

#endif  // MMDET_MODELS_LAYERS_AUTOCAST_H_
