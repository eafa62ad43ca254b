#include "mmdet/ops/mask_util.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace mmdet::ops {
namespace {

// Walks two RLEs of the same size together; calls fn(length, a_on, b_on) per common segment.
template <typename Fn>
void ZipRuns(const Rle& a, const Rle& b, Fn fn) {
  size_t ia = 0, ib = 0;
  uint64_t left_a = a.counts.empty() ? 0 : a.counts[0];
  uint64_t left_b = b.counts.empty() ? 0 : b.counts[0];
  bool on_a = false, on_b = false;
  while (true) {
    while (left_a == 0 && ia + 1 < a.counts.size()) left_a = a.counts[++ia], on_a = !on_a;
    while (left_b == 0 && ib + 1 < b.counts.size()) left_b = b.counts[++ib], on_b = !on_b;
    if (left_a == 0 || left_b == 0) return;
    const uint64_t step = std::min(left_a, left_b);
    fn(step, on_a, on_b);
    left_a -= step;
    left_b -= step;
  }
}

// Appends a run of value `on` to alternating counts (index 0 = zeros), joining it to the
// last run when that has the same value.
void PushRun(std::vector<uint32_t>* counts, bool on, uint64_t length) {
  if (counts->empty() && on) counts->push_back(0);
  const bool last_on = !counts->empty() && counts->size() % 2 == 0;
  if (!counts->empty() && last_on == on) {
    counts->back() += static_cast<uint32_t>(length);
  } else {
    counts->push_back(static_cast<uint32_t>(length));
  }
}

}  // namespace

Rle Encode(const at::Tensor& mask) {
  TORCH_CHECK(mask.dim() == 2, "mask encode: expected an [h, w] mask, got ", mask.sizes());
  Rle rle;
  rle.h = mask.size(0);
  rle.w = mask.size(1);
  // Column-major order = the transposed mask, row-major.
  at::Tensor flat = mask.ne(0).t().contiguous().to(at::kCPU).to(at::kByte);
  const uint8_t* data = flat.data_ptr<uint8_t>();
  const int64_t n = flat.numel();
  uint8_t value = 0;
  uint32_t run = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (data[i] != value) {
      rle.counts.push_back(run);
      run = 0;
      value = data[i];
    }
    ++run;
  }
  rle.counts.push_back(run);
  return rle;
}

at::Tensor Decode(const Rle& rle) {
  at::Tensor flat = at::zeros({rle.w, rle.h}, at::kByte);
  uint8_t* data = flat.data_ptr<uint8_t>();
  const uint64_t total = static_cast<uint64_t>(rle.h) * rle.w;
  uint64_t pos = 0;
  bool on = false;
  for (uint32_t count : rle.counts) {
    const uint64_t end = std::min<uint64_t>(pos + count, total);
    if (on) std::fill(data + pos, data + end, uint8_t{1});
    pos = end;
    on = !on;
  }
  return flat.t().contiguous();
}

std::string ToString(const Rle& rle) {
  std::string out;
  for (size_t i = 0; i < rle.counts.size(); ++i) {
    int64_t x = rle.counts[i];
    if (i > 2) x -= static_cast<int64_t>(rle.counts[i - 2]);  // pycocotools diffs from i = 3
    bool more = true;
    while (more) {
      char c = static_cast<char>(x & 0x1f);
      x >>= 5;  // arithmetic shift keeps the sign
      more = (c & 0x10) ? x != -1 : x != 0;
      if (more) c |= 0x20;
      out.push_back(static_cast<char>(c + 48));
    }
  }
  return out;
}

bool FromString(const std::string& counts, int64_t h, int64_t w, Rle* rle) {
  rle->h = h;
  rle->w = w;
  rle->counts.clear();
  size_t p = 0;
  uint64_t total = 0;
  while (p < counts.size()) {
    int64_t x = 0;
    int k = 0;
    bool more = true;
    while (more) {
      if (p >= counts.size() || k > 12) return false;
      const int c = static_cast<unsigned char>(counts[p]) - 48;
      if (c < 0 || c > 63) return false;
      x |= static_cast<int64_t>(c & 0x1f) << (5 * k);
      more = (c & 0x20) != 0;
      ++p;
      ++k;
      if (!more && (c & 0x10)) x |= static_cast<int64_t>(-1) << (5 * k);
    }
    const size_t m = rle->counts.size();
    if (m > 2) x += rle->counts[m - 2];
    if (x < 0 || x > 0xffffffffLL) return false;
    rle->counts.push_back(static_cast<uint32_t>(x));
    total += static_cast<uint64_t>(x);
  }
  return total == static_cast<uint64_t>(h) * static_cast<uint64_t>(w);
}

uint64_t Area(const Rle& rle) {
  uint64_t area = 0;
  for (size_t i = 1; i < rle.counts.size(); i += 2) area += rle.counts[i];
  return area;
}

std::array<double, 4> ToBbox(const Rle& rle) {
  const size_t m = rle.counts.size() / 2 * 2;  // a trailing zeros-run changes nothing
  if (m == 0 || rle.h == 0) return {0, 0, 0, 0};
  const uint64_t h = static_cast<uint64_t>(rle.h);
  uint64_t xs = rle.w, ys = rle.h, xe = 0, ye = 0, xp = 0, cc = 0;
  for (size_t j = 0; j < m; ++j) {
    // Position of the first (even j) or last (odd j) pixel of foreground run j / 2.
    cc += rle.counts[j];
    const uint64_t t = cc - j % 2;
    const uint64_t y = t % h, x = (t - y) / h;
    if (j % 2 == 0) {
      xp = x;
    } else if (xp < x) {  // the run wraps a column: it spans the full height
      ys = 0;
      ye = h - 1;
    }
    xs = std::min(xs, x);
    xe = std::max(xe, x);
    ys = std::min(ys, y);
    ye = std::max(ye, y);
  }
  return {static_cast<double>(xs), static_cast<double>(ys), static_cast<double>(xe - xs + 1),
          static_cast<double>(ye - ys + 1)};
}

Rle Merge(const std::vector<Rle>& rles, bool intersect) {
  if (rles.empty()) return Rle{};
  Rle merged = rles[0];
  for (size_t i = 1; i < rles.size(); ++i) {
    if (rles[i].h != merged.h || rles[i].w != merged.w) return Rle{};
    Rle next;
    next.h = merged.h;
    next.w = merged.w;
    ZipRuns(merged, rles[i], [&](uint64_t length, bool a, bool b) {
      PushRun(&next.counts, intersect ? (a && b) : (a || b), length);
    });
    if (next.counts.empty()) next.counts.push_back(0);
    merged = std::move(next);
  }
  return merged;
}

std::vector<std::vector<double>> Iou(const std::vector<Rle>& dts, const std::vector<Rle>& gts,
                                     const std::vector<bool>& iscrowd) {
  std::vector<std::vector<double>> ious(dts.size(), std::vector<double>(gts.size(), 0.0));
  std::vector<std::array<double, 4>> dt_boxes, gt_boxes;
  for (const Rle& r : dts) dt_boxes.push_back(ToBbox(r));
  for (const Rle& r : gts) gt_boxes.push_back(ToBbox(r));
  for (size_t d = 0; d < dts.size(); ++d) {
    for (size_t g = 0; g < gts.size(); ++g) {
      // Disjoint bounding boxes: no overlap to count.
      const auto& a = dt_boxes[d];
      const auto& b = gt_boxes[g];
      if (std::min(a[0] + a[2], b[0] + b[2]) <= std::max(a[0], b[0]) ||
          std::min(a[1] + a[3], b[1] + b[3]) <= std::max(a[1], b[1])) {
        continue;
      }
      uint64_t inter = 0, uni = 0;
      ZipRuns(dts[d], gts[g], [&](uint64_t length, bool on_a, bool on_b) {
        if (on_a || on_b) uni += length;
        if (on_a && on_b) inter += length;
      });
      const bool crowd = g < iscrowd.size() && iscrowd[g];
      if (inter == 0) continue;
      if (crowd) uni = Area(dts[d]);
      ious[d][g] = static_cast<double>(inter) / static_cast<double>(uni);
    }
  }
  return ious;
}

Rle FromPolygon(const std::vector<double>& xy, int64_t h, int64_t w) {
  // 1. Upsample 5x and walk every edge, one point per step along its longer axis.
  const double scale = 5;
  const size_t k = xy.size() / 2;
  std::vector<int> x(k + 1), y(k + 1);
  for (size_t j = 0; j < k; ++j) {
    x[j] = static_cast<int>(scale * xy[2 * j] + .5);
    y[j] = static_cast<int>(scale * xy[2 * j + 1] + .5);
  }
  if (k > 0) x[k] = x[0], y[k] = y[0];
  std::vector<int> u, v;
  for (size_t j = 0; j < k; ++j) {
    int xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1];
    const int dx = std::abs(xe - xs), dy = std::abs(ys - ye);
    const bool flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) std::swap(xs, xe), std::swap(ys, ye);
    const double s = dx >= dy ? static_cast<double>(ye - ys) / dx
                              : static_cast<double>(xe - xs) / dy;
    if (dx >= dy) {
      for (int d = 0; d <= dx; ++d) {
        const int t = flip ? dx - d : d;
        u.push_back(t + xs);
        v.push_back(static_cast<int>(ys + s * t + .5));
      }
    } else {
      for (int d = 0; d <= dy; ++d) {
        const int t = flip ? dy - d : d;
        v.push_back(t + ys);
        u.push_back(static_cast<int>(xs + s * t + .5));
      }
    }
  }
  // 2. Where the boundary crosses a pixel-centre column, record (column, first row inside).
  std::vector<uint64_t> starts;
  for (size_t j = 1; j < u.size(); ++j) {
    if (u[j] == u[j - 1]) continue;
    double xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
    xd = (xd + .5) / scale - .5;
    if (std::floor(xd) != xd || xd < 0 || xd > w - 1) continue;
    double yd = v[j] < v[j - 1] ? v[j] : v[j - 1];
    yd = (yd + .5) / scale - .5;
    yd = std::ceil(yd < 0 ? 0 : (yd > h ? h : yd));
    starts.push_back(static_cast<uint64_t>(xd) * h + static_cast<uint64_t>(yd));
  }
  // 3. Sorted crossings toggle foreground on and off in column-major order.
  starts.push_back(static_cast<uint64_t>(h) * w);
  std::sort(starts.begin(), starts.end());
  std::vector<uint64_t> diffs(starts.size());
  uint64_t previous = 0;
  for (size_t j = 0; j < starts.size(); ++j) {
    diffs[j] = starts[j] - previous;
    previous = starts[j];
  }
  // Zero-length runs in the middle cancel: fold the following run into the previous one.
  Rle rle;
  rle.h = h;
  rle.w = w;
  size_t j = 0;
  rle.counts.push_back(static_cast<uint32_t>(diffs[j++]));
  while (j < diffs.size()) {
    if (diffs[j] > 0) {
      rle.counts.push_back(static_cast<uint32_t>(diffs[j++]));
    } else {
      ++j;
      if (j < diffs.size()) rle.counts.back() += static_cast<uint32_t>(diffs[j++]);
    }
  }
  return rle;
}

Rle FromPolygons(const std::vector<std::vector<double>>& polygons, int64_t h, int64_t w) {
  std::vector<Rle> parts;
  for (const auto& polygon : polygons) parts.push_back(FromPolygon(polygon, h, w));
  if (parts.empty()) {
    Rle empty;
    empty.h = h;
    empty.w = w;
    empty.counts = {static_cast<uint32_t>(h * w)};
    return empty;
  }
  return Merge(parts);
}

at::Tensor PasteMasks(const at::Tensor& masks, const at::Tensor& boxes, int64_t img_h,
                      int64_t img_w, double threshold) {
  TORCH_CHECK(masks.dim() == 3, "paste masks: masks must be [N, h, w], got ", masks.sizes());
  TORCH_CHECK(boxes.dim() == 2 && boxes.size(1) == 4 && boxes.size(0) == masks.size(0),
              "paste masks: boxes must be [N, 4] with N = ", masks.size(0), ", got ",
              boxes.sizes());
  const int64_t n = masks.size(0);
  const auto options = masks.options().dtype(at::kFloat);
  if (n == 0) {
    return at::zeros({0, img_h, img_w}, options.dtype(threshold >= 0 ? at::kBool : at::kByte));
  }
  // MMDetection's CPU path (get_seg_masks: one chunk per mask, skip_empty): each mask is
  // sampled only over its box grown by one pixel, [floor(x1) - 1, ceil(x2) + 1) clipped to the
  // image, and the rest of its image stays zero; memory is the output plus one box region.
  at::Tensor b = boxes.to(options);
  const at::Tensor bc = b.to(at::kCPU, at::kDouble).contiguous();
  const double* bp = bc.data_ptr<double>();
  const at::Tensor probs = masks.to(options);
  at::Tensor out = at::zeros({n, img_h, img_w},
                             options.dtype(threshold >= 0 ? at::kBool : at::kByte));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t rx0 = std::max<int64_t>(0, static_cast<int64_t>(std::floor(bp[i * 4])) - 1);
    const int64_t ry0 = std::max<int64_t>(0, static_cast<int64_t>(std::floor(bp[i * 4 + 1])) - 1);
    const int64_t rx1 = std::min<int64_t>(img_w, static_cast<int64_t>(std::ceil(bp[i * 4 + 2])) + 1);
    const int64_t ry1 = std::min<int64_t>(img_h, static_cast<int64_t>(std::ceil(bp[i * 4 + 3])) + 1);
    if (rx1 <= rx0 || ry1 <= ry0) continue;
    const at::Tensor box = b[i];
    const at::Tensor x0 = box[0], y0 = box[1], x1 = box[2], y1 = box[3];
    // Pixel centres mapped into the box's [-1, 1] sampling range.
    at::Tensor img_y = (at::arange(ry0, ry1, options) + 0.5 - y0) / (y1 - y0) * 2 - 1;
    at::Tensor img_x = (at::arange(rx0, rx1, options) + 0.5 - x0) / (x1 - x0) * 2 - 1;
    img_x = img_x.masked_fill(img_x.isinf(), 0);
    img_y = img_y.masked_fill(img_y.isinf(), 0);
    const int64_t h = ry1 - ry0, w = rx1 - rx0;
    at::Tensor grid = at::stack({img_x.unsqueeze(0).expand({h, w}), img_y.unsqueeze(1).expand({h, w})},
                                2)
                          .unsqueeze(0);
    at::Tensor pasted = at::grid_sampler(probs[i].unsqueeze(0).unsqueeze(0), grid,
                                         /*interpolation_mode=*/0, /*padding_mode=*/0,
                                         /*align_corners=*/false)
                            .squeeze(0)
                            .squeeze(0);
    out[i].narrow(0, ry0, h).narrow(1, rx0, w).copy_(
        threshold >= 0 ? (pasted >= threshold) : (pasted * 255).to(at::kByte));
  }
  return out;
}

}  // namespace mmdet::ops
