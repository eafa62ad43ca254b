// CPU kernel of mmdet::nms: greedy suppression over boxes sorted by score (stable).
#include <ATen/ATen.h>
#include <torch/library.h>

#include <vector>

#include "mmdet/ops/kernel_common.h"

namespace mmdet::ops {
namespace {

// Boxes are first gathered in score order into one contiguous array with their areas, so
// the inner loop streams through memory.
template <typename T>
at::Tensor NmsCpuImpl(const at::Tensor& boxes, const at::Tensor& order, double iou_threshold,
                      T offset) {
  const int64_t n = boxes.size(0);
  const at::Tensor sorted = boxes.index_select(0, order).contiguous();
  const T* box = sorted.data_ptr<T>();
  const int64_t* idx = order.data_ptr<int64_t>();
  std::vector<T> area(n);
  for (int64_t a = 0; a < n; ++a) area[a] = detail::BoxArea(box + a * 4, offset);
  std::vector<char> suppressed(n, 0);
  std::vector<int64_t> keep;
  keep.reserve(n);
  for (int64_t a = 0; a < n; ++a) {
    if (suppressed[a]) continue;
    keep.push_back(idx[a]);
    for (int64_t b = a + 1; b < n; ++b) {
      if (!suppressed[b] &&
          detail::BoxIoU(box + a * 4, box + b * 4, area[a], area[b], offset) > iou_threshold) {
        suppressed[b] = 1;
      }
    }
  }
  return at::tensor(keep, boxes.options().dtype(at::kLong));
}

at::Tensor NmsCpu(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold,
                  int64_t offset) {
  TORCH_CHECK(boxes.dim() == 2 && boxes.size(1) == 4, "nms: boxes must be [N, 4], got ",
              boxes.sizes());
  TORCH_CHECK(scores.dim() == 1 && scores.size(0) == boxes.size(0),
              "nms: scores must be [N] with N = ", boxes.size(0), ", got ", scores.sizes());
  TORCH_CHECK(offset == 0 || offset == 1, "nms: offset must be 0 or 1, got ", offset);
  if (boxes.numel() == 0) return at::empty({0}, boxes.options().dtype(at::kLong));
  at::Tensor order = std::get<1>(scores.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
  at::Tensor contiguous = boxes.contiguous();
  at::Tensor keep;
  AT_DISPATCH_FLOATING_TYPES(boxes.scalar_type(), "nms_cpu", [&] {
    keep = NmsCpuImpl<scalar_t>(contiguous, order.contiguous(), iou_threshold,
                                static_cast<scalar_t>(offset));
  });
  return keep;
}

}  // namespace

TORCH_LIBRARY_IMPL(mmdet, CPU, m) { m.impl("nms", TORCH_FN(NmsCpu)); }

}  // namespace mmdet::ops
