#include "mmdet/ops/nms.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/library.h>

#include <cmath>
#include <vector>

#include "mmdet/ops/cpu/nms_kernel.h"
#include "mmdet/ops/kernel_common.h"

namespace mmdet::ops {

TORCH_LIBRARY_FRAGMENT(mmdet, m) {
  m.def("nms(Tensor boxes, Tensor scores, float iou_threshold, int offset) -> Tensor");
}

at::Tensor Nms(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold,
               int64_t offset) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("mmdet::nms", "")
                       .typed<at::Tensor(const at::Tensor&, const at::Tensor&, double, int64_t)>();
  return op.call(boxes, scores, iou_threshold, offset);
}

namespace {

template <typename T>
void SoftNmsCpu(T* boxes, T* scores, int64_t* order, int64_t* count, double iou_threshold,
                double sigma, double min_score, SoftNmsMethod method, T offset) {
  int64_t n = *count;
  auto swap = [&](int64_t a, int64_t b) {
    for (int k = 0; k < 4; ++k) std::swap(boxes[a * 4 + k], boxes[b * 4 + k]);
    std::swap(scores[a], scores[b]);
    std::swap(order[a], order[b]);
  };
  for (int64_t i = 0; i < n; ++i) {
    int64_t best = i;
    for (int64_t j = i + 1; j < n; ++j) {
      if (scores[j] > scores[best]) best = j;  // first maximum wins ties
    }
    swap(i, best);
    for (int64_t pos = i + 1; pos < n; ++pos) {
      const T iou = detail::BoxIoU(boxes + i * 4, boxes + pos * 4, offset);
      if (iou <= T(0)) continue;
      T weight = T(1);
      switch (method) {
        case SoftNmsMethod::kLinear:
          weight = iou > iou_threshold ? T(1) - iou : T(1);
          break;
        case SoftNmsMethod::kGaussian:
          weight = static_cast<T>(std::exp(-static_cast<double>(iou * iou) / sigma));
          break;
        case SoftNmsMethod::kNaive:
          weight = iou > iou_threshold ? T(0) : T(1);
          break;
      }
      scores[pos] *= weight;
      if (scores[pos] < min_score) {
        // Drop it: the last live box takes its place and is examined next.
        swap(pos, n - 1);
        --n;
        --pos;
      }
    }
  }
  *count = n;
}

}  // namespace

std::tuple<at::Tensor, at::Tensor> SoftNms(const at::Tensor& boxes, const at::Tensor& scores,
                                           double iou_threshold, double sigma, double min_score,
                                           SoftNmsMethod method, int64_t offset) {
  TORCH_CHECK(boxes.dim() == 2 && boxes.size(1) == 4, "soft_nms: boxes must be [N, 4], got ",
              boxes.sizes());
  TORCH_CHECK(scores.dim() == 1 && scores.size(0) == boxes.size(0),
              "soft_nms: scores must be [N] with N = ", boxes.size(0), ", got ", scores.sizes());
  TORCH_CHECK(sigma > 0, "soft_nms: sigma must be positive, got ", sigma);
  at::Tensor cpu_boxes = boxes.detach().to(at::kCPU).contiguous().clone();
  at::Tensor cpu_scores = scores.detach().to(at::kCPU, boxes.scalar_type()).contiguous().clone();
  at::Tensor order = at::arange(boxes.size(0), cpu_boxes.options().dtype(at::kLong));
  int64_t count = boxes.size(0);
  AT_DISPATCH_FLOATING_TYPES(cpu_boxes.scalar_type(), "soft_nms", [&] {
    SoftNmsCpu<scalar_t>(cpu_boxes.data_ptr<scalar_t>(), cpu_scores.data_ptr<scalar_t>(),
                         order.data_ptr<int64_t>(), &count, iou_threshold, sigma, min_score,
                         method, static_cast<scalar_t>(offset));
  });
  at::Tensor dets =
      at::cat({cpu_boxes.narrow(0, 0, count), cpu_scores.narrow(0, 0, count).unsqueeze(1)}, 1);
  return {dets.to(boxes.device()), order.narrow(0, 0, count).to(boxes.device())};
}

std::tuple<at::Tensor, at::Tensor> BatchedNms(const at::Tensor& boxes, const at::Tensor& scores,
                                              const at::Tensor& idxs, const NmsOptions& options) {
  TORCH_CHECK(boxes.dim() == 2 && boxes.size(1) == 4, "batched_nms: boxes must be [N, 4], got ",
              boxes.sizes());
  TORCH_CHECK(idxs.dim() == 1 && idxs.size(0) == boxes.size(0),
              "batched_nms: idxs must be [N] with N = ", boxes.size(0), ", got ", idxs.sizes());
  at::Tensor boxes_for_nms = boxes;
  if (!options.class_agnostic && boxes.numel() > 0) {
    // Shift each class to its own region: within a class nothing changes (up to float
    // rounding) and across classes nothing overlaps. MMDetection offsets by idx * (max + 1),
    // kept here for identical rounding; boxes with negative coordinates take the span
    // (max - min + 1) instead, which separates them too.
    const at::Tensor lo = boxes.min(), hi = boxes.max();
    const at::Tensor span = at::where(lo >= 0, hi + 1, hi - lo + 1);  // no host sync
    boxes_for_nms = boxes + (idxs.to(boxes.scalar_type()) * span).unsqueeze(1);
  }
  at::Tensor keep;
  at::Tensor kept_scores;
  if (options.soft) {
    at::Tensor dets;
    std::tie(dets, keep) = SoftNms(boxes_for_nms, scores, options.iou_threshold, options.sigma,
                                   options.min_score, options.method, options.offset);
    kept_scores = dets.select(1, 4);
  } else if (!options.class_agnostic && boxes_for_nms.device().is_cpu() &&
             scores.device().is_cpu() && idxs.device().is_cpu()) {
    // One pass per class: the same survivors in the same order, far fewer comparisons.
    keep = BatchedNmsCpu(boxes_for_nms, scores, idxs, options.iou_threshold, options.offset);
    kept_scores = scores.index_select(0, keep);
  } else {
    keep = Nms(boxes_for_nms, scores, options.iou_threshold, options.offset);
    kept_scores = scores.index_select(0, keep);
  }
  at::Tensor dets = at::cat({boxes.index_select(0, keep), kept_scores.unsqueeze(1)
                                                               .to(boxes.scalar_type())},
                            1);
  return {dets, keep};
}

}  // namespace mmdet::ops
