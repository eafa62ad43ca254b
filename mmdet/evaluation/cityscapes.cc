#include "mmdet/evaluation/cityscapes.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <utility>

#include <ATen/ATen.h>
#include <opencv2/core.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/image_encode.h"
#include "mmdet/core/status.h"
#include "mmdet/datasets/pipelines/image_util.h"
#include "mmdet/datasets/pipelines/png_decode.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/evaluation/numpy_compat.h"

namespace mmdet::evaluation {
namespace {

// cityscapesscripts' labels with hasInstances and not ignoreInEval, in labels.py's order.
struct InstanceLabel {
  const char* name;
  int id;
};
constexpr InstanceLabel kInstanceLabels[] = {{"person", 24}, {"rider", 25}, {"car", 26},
                                             {"truck", 27},  {"bus", 28},   {"train", 31},
                                             {"motorcycle", 32}, {"bicycle", 33}};
constexpr int kNumClasses = 8;
// ignoreInEval label ids (void).
constexpr int kVoidIds[] = {0, 1, 2, 3, 4, 5, 6, 9, 10, 14, 15, 16, 18, 29, 30, -1};
constexpr int64_t kMinRegionSize = 100;

int ClassIndexOfLabel(int label_id) {
  for (int c = 0; c < kNumClasses; ++c) {
    if (kInstanceLabels[c].id == label_id) return c;
  }
  return -1;
}

bool IsVoid(int64_t v) {
  for (int id : kVoidIds) {
    if (v == id) return true;
  }
  return false;
}

struct Gt {
  int64_t inst_id = 0;
  int64_t pixels = 0;
  std::vector<std::pair<size_t, int64_t>> matched;  // (prediction, intersection)
};

struct Pred {
  int64_t pixels = 0;
  double confidence = 0;
  int64_t void_pixels = 0;
  std::vector<std::pair<size_t, int64_t>> matched;  // (gt, intersection)
};

struct ImageMatches {
  std::vector<Gt> gts[kNumClasses];
  std::vector<Pred> preds[kNumClasses];
};

ImageMatches Match(const CityscapesImage& image) {
  ImageMatches m;
  const at::Tensor ids = image.instance_ids.to(at::kLong).contiguous();
  const int64_t* gt = ids.data_ptr<int64_t>();
  const int64_t n = ids.numel();
  // instances2dict: the unique ids, ascending, with their pixel counts.
  std::map<int64_t, int64_t> counts;
  for (int64_t p = 0; p < n; ++p) ++counts[gt[p]];
  std::map<int64_t, std::pair<int, size_t>> where;  // id -> (class, index)
  for (const auto& [id, pixels] : counts) {
    const int label = static_cast<int>(id >= 1000 ? id / 1000 : id);
    const int c = ClassIndexOfLabel(label);
    if (c < 0) continue;
    where[id] = {c, m.gts[c].size()};
    m.gts[c].push_back({id, pixels, {}});
  }
  for (const CityscapesPrediction& p : image.predictions) {
    const int c = ClassIndexOfLabel(p.label_id);
    if (c < 0) continue;
    const at::Tensor mask = p.mask.to(at::kByte).contiguous();
    if (mask.numel() != n) continue;  // CityscapesImages checks the sizes
    const uint8_t* on = mask.data_ptr<uint8_t>();
    Pred pred;
    pred.confidence = p.confidence;
    std::map<int64_t, int64_t> overlap;
    for (int64_t k = 0; k < n; ++k) {
      if (!on[k]) continue;
      ++pred.pixels;
      if (IsVoid(gt[k])) ++pred.void_pixels;
      ++overlap[gt[k]];
    }
    if (pred.pixels == 0) continue;
    const size_t pred_index = m.preds[c].size();
    for (size_t g = 0; g < m.gts[c].size(); ++g) {
      auto it = overlap.find(m.gts[c][g].inst_id);
      if (it == overlap.end()) continue;
      pred.matched.push_back({g, it->second});
      m.gts[c][g].matched.push_back({pred_index, it->second});
    }
    m.preds[c].push_back(std::move(pred));
  }
  return m;
}

double ApOf(const std::vector<ImageMatches>& matches, int c, double th) {
  std::vector<double> y_true, y_score;
  int64_t hard_fns = 0;
  bool have_gt = false, have_pred = false;
  for (const ImageMatches& m : matches) {
    const std::vector<Pred>& preds = m.preds[c];
    std::vector<size_t> gts;
    for (size_t g = 0; g < m.gts[c].size(); ++g) {
      if (m.gts[c][g].inst_id >= 1000 && m.gts[c][g].pixels >= kMinRegionSize) gts.push_back(g);
    }
    have_gt = have_gt || !gts.empty();
    have_pred = have_pred || !preds.empty();
    std::vector<double> cur_true(gts.size(), 1.0);
    std::vector<double> cur_score(gts.size(), -std::numeric_limits<double>::infinity());
    std::vector<bool> cur_match(gts.size(), false);
    for (size_t gi = 0; gi < gts.size(); ++gi) {
      const Gt& gt = m.gts[c][gts[gi]];
      bool found = false;
      for (const auto& [p, inter] : gt.matched) {
        const double overlap = static_cast<double>(inter) /
                               static_cast<double>(gt.pixels + preds[p].pixels - inter);
        if (!(overlap > th)) continue;
        const double confidence = preds[p].confidence;
        if (cur_match[gi]) {
          const double max_score = std::max(cur_score[gi], confidence);
          const double min_score = std::min(cur_score[gi], confidence);
          cur_score[gi] = max_score;
          cur_true.push_back(0);
          cur_score.push_back(min_score);
          cur_match.push_back(true);
        } else {
          found = true;
          cur_match[gi] = true;
          cur_score[gi] = confidence;
        }
      }
      if (!found) ++hard_fns;
    }
    for (size_t k = 0; k < cur_true.size(); ++k) {
      if (!cur_match[k]) continue;
      y_true.push_back(cur_true[k]);
      y_score.push_back(cur_score[k]);
    }
    for (const Pred& pred : preds) {
      bool found = false;
      for (const auto& [g, inter] : pred.matched) {
        const double overlap = static_cast<double>(inter) /
                               static_cast<double>(m.gts[c][g].pixels + pred.pixels - inter);
        if (overlap > th) {
          found = true;
          break;
        }
      }
      if (found) continue;
      int64_t ignore = pred.void_pixels;
      for (const auto& [g, inter] : pred.matched) {
        if (m.gts[c][g].inst_id < 1000) ignore += inter;
        if (m.gts[c][g].pixels < kMinRegionSize) ignore += inter;
      }
      if (static_cast<double>(ignore) / static_cast<double>(pred.pixels) <= th) {
        y_true.push_back(0);
        y_score.push_back(pred.confidence);
      }
    }
  }
  if (!have_gt) return std::numeric_limits<double>::quiet_NaN();
  if (!have_pred || y_true.empty()) return 0.0;
  // The precision-recall curve over the unique scores, ascending.
  std::vector<size_t> order(y_score.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return y_score[a] < y_score[b]; });
  const size_t n = order.size();
  std::vector<double> cumsum(n + 1, 0.0);  // cumsum[n] is the appended 0 (index -1)
  double run = 0;
  for (size_t k = 0; k < n; ++k) {
    run += y_true[order[k]];
    cumsum[k] = run;
  }
  const double num_true = cumsum[n - 1];
  std::vector<size_t> first;
  for (size_t k = 0; k < n; ++k) {
    if (k == 0 || y_score[order[k]] != y_score[order[k - 1]]) first.push_back(k);
  }
  const size_t len = first.size() + 1;
  std::vector<double> precision(len, 0.0), recall(len, 0.0);
  for (size_t r = 0; r < first.size(); ++r) {
    const size_t idx = first[r];
    const double cum = idx == 0 ? cumsum[n] : cumsum[idx - 1];
    const double tp = num_true - cum;
    const double fp = static_cast<double>(n) - static_cast<double>(idx) - tp;
    const double fn = cum + static_cast<double>(hard_fns);
    precision[r] = tp / (tp + fp);
    recall[r] = tp / (tp + fn);
  }
  precision[len - 1] = precision[len - 2];
  recall[len - 1] = 0.;
  // np.convolve([r0, r..., 0], [-0.5, 0, 0.5], 'valid'), then np.dot with precision.
  std::vector<double> padded;
  padded.push_back(recall[0]);
  padded.insert(padded.end(), recall.begin(), recall.end());
  padded.push_back(0.);
  double ap = 0;
  for (size_t k = 0; k < len; ++k) {
    const double step = padded[k] * 0.5 + padded[k + 1] * 0 + padded[k + 2] * -0.5;
    ap += precision[k] * step;
  }
  return ap;
}

// np.nanmean of values in C order.
double NanMean(const std::vector<double>& values) {
  std::vector<double> replaced;
  size_t count = 0;
  for (double v : values) {
    replaced.push_back(std::isnan(v) ? 0.0 : v);
    count += !std::isnan(v);
  }
  if (count == 0) return std::numeric_limits<double>::quiet_NaN();
  return ReduceSum(replaced.data(), replaced.size()) / static_cast<double>(count);
}

std::string Basename(const std::string& path) {
  const size_t slash = path.rfind('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  const size_t dot = base.rfind('.');
  return dot == std::string::npos ? base : base.substr(0, dot);
}

}  // namespace

int CityscapesLabelId(const std::string& name) {
  for (const InstanceLabel& l : kInstanceLabels) {
    if (name == l.name) return l.id;
  }
  return -1;
}

CityscapesAp EvaluateCityscapes(const std::vector<CityscapesImage>& images) {
  CityscapesAp out;
  for (const InstanceLabel& l : kInstanceLabels) out.classes.push_back(l.name);
  out.overlaps = Arange(0.5, 1., 0.05);
  std::vector<ImageMatches> matches;
  for (const CityscapesImage& image : images) matches.push_back(Match(image));
  out.ap.assign(kNumClasses, std::vector<double>(out.overlaps.size(), 0.0));
  std::vector<double> all, at50;
  for (int c = 0; c < kNumClasses; ++c) {
    for (size_t o = 0; o < out.overlaps.size(); ++o) {
      out.ap[c][o] = ApOf(matches, c, out.overlaps[o]);
      all.push_back(out.ap[c][o]);
    }
    at50.push_back(out.ap[c][0]);
  }
  out.all_ap = NanMean(all);
  out.all_ap50 = NanMean(at50);
  return out;
}

std::string CityscapesTable(const CityscapesAp& ap) {
  std::string out = std::string(50, '#') + "\n";
  absl::StrAppend(&out, absl::StrFormat("%-15s:%15s%15s\n", "what", "AP", "AP_50%"));
  absl::StrAppend(&out, std::string(50, '#'), "\n");
  for (size_t c = 0; c < ap.classes.size(); ++c) {
    // np.average over the overlaps: NaN stays NaN.
    const std::vector<double>& row = ap.ap[c];
    const double mean = ReduceSum(row.data(), row.size()) / static_cast<double>(row.size());
    absl::StrAppend(&out, absl::StrFormat("%-15s:%15.3f%15.3f\n", ap.classes[c], mean, ap.ap[c][0]));
  }
  absl::StrAppend(&out, std::string(50, '-'), "\n");
  absl::StrAppend(&out, absl::StrFormat("%-15s:%15.3f%15.3f\n", "average", ap.all_ap, ap.all_ap50));
  return out;
}

absl::StatusOr<std::vector<std::string>> CityscapesResultFiles(
    const DetectionResults& results, const std::vector<std::string>& filenames,
    const std::vector<std::string>& classes, const std::string& outfile_prefix) {
  if (results.kind != DetectionResults::kMasks) {
    return absl::InvalidArgumentError("cityscapes results need masks (Mask R-CNN results)");
  }
  if (results.bboxes.size() != filenames.size()) {
    return absl::InvalidArgumentError(absl::StrCat(results.bboxes.size(), " images of results for ",
                                                   filenames.size(), " images"));
  }
  MMDET_RETURN_IF_ERROR(MakeDirs(outfile_prefix));
  std::vector<std::string> written;
  for (size_t i = 0; i < filenames.size(); ++i) {
    const std::string base = Basename(filenames[i]);
    std::string lines;
    int64_t k = 0;
    for (size_t c = 0; c < results.bboxes[i].size(); ++c) {
      const int label = c < classes.size() ? CityscapesLabelId(classes[c]) : -1;
      if (label < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "class ", c < classes.size() ? classes[c] : std::to_string(c),
            " is not a Cityscapes instance class"));
      }
      const at::Tensor& boxes = results.bboxes[i][c];
      for (int64_t j = 0; j < boxes.size(0); ++j, ++k) {
        const float score = results.mask_scores.empty()
                                ? boxes[j][4].item<float>()
                                : static_cast<float>(results.mask_scores[i][c][j]);
        const at::Tensor mask = ops::Decode(results.segms[i][c][j]).contiguous();
        cv::Mat png(static_cast<int>(mask.size(0)), static_cast<int>(mask.size(1)), CV_8UC1,
                    mask.data_ptr<uint8_t>());
        const std::string name = absl::StrCat(base, "_", k, "_", classes[c], ".png");
        MMDET_ASSIGN_OR_RETURN(const std::vector<uint8_t> encoded, EncodePng(png));
        MMDET_RETURN_IF_ERROR(WriteFileAtomically(
            JoinPath(outfile_prefix, name),
            absl::string_view(reinterpret_cast<const char*>(encoded.data()), encoded.size())));
        absl::StrAppend(&lines, name, " ", label, " ", absl::StrFormat("%.9g", score), "\n");
      }
    }
    const std::string txt = JoinPath(outfile_prefix, base + "_pred.txt");
    MMDET_RETURN_IF_ERROR(WriteFileAtomically(txt, lines));
    written.push_back(txt);
  }
  return written;
}

absl::StatusOr<std::vector<CityscapesImage>> CityscapesImages(
    const DetectionResults& results, const std::vector<std::string>& filenames,
    const std::vector<std::string>& classes, const std::string& gt_dir) {
  if (results.kind != DetectionResults::kMasks) {
    return absl::InvalidArgumentError("the cityscapes metric needs masks (Mask R-CNN results)");
  }
  if (results.bboxes.size() != filenames.size()) {
    return absl::InvalidArgumentError(absl::StrCat(results.bboxes.size(), " images of results for ",
                                                   filenames.size(), " images"));
  }
  std::vector<CityscapesImage> images;
  for (size_t i = 0; i < filenames.size(); ++i) {
    std::string base = Basename(filenames[i]);
    if (absl::EndsWith(base, "_leftImg8bit")) base.resize(base.size() - 12);
    const size_t slash = filenames[i].rfind('/');
    const std::string city = slash == std::string::npos ? "" : filenames[i].substr(0, slash);
    const std::string path = JoinPath(JoinPath(gt_dir, city), base + "_gtFine_instanceIds.png");
    auto read = datasets::ReadImage(path, datasets::kImreadUnchanged);
    if (!read.ok()) return Annotate(read.status(), "the instance-id image");
    const cv::Mat gt = *std::move(read);
    if (gt.channels() != 1) return absl::DataLossError(path + ": expected a single-channel image");
    cv::Mat ids;
    gt.convertTo(ids, CV_32S);
    CityscapesImage image;
    image.instance_ids =
        at::from_blob(ids.data, {ids.rows, ids.cols}, at::kInt).clone();
    for (size_t c = 0; c < results.bboxes[i].size(); ++c) {
      const int label = c < classes.size() ? CityscapesLabelId(classes[c]) : -1;
      if (label < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "class ", c < classes.size() ? classes[c] : std::to_string(c),
            " is not a Cityscapes instance class"));
      }
      const at::Tensor& boxes = results.bboxes[i][c];
      for (int64_t j = 0; j < boxes.size(0); ++j) {
        const ops::Rle& rle = results.segms[i][c][j];
        if (rle.h != ids.rows || rle.w != ids.cols) {
          return absl::InvalidArgumentError(absl::StrCat(
              "image ", i, " (", filenames[i], "): a mask of ", rle.h, "x", rle.w, " for a ",
              ids.rows, "x", ids.cols, " ground truth"));
        }
        const double score = results.mask_scores.empty()
                                 ? boxes[j][4].item<float>()
                                 : static_cast<float>(results.mask_scores[i][c][j]);
        image.predictions.push_back({ops::Decode(rle), label, score});
      }
    }
    images.push_back(std::move(image));
  }
  return images;
}

}  // namespace mmdet::evaluation
