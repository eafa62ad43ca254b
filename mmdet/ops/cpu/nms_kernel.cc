// CPU kernels of mmdet::nms and of BatchedNms: greedy suppression over boxes sorted by score
// (stable), as mmcv's nms_cpu.
//
// Speed (docs/benchmarks.md): the boxes are gathered in score order into separate x1, y1, x2,
// y2 and area arrays, and the suppression of everything after a kept box is one branch-free
// loop that the compiler vectorises (AVX-512 and AVX2 clones, picked at run time by the CPU:
// cpu/vector_clones.h). The IoU is the same float expression as detail::BoxIoU, term for
// term, so every comparison with the threshold gives the same answer as the scalar code and
// as mmcv.
// BatchedNms runs one greedy pass per class (in parallel): boxes of different classes never
// suppress each other, so this is exactly the single pass over class-shifted boxes that
// MMDetection's batched_nms does, without comparing every box with every other class.
#include "mmdet/ops/cpu/nms_kernel.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "mmdet/ops/cpu/vector_clones.h"
#include "mmdet/ops/kernel_common.h"

namespace mmdet::ops {
namespace {

// Boxes in structure-of-arrays layout, in the order they are examined.
template <typename T>
struct SortedBoxes {
  std::vector<T> x1, y1, x2, y2, area;
  explicit SortedBoxes(int64_t n) : x1(n), y1(n), x2(n), y2(n), area(n) {}
};

// suppressed[b] |= IoU(a, b) > threshold for b in [begin, end). The arithmetic is
// detail::BoxIoU's: a non-positive width or height, or a non-positive union, gives IoU 0.
#define MMDET_SUPPRESS_BODY                                                        \
  const T ax1 = x1[a], ay1 = y1[a], ax2 = x2[a], ay2 = y2[a], aarea = area[a];     \
  for (int64_t b = begin; b < end; ++b) {                                          \
    const T left = ax1 > x1[b] ? ax1 : x1[b];                                      \
    const T top = ay1 > y1[b] ? ay1 : y1[b];                                       \
    const T right = ax2 < x2[b] ? ax2 : x2[b];                                     \
    const T bottom = ay2 < y2[b] ? ay2 : y2[b];                                    \
    T w = right - left + offset;                                                   \
    T h = bottom - top + offset;                                                   \
    const bool empty = (w <= T(0)) | (h <= T(0));                                  \
    w = empty ? T(0) : w;                                                          \
    h = empty ? T(0) : h;                                                          \
    const T inter = w * h;                                                         \
    const T denom = aarea + area[b] - inter;                                       \
    /* Divide unconditionally (by 1 where the union is empty): no branch. */       \
    const T ratio = inter / (denom > T(0) ? denom : T(1));                         \
    const T iou = denom > T(0) ? ratio : T(0);                                     \
    suppressed[b] |= static_cast<int32_t>(iou > threshold);                        \
  }

MMDET_VECTOR_CLONES void SuppressAfter(
    int64_t a, int64_t begin, int64_t end, const float* x1, const float* y1, const float* x2,
    const float* y2, const float* area, float offset, float threshold, int32_t* suppressed) {
  using T = float;
  MMDET_SUPPRESS_BODY
}

void SuppressAfter(int64_t a, int64_t begin, int64_t end, const double* x1, const double* y1,
                   const double* x2, const double* y2, const double* area, double offset,
                   double threshold, int32_t* suppressed) {
  using T = double;
  MMDET_SUPPRESS_BODY
}
#undef MMDET_SUPPRESS_BODY

// Greedy NMS over boxes already in examination order; sets keep[i] for the survivors.
template <typename T>
void GreedyNms(const SortedBoxes<T>& boxes, T threshold, T offset, std::vector<int32_t>* scratch,
               char* keep) {
  const int64_t n = static_cast<int64_t>(boxes.x1.size());
  scratch->assign(n, 0);
  int32_t* suppressed = scratch->data();
  for (int64_t a = 0; a < n; ++a) {
    if (suppressed[a]) continue;
    keep[a] = 1;
    SuppressAfter(a, a + 1, n, boxes.x1.data(), boxes.y1.data(), boxes.x2.data(),
                  boxes.y2.data(), boxes.area.data(), offset, threshold, suppressed);
  }
}

// Gathers boxes[rows[i]] into structure-of-arrays order.
template <typename T>
SortedBoxes<T> Gather(const T* box, const int64_t* rows, int64_t n, T offset) {
  SortedBoxes<T> out(n);
  for (int64_t i = 0; i < n; ++i) {
    const T* b = box + rows[i] * 4;
    out.x1[i] = b[0];
    out.y1[i] = b[1];
    out.x2[i] = b[2];
    out.y2[i] = b[3];
    out.area[i] = detail::BoxArea(b, offset);
  }
  return out;
}

void CheckNmsInputs(const char* op, const at::Tensor& boxes, const at::Tensor& scores,
                    int64_t offset) {
  TORCH_CHECK(boxes.dim() == 2 && boxes.size(1) == 4, op, ": boxes must be [N, 4], got ",
              boxes.sizes());
  TORCH_CHECK(scores.dim() == 1 && scores.size(0) == boxes.size(0), op,
              ": scores must be [N] with N = ", boxes.size(0), ", got ", scores.sizes());
  TORCH_CHECK(offset == 0 || offset == 1, op, ": offset must be 0 or 1, got ", offset);
}

// Indices of the input by decreasing score; ties keep the input order.
at::Tensor ScoreOrder(const at::Tensor& scores) {
  return std::get<1>(scores.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true)).contiguous();
}

// The input indices order[i] of the survivors (keep[i] set), in score order.
at::Tensor KeptInScoreOrder(const at::Tensor& order, const std::vector<char>& keep,
                            const at::TensorOptions& options) {
  const int64_t* idx = order.data_ptr<int64_t>();
  std::vector<int64_t> kept;
  for (size_t i = 0; i < keep.size(); ++i) {
    if (keep[i]) kept.push_back(idx[i]);
  }
  return at::tensor(kept, options.dtype(at::kLong));
}

at::Tensor NmsCpu(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold,
                  int64_t offset) {
  CheckNmsInputs("nms", boxes, scores, offset);
  if (boxes.numel() == 0) return at::empty({0}, boxes.options().dtype(at::kLong));
  const at::Tensor order = ScoreOrder(scores);
  const at::Tensor contiguous = boxes.contiguous();
  const int64_t n = boxes.size(0);
  std::vector<char> keep(n, 0);
  AT_DISPATCH_FLOATING_TYPES(boxes.scalar_type(), "nms_cpu", [&] {
    const auto o = static_cast<scalar_t>(offset);
    const SortedBoxes<scalar_t> sorted =
        Gather(contiguous.data_ptr<scalar_t>(), order.data_ptr<int64_t>(), n, o);
    std::vector<int32_t> scratch;
    GreedyNms(sorted, static_cast<scalar_t>(iou_threshold), o, &scratch, keep.data());
  });
  return KeptInScoreOrder(order, keep, boxes.options());
}

}  // namespace

at::Tensor BatchedNmsCpu(const at::Tensor& boxes, const at::Tensor& scores,
                         const at::Tensor& idxs, double iou_threshold, int64_t offset) {
  CheckNmsInputs("batched_nms", boxes, scores, offset);
  TORCH_CHECK(boxes.device().is_cpu() && scores.device().is_cpu() && idxs.device().is_cpu(),
              "batched_nms: the CPU kernel needs CPU tensors");
  TORCH_CHECK(idxs.dim() == 1 && idxs.size(0) == boxes.size(0),
              "batched_nms: idxs must be [N] with N = ", boxes.size(0), ", got ", idxs.sizes());
  const int64_t n = boxes.size(0);
  if (n == 0) return at::empty({0}, boxes.options().dtype(at::kLong));
  const at::Tensor order = ScoreOrder(scores);
  const int64_t* idx = order.data_ptr<int64_t>();
  const at::Tensor classes = idxs.to(at::kLong).contiguous();
  const int64_t* cls = classes.data_ptr<int64_t>();
  // Positions in score order, grouped by class; within a class still in score order.
  std::vector<int64_t> by_class(n);
  std::iota(by_class.begin(), by_class.end(), 0);
  std::stable_sort(by_class.begin(), by_class.end(),
                   [&](int64_t a, int64_t b) { return cls[idx[a]] < cls[idx[b]]; });
  std::vector<int64_t> group_start{0};
  for (int64_t i = 1; i < n; ++i) {
    if (cls[idx[by_class[i]]] != cls[idx[by_class[i - 1]]]) group_start.push_back(i);
  }
  group_start.push_back(n);
  const int64_t groups = static_cast<int64_t>(group_start.size()) - 1;
  std::vector<char> keep(n, 0);  // by score-order position
  const at::Tensor contiguous = boxes.contiguous();
  AT_DISPATCH_FLOATING_TYPES(boxes.scalar_type(), "batched_nms_cpu", [&] {
    const auto o = static_cast<scalar_t>(offset);
    const auto threshold = static_cast<scalar_t>(iou_threshold);
    const scalar_t* box = contiguous.data_ptr<scalar_t>();
    at::parallel_for(0, groups, 1, [&](int64_t first, int64_t last) {
      std::vector<int32_t> scratch;
      std::vector<int64_t> rows;
      std::vector<char> group_keep;
      for (int64_t g = first; g < last; ++g) {
        const int64_t begin = group_start[g], size = group_start[g + 1] - begin;
        rows.resize(size);
        for (int64_t i = 0; i < size; ++i) rows[i] = idx[by_class[begin + i]];
        group_keep.assign(size, 0);
        GreedyNms(Gather(box, rows.data(), size, o), threshold, o, &scratch, group_keep.data());
        for (int64_t i = 0; i < size; ++i) {
          if (group_keep[i]) keep[by_class[begin + i]] = 1;
        }
      }
    });
  });
  return KeptInScoreOrder(order, keep, boxes.options());
}

TORCH_LIBRARY_IMPL(mmdet, CPU, m) { m.impl("nms", TORCH_FN(NmsCpu)); }

}  // namespace mmdet::ops
