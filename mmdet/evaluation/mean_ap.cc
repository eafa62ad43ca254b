#include "mmdet/evaluation/mean_ap.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <limits>
#include <numeric>

#include "mmdet/evaluation/ascii_table.h"
#include "mmdet/evaluation/numpy_compat.h"

namespace mmdet::evaluation {
namespace {

constexpr float kFloat32Eps = std::numeric_limits<float>::epsilon();

float Area(const FloatBox& b) { return (b[2] - b[0]) * (b[3] - b[1]); }

// np.argsort(-scores): descending, ties in index order.
std::vector<size_t> ByDescendingScore(const std::vector<float>& scores) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return -scores[a] < -scores[b]; });
  return order;
}

// tpfp_default for one image and class: tp / fp [scales][dets] in the image's det order.
void TpFp(const std::vector<Detection>& dets, const std::vector<FloatBox>& gts,
          const std::vector<FloatBox>& gts_ignore, double iou_thr,
          const std::vector<std::pair<double, double>>& area_ranges,
          std::vector<std::vector<uint8_t>>* tp, std::vector<std::vector<uint8_t>>* fp) {
  const size_t num_scales = area_ranges.empty() ? 1 : area_ranges.size();
  const size_t n = dets.size();
  tp->assign(num_scales, std::vector<uint8_t>(n, 0));
  fp->assign(num_scales, std::vector<uint8_t>(n, 0));
  std::vector<FloatBox> all_gts = gts;
  all_gts.insert(all_gts.end(), gts_ignore.begin(), gts_ignore.end());
  std::vector<FloatBox> boxes;
  std::vector<float> scores;
  for (const Detection& d : dets) {
    boxes.push_back(d.box);
    scores.push_back(d.score);
  }
  auto in_range = [](float area, const std::pair<double, double>& r) {
    return area >= static_cast<float>(r.first) && area < static_cast<float>(r.second);
  };
  if (all_gts.empty()) {
    for (size_t k = 0; k < num_scales; ++k) {
      for (size_t i = 0; i < n; ++i) {
        (*fp)[k][i] = area_ranges.empty() || in_range(Area(boxes[i]), area_ranges[k]);
      }
    }
    return;
  }
  const auto ious = BboxOverlaps(boxes, all_gts);
  std::vector<float> ious_max(n);
  std::vector<size_t> ious_argmax(n);
  for (size_t i = 0; i < n; ++i) {
    ious_argmax[i] = std::max_element(ious[i].begin(), ious[i].end()) - ious[i].begin();
    ious_max[i] = ious[i][ious_argmax[i]];
  }
  const float thr = static_cast<float>(iou_thr);
  const std::vector<size_t> order = ByDescendingScore(scores);
  for (size_t k = 0; k < num_scales; ++k) {
    std::vector<uint8_t> covered(all_gts.size(), 0);
    for (size_t i : order) {
      if (ious_max[i] >= thr) {
        const size_t g = ious_argmax[i];
        const bool ignored = g >= gts.size() ||
                             (!area_ranges.empty() && !in_range(Area(all_gts[g]), area_ranges[k]));
        if (!ignored) {
          if (!covered[g]) {
            covered[g] = 1;
            (*tp)[k][i] = 1;
          } else {
            (*fp)[k][i] = 1;
          }
        }
      } else if (area_ranges.empty()) {
        (*fp)[k][i] = 1;
      } else if (in_range(Area(boxes[i]), area_ranges[k])) {
        (*fp)[k][i] = 1;
      }
    }
  }
}

// np.mean of a float32 array: a float32 pairwise sum, divided in float64, rounded to float32.
float Float32Mean(const std::vector<float>& values) {
  // Pairwise summation in float32 (numpy's FLOAT_pairwise_sum), buffers of 8192.
  std::function<float(const float*, size_t)> pairwise = [&](const float* a, size_t n) -> float {
    if (n < 8) {
      float res = 0.f;
      for (size_t i = 0; i < n; ++i) res += a[i];
      return res;
    }
    if (n <= 128) {
      float r[8];
      for (int j = 0; j < 8; ++j) r[j] = a[j];
      size_t i = 8;
      for (; i < n - (n % 8); i += 8) {
        for (int j = 0; j < 8; ++j) r[j] += a[i + j];
      }
      float res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
      for (; i < n; ++i) res += a[i];
      return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise(a, n2) + pairwise(a + n2, n - n2);
  };
  float sum = 0.f;
  for (size_t s = 0; s < values.size(); s += kReduceBufferSize) {
    sum += pairwise(values.data() + s, std::min(kReduceBufferSize, values.size() - s));
  }
  return static_cast<float>(static_cast<double>(sum) / static_cast<double>(values.size()));
}

}  // namespace

float AveragePrecision(const std::vector<double>& recalls, const std::vector<float>& precisions,
                       bool eleven_points) {
  const size_t n = recalls.size();
  if (eleven_points) {
    float ap = 0.f;
    for (double thr : Arange(0, 1 + 1e-3, 0.1)) {
      float best = 0.f;
      bool any = false;
      for (size_t i = 0; i < n; ++i) {
        if (recalls[i] >= thr) {
          best = any ? std::max(best, precisions[i]) : precisions[i];
          any = true;
        }
      }
      ap += any ? best : 0.f;
    }
    return ap / 11;
  }
  // mrec = [0, recalls, 1], mpre = [0, precisions, 0] (float64), the envelope, then the sum of
  // (mrec[i + 1] - mrec[i]) * mpre[i + 1] where the recall changes.
  std::vector<double> mrec(n + 2), mpre(n + 2);
  mrec[0] = 0;
  mpre[0] = 0;
  for (size_t i = 0; i < n; ++i) {
    mrec[i + 1] = recalls[i];
    mpre[i + 1] = precisions[i];
  }
  mrec[n + 1] = 1;
  mpre[n + 1] = 0;
  for (size_t i = n + 1; i > 0; --i) mpre[i - 1] = std::max(mpre[i - 1], mpre[i]);
  std::vector<double> terms;
  for (size_t i = 0; i + 1 < mrec.size(); ++i) {
    if (mrec[i + 1] != mrec[i]) terms.push_back((mrec[i + 1] - mrec[i]) * mpre[i + 1]);
  }
  return static_cast<float>(ReduceSum(terms.data(), terms.size()));
}

MeanApResult EvalMap(const std::vector<std::vector<std::vector<Detection>>>& detections,
                     const std::vector<MapAnnotation>& annotations, const MapOptions& options) {
  MeanApResult result;
  const size_t num_images = std::min(detections.size(), annotations.size());
  const size_t num_classes = detections.empty() ? 0 : detections[0].size();
  std::vector<std::pair<double, double>> area_ranges;
  for (const auto& [lo, hi] : options.scale_ranges) area_ranges.emplace_back(lo * lo, hi * hi);
  const size_t num_scales = area_ranges.empty() ? 1 : area_ranges.size();
  for (size_t c = 0; c < num_classes; ++c) {
    ClassMapResult cr;
    cr.num_gts.assign(num_scales, 0);
    std::vector<float> scores;
    std::vector<std::vector<uint8_t>> tp(num_scales), fp(num_scales);
    for (size_t i = 0; i < num_images; ++i) {
      const MapAnnotation& ann = annotations[i];
      std::vector<FloatBox> gts, ignore;
      for (size_t j = 0; j < ann.bboxes.size(); ++j) {
        if (ann.labels[j] == static_cast<int64_t>(c)) gts.push_back(ann.bboxes[j]);
      }
      for (size_t j = 0; j < ann.bboxes_ignore.size() && j < ann.labels_ignore.size(); ++j) {
        if (ann.labels_ignore[j] == static_cast<int64_t>(c)) ignore.push_back(ann.bboxes_ignore[j]);
      }
      const std::vector<Detection>& dets = c < detections[i].size() ? detections[i][c]
                                                                     : std::vector<Detection>();
      std::vector<std::vector<uint8_t>> img_tp, img_fp;
      TpFp(dets, gts, ignore, options.iou_thr, area_ranges, &img_tp, &img_fp);
      for (size_t k = 0; k < num_scales; ++k) {
        tp[k].insert(tp[k].end(), img_tp[k].begin(), img_tp[k].end());
        fp[k].insert(fp[k].end(), img_fp[k].begin(), img_fp[k].end());
      }
      for (const Detection& d : dets) scores.push_back(d.score);
      for (const FloatBox& g : gts) {
        for (size_t k = 0; k < num_scales; ++k) {
          const float a = Area(g);
          if (area_ranges.empty() || (a >= static_cast<float>(area_ranges[k].first) &&
                                      a < static_cast<float>(area_ranges[k].second))) {
            ++cr.num_gts[k];
          }
        }
      }
    }
    cr.num_dets = static_cast<int64_t>(scores.size());
    const std::vector<size_t> order = ByDescendingScore(scores);
    cr.recall.assign(num_scales, {});
    cr.precision.assign(num_scales, {});
    for (size_t k = 0; k < num_scales; ++k) {
      float tp_sum = 0.f, fp_sum = 0.f;
      const double denom = std::max(static_cast<double>(cr.num_gts[k]),
                                    static_cast<double>(kFloat32Eps));
      for (size_t j : order) {
        tp_sum += tp[k][j];
        fp_sum += fp[k][j];
        cr.recall[k].push_back(static_cast<double>(tp_sum) / denom);
        cr.precision[k].push_back(tp_sum / std::max(tp_sum + fp_sum, kFloat32Eps));
      }
      cr.ap.push_back(AveragePrecision(cr.recall[k], cr.precision[k], options.voc07));
    }
    result.classes.push_back(std::move(cr));
  }
  for (size_t k = 0; k < num_scales; ++k) {
    std::vector<float> aps;
    for (const ClassMapResult& cr : result.classes) {
      if (cr.num_gts[k] > 0) aps.push_back(cr.ap[k]);
    }
    result.mean_ap.push_back(aps.empty() ? 0.f : Float32Mean(aps));
  }
  return result;
}

std::string MapSummaryTable(const MeanApResult& result, const std::vector<std::string>& classes,
                            size_t scale) {
  std::vector<std::vector<std::string>> rows = {{"class", "gts", "dets", "recall", "ap"}};
  char buf[64];
  for (size_t c = 0; c < result.classes.size(); ++c) {
    const ClassMapResult& cr = result.classes[c];
    const float recall = cr.recall[scale].empty() ? 0.f
                                                  : static_cast<float>(cr.recall[scale].back());
    std::vector<std::string> row = {c < classes.size() ? classes[c] : std::to_string(c),
                                    std::to_string(cr.num_gts[scale]),
                                    std::to_string(cr.num_dets)};
    std::snprintf(buf, sizeof buf, "%.3f", recall);
    row.push_back(buf);
    std::snprintf(buf, sizeof buf, "%.3f", cr.ap[scale]);
    row.push_back(buf);
    rows.push_back(row);
  }
  std::snprintf(buf, sizeof buf, "%.3f", result.mean_ap[scale]);
  rows.push_back({"mAP", "", "", "", buf});
  return AsciiTable(rows, /*footer_rule=*/true);
}

}  // namespace mmdet::evaluation
