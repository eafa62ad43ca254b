// CPU kernel of mmdet::nms: greedy suppression over boxes sorted by score (stable).
#include <ATen/ATen.h>
#include <torch/library.h>

#include <algorithm>
#include <vector>


namespace mmdet::ops {
namespace {

// Boxes are first gathered in score order into separate coordinate arrays with their
// areas, so the inner loop streams through memory; the IoU is BoxIoU's, written out.
template <typename T>
at::Tensor NmsCpuImpl(const at::Tensor& boxes, const at::Tensor& order, double iou_threshold,
                      T offset) {
  const int64_t n = boxes.size(0);
  const T* data = boxes.data_ptr<T>();
  const int64_t* idx = order.data_ptr<int64_t>();
  std::vector<T> x1(n), y1(n), x2(n), y2(n), area(n);
  for (int64_t a = 0; a < n; ++a) {
    const T* box = data + idx[a] * 4;
    x1[a] = box[0];
    y1[a] = box[1];
    x2[a] = box[2];
    y2[a] = box[3];
    area[a] = (x2[a] - x1[a] + offset) * (y2[a] - y1[a] + offset);
  }
  std::vector<char> suppressed(n, 0);
  std::vector<int64_t> keep;
  keep.reserve(n);
  for (int64_t a = 0; a < n; ++a) {
    if (suppressed[a]) continue;
    keep.push_back(idx[a]);
    for (int64_t b = a + 1; b < n; ++b) {
      if (suppressed[b]) continue;
      const T w = std::min(x2[a], x2[b]) - std::max(x1[a], x1[b]) + offset;
      const T h = std::min(y2[a], y2[b]) - std::max(y1[a], y1[b]) + offset;
      if (w <= T(0) || h <= T(0)) continue;
      const T inter = w * h;
      const T denom = area[a] + area[b] - inter;
      if (denom > T(0) && inter / denom > iou_threshold) suppressed[b] = 1;
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
