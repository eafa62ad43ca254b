#include "mmdet/evaluation/coco_eval.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <thread>
#include <unordered_map>
#include <utility>

#include "mmdet/evaluation/numpy_compat.h"

namespace mmdet::evaluation {
namespace {

void SortUnique(std::vector<int64_t>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

// np.argsort(-score, kind='mergesort') of `objects`.
std::vector<size_t> ByDescendingScore(const std::vector<const CocoObject*>& objects) {
  std::vector<size_t> order(objects.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return -objects[a]->score < -objects[b]->score;
  });
  return order;
}

// maskApi.c bbIou for one pair (xywh, no +1); a crowd gt's union is the dt's area.
double BoxIou(const std::array<double, 4>& d, const std::array<double, 4>& g, bool crowd) {
  const double ga = g[2] * g[3];
  const double da = d[2] * d[3];
  const double w = std::fmin(d[2] + d[0], g[2] + g[0]) - std::fmax(d[0], g[0]);
  if (w <= 0) return 0;
  const double h = std::fmin(d[3] + d[1], g[3] + g[1]) - std::fmax(d[1], g[1]);
  if (h <= 0) return 0;
  const double i = w * h;
  const double u = crowd ? da : da + ga - i;
  return i / u;
}

}  // namespace

CocoEvalParams CocoEvalParams::Defaults(IouType type, std::vector<int64_t> img_ids,
                                        std::vector<int64_t> cat_ids) {
  CocoEvalParams p;
  p.iou_type = type;
  SortUnique(&img_ids);
  SortUnique(&cat_ids);
  p.img_ids = std::move(img_ids);
  p.cat_ids = std::move(cat_ids);
  // np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True)
  p.iou_thrs = Linspace(.5, 0.95, static_cast<int>(std::nearbyint((0.95 - .5) / .05)) + 1);
  p.rec_thrs = Linspace(.0, 1.00, static_cast<int>(std::nearbyint((1.00 - .0) / .01)) + 1);
  p.max_dets = {1, 10, 100};
  p.area_rng = {{0, 1e5 * 1e5}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e5 * 1e5}};
  p.area_rng_lbl = {"all", "small", "medium", "large"};
  p.use_cats = true;
  return p;
}

CocoEval::CocoEval(std::vector<CocoObject> gts, std::vector<CocoObject> dts,
                   CocoEvalParams params)
    : gts_(std::move(gts)), dts_(std::move(dts)), params_(std::move(params)) {}

std::vector<const CocoObject*> CocoEval::Cell(
    const std::vector<std::vector<std::vector<size_t>>>& index,
    const std::vector<CocoObject>& objects, size_t i, size_t k) const {
  std::vector<const CocoObject*> out;
  if (params_.use_cats) {
    for (size_t j : index[i][k]) out.push_back(&objects[j]);
  } else {
    // [_ for cId in p.catIds for _ in self._gts[imgId, cId]]
    for (const auto& per_cat : index[i]) {
      for (size_t j : per_cat) out.push_back(&objects[j]);
    }
  }
  return out;
}

std::vector<std::vector<double>> CocoEval::ComputeIou(const std::vector<const CocoObject*>& gt,
                                                      std::vector<const CocoObject*> dt) const {
  if (gt.empty() && dt.empty()) return {};
  const std::vector<size_t> order = ByDescendingScore(dt);
  std::vector<const CocoObject*> sorted;
  for (size_t j : order) sorted.push_back(dt[j]);
  if (sorted.size() > static_cast<size_t>(params_.max_dets.back())) {
    sorted.resize(params_.max_dets.back());
  }
  std::vector<std::vector<double>> ious(sorted.size(), std::vector<double>(gt.size(), 0.0));
  if (sorted.empty() || gt.empty()) return ious;
  if (params_.iou_type == CocoEvalParams::kBbox) {
    for (size_t d = 0; d < sorted.size(); ++d) {
      for (size_t g = 0; g < gt.size(); ++g) {
        ious[d][g] = BoxIou(sorted[d]->bbox, gt[g]->bbox, gt[g]->iscrowd);
      }
    }
    return ious;
  }
  // maskApi.c rleIou: the exact overlap where the boxes overlap, -1 for masks of other sizes.
  bool same_size = true;
  for (const CocoObject* g : gt) {
    for (const CocoObject* d : sorted) {
      same_size = same_size && d->rle.h == g->rle.h && d->rle.w == g->rle.w;
    }
  }
  if (same_size) {
    std::vector<ops::Rle> d_rles, g_rles;
    std::vector<bool> crowd;
    for (const CocoObject* d : sorted) d_rles.push_back(d->rle);
    for (const CocoObject* g : gt) {
      g_rles.push_back(g->rle);
      crowd.push_back(g->iscrowd);
    }
    return ops::Iou(d_rles, g_rles, crowd);
  }
  for (size_t d = 0; d < sorted.size(); ++d) {
    for (size_t g = 0; g < gt.size(); ++g) {
      const ops::Rle& a = sorted[d]->rle;
      const ops::Rle& b = gt[g]->rle;
      if (a.h != b.h || a.w != b.w) {
        ious[d][g] = BoxIou(ops::ToBbox(a), ops::ToBbox(b), false) > 0 ? -1 : 0;
      } else {
        ious[d][g] = ops::Iou({a}, {b}, {gt[g]->iscrowd})[0][0];
      }
    }
  }
  return ious;
}

CocoEval::EvalImg CocoEval::EvaluateImg(const std::vector<const CocoObject*>& gt_in,
                                        const std::vector<const CocoObject*>& dt_in,
                                        const std::vector<std::vector<double>>& ious,
                                        const std::array<double, 2>& area_rng,
                                        int max_det) const {
  EvalImg e;
  if (gt_in.empty() && dt_in.empty()) return e;
  e.valid = true;
  std::vector<uint8_t> ignore(gt_in.size());
  for (size_t g = 0; g < gt_in.size(); ++g) {
    const CocoObject& o = *gt_in[g];
    ignore[g] = o.iscrowd || o.area < area_rng[0] || o.area > area_rng[1];
  }
  std::vector<size_t> gtind(gt_in.size());
  std::iota(gtind.begin(), gtind.end(), 0);
  std::stable_sort(gtind.begin(), gtind.end(),
                   [&](size_t a, size_t b) { return ignore[a] < ignore[b]; });
  std::vector<size_t> dtind = ByDescendingScore(dt_in);
  if (dtind.size() > static_cast<size_t>(max_det)) dtind.resize(max_det);
  const size_t T = params_.iou_thrs.size(), G = gt_in.size(), D = dtind.size();
  std::vector<const CocoObject*> gt(G), dt(D);
  for (size_t g = 0; g < G; ++g) gt[g] = gt_in[gtind[g]];
  for (size_t d = 0; d < D; ++d) dt[d] = dt_in[dtind[d]];
  e.gt_ignore.resize(G);
  for (size_t g = 0; g < G; ++g) e.gt_ignore[g] = ignore[gtind[g]];
  e.dt_matches.assign(T * D, 0);
  e.dt_ignore.assign(T * D, 0);
  std::vector<int64_t> gt_matches(T * G, 0);
  if (!ious.empty() && G > 0 && D > 0) {
    for (size_t t = 0; t < T; ++t) {
      for (size_t d = 0; d < D; ++d) {
        double iou = std::min(params_.iou_thrs[t], 1 - 1e-10);
        int64_t m = -1;
        for (size_t g = 0; g < G; ++g) {
          if (gt_matches[t * G + g] > 0 && !gt[g]->iscrowd) continue;
          if (m > -1 && e.gt_ignore[m] == 0 && e.gt_ignore[g] == 1) break;
          const double v = ious[d][gtind[g]];
          if (v < iou) continue;
          iou = v;
          m = static_cast<int64_t>(g);
        }
        if (m == -1) continue;
        e.dt_ignore[d * T + t] = e.gt_ignore[m];
        e.dt_matches[d * T + t] = gt[m]->id;
        gt_matches[t * G + m] = dt[d]->id;
      }
    }
  }
  for (size_t d = 0; d < D; ++d) {
    const bool outside = dt[d]->area < area_rng[0] || dt[d]->area > area_rng[1];
    for (size_t t = 0; t < T; ++t) {
      if (e.dt_matches[d * T + t] == 0 && outside) e.dt_ignore[d * T + t] = 1;
    }
  }
  e.dt_scores.resize(D);
  for (size_t d = 0; d < D; ++d) e.dt_scores[d] = dt[d]->score;
  return e;
}

void CocoEval::Evaluate(int num_threads) {
  CocoEvalParams& p = params_;
  SortUnique(&p.img_ids);
  SortUnique(&p.cat_ids);
  std::sort(p.max_dets.begin(), p.max_dets.end());
  accumulated_ = false;
  // _prepare.
  std::unordered_map<int64_t, size_t> img_pos, cat_pos;
  for (size_t i = 0; i < p.img_ids.size(); ++i) img_pos[p.img_ids[i]] = i;
  for (size_t k = 0; k < p.cat_ids.size(); ++k) cat_pos[p.cat_ids[k]] = k;
  auto group = [&](const std::vector<CocoObject>& objects) {
    std::vector<std::vector<std::vector<size_t>>> index(
        p.img_ids.size(), std::vector<std::vector<size_t>>(p.cat_ids.size()));
    for (size_t j = 0; j < objects.size(); ++j) {
      auto i = img_pos.find(objects[j].image_id);
      auto k = cat_pos.find(objects[j].category_id);
      if (i == img_pos.end() || k == cat_pos.end()) continue;
      index[i->second][k->second].push_back(j);
    }
    return index;
  };
  gt_index_ = group(gts_);
  dt_index_ = group(dts_);
  const size_t I = p.img_ids.size(), A = p.area_rng.size();
  const size_t K = p.use_cats ? p.cat_ids.size() : 1;
  eval_imgs_.assign(K * A * I, EvalImg());
  const int max_det = p.max_dets.back();
  auto work = [&](size_t begin, size_t step) {
    for (size_t i = begin; i < I; i += step) {
      for (size_t k = 0; k < K; ++k) {
        const auto gt = Cell(gt_index_, gts_, i, k);
        const auto dt = Cell(dt_index_, dts_, i, k);
        const auto ious = ComputeIou(gt, dt);
        for (size_t a = 0; a < A; ++a) {
          eval_imgs_[k * A * I + a * I + i] = EvaluateImg(gt, dt, ious, p.area_rng[a], max_det);
        }
      }
    }
  };
  const size_t threads = std::max(1, std::min<int>(num_threads, static_cast<int>(I)));
  if (threads <= 1) {
    work(0, 1);
  } else {
    std::vector<std::thread> pool;
    for (size_t t = 0; t < threads; ++t) pool.emplace_back(work, t, threads);
    for (auto& th : pool) th.join();
  }
}

void CocoEval::Accumulate(int num_threads) {
  const CocoEvalParams& p = params_;
  const size_t T = p.iou_thrs.size(), R = p.rec_thrs.size();
  const size_t K = p.use_cats ? p.cat_ids.size() : 1;
  const size_t A = p.area_rng.size(), M = p.max_dets.size(), I = p.img_ids.size();
  precision_.assign(T * R * K * A * M, -1.0);
  recall_.assign(T * K * A * M, -1.0);
  auto category = [&](size_t k) {
    std::vector<double> scores, rc, pr;
    std::vector<std::pair<size_t, size_t>> cols;  // (image, detection) of each column
    std::vector<size_t> inds;
    std::vector<uint8_t> flags;
    for (size_t m = 0; m < M; ++m) {
      const size_t max_det = static_cast<size_t>(p.max_dets[m]);
      // The columns and their order do not depend on the area range: every area's evalImg
      // of an image holds the same sorted detections (and is None for the same images).
      scores.clear();
      cols.clear();
      for (size_t i = 0; i < I; ++i) {
        const EvalImg& e = eval_imgs_[k * A * I + i];
        if (!e.valid) continue;
        const size_t n = std::min(max_det, e.dt_scores.size());
        for (size_t d = 0; d < n; ++d) {
          scores.push_back(e.dt_scores[d]);
          cols.emplace_back(i, d);
        }
      }
      // np.argsort(-dtScores, kind='mergesort').
      inds.resize(scores.size());
      std::iota(inds.begin(), inds.end(), 0);
      std::stable_sort(inds.begin(), inds.end(),
                       [&](size_t x, size_t y) { return -scores[x] < -scores[y]; });
      const size_t nd = inds.size();
      rc.resize(nd);
      pr.resize(nd);
      for (size_t a = 0; a < A; ++a) {
        const EvalImg* base = &eval_imgs_[k * A * I + a * I];
        bool any = false;
        size_t npig = 0;
        for (size_t i = 0; i < I; ++i) {
          if (!base[i].valid) continue;
          any = true;
          for (uint8_t ig : base[i].gt_ignore) npig += ig == 0;
        }
        if (!any || npig == 0) continue;
        // The sorted columns' tp / fp flags, gathered once for all thresholds.
        flags.assign(2 * T * nd, 0);
        for (size_t j = 0; j < nd; ++j) {
          const auto [i, d] = cols[inds[j]];
          const EvalImg& e = base[i];
          const int64_t* matches = &e.dt_matches[d * T];
          const uint8_t* ignore = &e.dt_ignore[d * T];
          for (size_t t = 0; t < T; ++t) {
            flags[t * nd + j] = matches[t] != 0 && !ignore[t];               // tps
            flags[(T + t) * nd + j] = matches[t] == 0 && !ignore[t];         // fps
          }
        }
        for (size_t t = 0; t < T; ++t) {
          double tp = 0, fp = 0;
          const uint8_t* tps = &flags[t * nd];
          const uint8_t* fps = &flags[(T + t) * nd];
          for (size_t j = 0; j < nd; ++j) {
            tp += tps[j];
            fp += fps[j];
            rc[j] = tp / static_cast<double>(npig);
            pr[j] = tp / (fp + tp + kSpacingOfOne);
          }
          recall_[((t * K + k) * A + a) * M + m] = nd ? rc[nd - 1] : 0;
          for (size_t j = nd - 1; nd > 0 && j > 0; --j) {
            if (pr[j] > pr[j - 1]) pr[j - 1] = pr[j];
          }
          // q[ri] = pr[searchsorted(rc, recThrs, 'left')[ri]]; pycocotools' try/except leaves
          // the thresholds past the last recall at 0.
          size_t pi = 0;
          for (size_t r = 0; r < R; ++r) {
            pi = std::lower_bound(rc.begin() + pi, rc.begin() + nd, p.rec_thrs[r]) - rc.begin();
            precision_[(((t * R + r) * K + k) * A + a) * M + m] = pi < nd ? pr[pi] : 0;
          }
        }
      }
    }
  };
  const size_t threads = std::max<size_t>(1, std::min<size_t>(num_threads, K));
  if (threads <= 1) {
    for (size_t k = 0; k < K; ++k) category(k);
  } else {
    std::vector<std::thread> pool;
    for (size_t t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        for (size_t k = t; k < K; k += threads) category(k);
      });
    }
    for (auto& th : pool) th.join();
  }
  accumulated_ = true;
}

double CocoEval::Precision(size_t t, size_t r, size_t k, size_t a, size_t m) const {
  const CocoEvalParams& p = params_;
  const size_t R = p.rec_thrs.size(), K = p.use_cats ? p.cat_ids.size() : 1;
  const size_t A = p.area_rng.size(), M = p.max_dets.size();
  return precision_[(((t * R + r) * K + k) * A + a) * M + m];
}

double CocoEval::Recall(size_t t, size_t k, size_t a, size_t m) const {
  const CocoEvalParams& p = params_;
  const size_t K = p.use_cats ? p.cat_ids.size() : 1;
  const size_t A = p.area_rng.size(), M = p.max_dets.size();
  return recall_[((t * K + k) * A + a) * M + m];
}

std::string SummaryLine(bool ap, const std::string& iou, const std::string& area, int max_dets,
                        double value) {
  char buf[160];
  std::snprintf(buf, sizeof buf, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f",
                ap ? "Average Precision" : "Average Recall", ap ? "(AP)" : "(AR)", iou.c_str(),
                area.c_str(), max_dets, value);
  return buf;
}

std::array<double, 12> CocoEval::Summarize(std::vector<std::string>* lines) const {
  const CocoEvalParams& p = params_;
  const size_t T = p.iou_thrs.size(), R = p.rec_thrs.size();
  const size_t K = p.use_cats ? p.cat_ids.size() : 1;
  auto summarize = [&](bool ap, const double* iou_thr, const std::string& area, int max_dets) {
    std::vector<size_t> aind, mind, tind;
    for (size_t a = 0; a < p.area_rng_lbl.size(); ++a) {
      if (p.area_rng_lbl[a] == area) aind.push_back(a);
    }
    for (size_t m = 0; m < p.max_dets.size(); ++m) {
      if (p.max_dets[m] == max_dets) mind.push_back(m);
    }
    for (size_t t = 0; t < T; ++t) {
      if (iou_thr == nullptr || p.iou_thrs[t] == *iou_thr) tind.push_back(t);
    }
    // s[:, :, :, aind, mind]: the two index lists pair up (numpy broadcasting).
    std::vector<std::pair<size_t, size_t>> am;
    if (aind.size() == mind.size()) {
      for (size_t j = 0; j < aind.size(); ++j) am.emplace_back(aind[j], mind[j]);
    } else if (aind.size() == 1) {
      for (size_t m : mind) am.emplace_back(aind[0], m);
    } else if (mind.size() == 1) {
      for (size_t a : aind) am.emplace_back(a, mind[0]);
    }
    std::vector<double> values;
    for (size_t t : tind) {
      if (ap) {
        for (size_t r = 0; r < R; ++r) {
          for (size_t k = 0; k < K; ++k) {
            for (const auto& [a, m] : am) {
              const double v = Precision(t, r, k, a, m);
              if (v > -1) values.push_back(v);
            }
          }
        }
      } else {
        for (size_t k = 0; k < K; ++k) {
          for (const auto& [a, m] : am) {
            const double v = Recall(t, k, a, m);
            if (v > -1) values.push_back(v);
          }
        }
      }
    }
    const double mean = values.empty() ? -1 : Mean(values);
    if (lines != nullptr) {
      char iou[32];
      if (iou_thr == nullptr) {
        std::snprintf(iou, sizeof iou, "%0.2f:%0.2f", p.iou_thrs.front(), p.iou_thrs.back());
      } else {
        std::snprintf(iou, sizeof iou, "%0.2f", *iou_thr);
      }
      lines->push_back(SummaryLine(ap, iou, area, max_dets, mean));
    }
    return mean;
  };
  std::array<double, 12> stats{};
  if (!accumulated_ || p.max_dets.size() < 3) {
    stats.fill(-1);
    return stats;
  }
  const double half = .5, three_quarters = .75;
  const int m0 = p.max_dets[0], m1 = p.max_dets[1], m2 = p.max_dets[2];
  stats[0] = summarize(true, nullptr, "all", 100);
  stats[1] = summarize(true, &half, "all", m2);
  stats[2] = summarize(true, &three_quarters, "all", m2);
  stats[3] = summarize(true, nullptr, "small", m2);
  stats[4] = summarize(true, nullptr, "medium", m2);
  stats[5] = summarize(true, nullptr, "large", m2);
  stats[6] = summarize(false, nullptr, "all", m0);
  stats[7] = summarize(false, nullptr, "all", m1);
  stats[8] = summarize(false, nullptr, "all", m2);
  stats[9] = summarize(false, nullptr, "small", m2);
  stats[10] = summarize(false, nullptr, "medium", m2);
  stats[11] = summarize(false, nullptr, "large", m2);
  return stats;
}

}  // namespace mmdet::evaluation
