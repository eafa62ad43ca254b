#include "mmdet/ops/bbox_overlaps.h"

namespace mmdet::ops {

at::Tensor BboxOverlaps(const at::Tensor& bboxes1, const at::Tensor& bboxes2, OverlapMode mode,
                        bool is_aligned, double eps) {
  TORCH_CHECK(bboxes1.dim() == 2 && bboxes1.size(1) == 4,
              "bbox_overlaps: bboxes1 must be [N, 4], got ", bboxes1.sizes());
  TORCH_CHECK(bboxes2.dim() == 2 && bboxes2.size(1) == 4,
              "bbox_overlaps: bboxes2 must be [M, 4], got ", bboxes2.sizes());
  TORCH_CHECK(!is_aligned || bboxes1.size(0) == bboxes2.size(0),
              "bbox_overlaps: aligned boxes need N == M, got ", bboxes1.size(0), " and ",
              bboxes2.size(0));
  // Aligned pairs are rows against rows; otherwise broadcast [N, 1, 4] against [1, M, 4].
  at::Tensor a = is_aligned ? bboxes1 : bboxes1.unsqueeze(1);
  at::Tensor b = is_aligned ? bboxes2 : bboxes2.unsqueeze(0);
  auto coord = [](const at::Tensor& t, int64_t i) { return t.select(-1, i); };
  at::Tensor area_a = (coord(a, 2) - coord(a, 0)) * (coord(a, 3) - coord(a, 1));
  at::Tensor area_b = (coord(b, 2) - coord(b, 0)) * (coord(b, 3) - coord(b, 1));
  at::Tensor w = (at::min(coord(a, 2), coord(b, 2)) - at::max(coord(a, 0), coord(b, 0)))
                     .clamp_min(0);
  at::Tensor h = (at::min(coord(a, 3), coord(b, 3)) - at::max(coord(a, 1), coord(b, 1)))
                     .clamp_min(0);
  at::Tensor overlap = w * h;
  at::Tensor union_area = mode == OverlapMode::kIoF ? area_a.expand_as(overlap)
                                                    : area_a + area_b - overlap;
  at::Tensor ious = overlap / union_area.clamp_min(eps);
  if (mode != OverlapMode::kGIoU) return ious;
  at::Tensor enclose_w =
      (at::max(coord(a, 2), coord(b, 2)) - at::min(coord(a, 0), coord(b, 0))).clamp_min(0);
  at::Tensor enclose_h =
      (at::max(coord(a, 3), coord(b, 3)) - at::min(coord(a, 1), coord(b, 1))).clamp_min(0);
  at::Tensor enclose = (enclose_w * enclose_h).clamp_min(eps);
  return ious - (enclose - union_area.clamp_min(eps)) / enclose;
}

}  // namespace mmdet::ops
