// pycocotools' COCOeval (cocoapi PythonAPI/pycocotools/cocoeval.py) for bbox and segm, ported
// operation by operation so that the 12 summary stats are the same doubles:
//
//   CocoEval eval(gts, dts, CocoEvalParams::Defaults(CocoEvalParams::kBbox, img_ids, cat_ids));
//   eval.Evaluate();
//   eval.Accumulate();
//   std::vector<std::string> lines;
//   std::array<double, 12> stats = eval.Summarize(&lines);   // pycocotools' printed lines
//
// What decides parity, and is done here as there:
// - _prepare: gts and dts grouped per (image, category) in file order; a gt's `ignore` is
//   its `iscrowd` (any given ignore flag is overwritten).
// - computeIoU: dts stable-sorted by descending score and cut to maxDets[-1]; box IoU on
//   xywh without +1, RLE IoU; for a crowd gt the union is the dt's area; an RLE pair of
//   different sizes has IoU -1.
// - evaluateImg: gts stable-sorted with the ignored last; for each threshold and dt, the best
//   gt with IoU >= min(t, 1 - 1e-10) (ties to the later gt), matched non-crowd gts skipped,
//   the search stopping at the first ignored gt once a regular one matched; crowd gts absorb
//   any number of dts; unmatched dts outside the area range are ignored. Area ranges are
//   closed ([0, 32^2] small, [32^2, 96^2] medium) and use the annotations' `area`.
// - accumulate: each image's first maxDet dts, a global stable sort by score, tp / fp
//   cumulative sums, recall tp / npig, precision tp / (tp + fp + np.spacing(1)), the
//   precision envelope, sampling at searchsorted(recall, recThrs, 'left') (0 past the last
//   recall), -1 where a category has no non-ignored gt.
// - summarize: the mean (numpy's pairwise sum) of the values > -1, -1 when none; stats[0] at
//   maxDets = 100 whatever maxDets is; the thresholds from numpy's linspace.
// A gt annotation id of 0 counts as "no match", as in pycocotools (its matches are stored as
// ids and tested for non-zero).
#ifndef MMDET_EVALUATION_COCO_EVAL_H_
#define MMDET_EVALUATION_COCO_EVAL_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "mmdet/ops/mask_util.h"

namespace mmdet::evaluation {

// A ground-truth annotation or a detection, as pycocotools holds them after loadRes and
// _prepare.
struct CocoObject {
  int64_t id = 0;
  int64_t image_id = 0;
  int64_t category_id = 0;
  std::array<double, 4> bbox{};  // x, y, w, h
  double area = 0;
  bool iscrowd = false;
  double score = 0;  // detections
  ops::Rle rle;      // segm: the mask (gts: annToRLE at the image size)
};

struct CocoEvalParams {
  enum IouType { kBbox, kSegm };
  IouType iou_type = kBbox;
  std::vector<int64_t> img_ids;  // sorted, unique (Evaluate normalises them as np.unique)
  std::vector<int64_t> cat_ids;
  std::vector<double> iou_thrs;  // linspace(.5, .95, 10)
  std::vector<double> rec_thrs;  // linspace(0, 1, 101)
  std::vector<int> max_dets;     // [1, 10, 100]
  std::vector<std::array<double, 2>> area_rng;
  std::vector<std::string> area_rng_lbl;
  bool use_cats = true;

  // pycocotools' Params(iouType) with the ground truth's image and category ids
  // (cocoGt.getImgIds() / getCatIds(): every image of the file, with or without annotations).
  static CocoEvalParams Defaults(IouType type, std::vector<int64_t> img_ids,
                                 std::vector<int64_t> cat_ids);
};

class CocoEval {
 public:
  // `gts` need iscrowd and area; `dts` ids i + 1 and area as loadRes sets them.
  CocoEval(std::vector<CocoObject> gts, std::vector<CocoObject> dts, CocoEvalParams params);

  // evaluate(): IoUs and per-image matching; `num_threads` > 1 splits the images.
  void Evaluate(int num_threads = 1);
  // accumulate(); `num_threads` > 1 splits the categories.
  void Accumulate(int num_threads = 1);
  // summarize(): the 12 stats; appends pycocotools' 12 printed lines to `lines` if given.
  std::array<double, 12> Summarize(std::vector<std::string>* lines = nullptr) const;

  const CocoEvalParams& params() const { return params_; }
  // eval['precision'] [T][R][K][A][M] and eval['recall'] [T][K][A][M], flattened in C order.
  const std::vector<double>& precision() const { return precision_; }
  const std::vector<double>& recall() const { return recall_; }
  double Precision(size_t t, size_t r, size_t k, size_t a, size_t m) const;
  double Recall(size_t t, size_t k, size_t a, size_t m) const;

 private:
  struct EvalImg {
    bool valid = false;          // false: pycocotools' None (no gt and no dt)
    std::vector<double> dt_scores;  // [D], sorted, cut to maxDets[-1]
    std::vector<int64_t> dt_matches;  // [D][T]: matched gt id, 0 when unmatched
    std::vector<uint8_t> dt_ignore;   // [D][T]
    std::vector<uint8_t> gt_ignore;   // [G]
  };
  // IoUs of one (image, category) cell, [D][G] with D cut to maxDets[-1]; empty when the cell
  // has neither gts nor dts.
  std::vector<std::vector<double>> ComputeIou(const std::vector<const CocoObject*>& gt,
                                              std::vector<const CocoObject*> dt) const;
  EvalImg EvaluateImg(const std::vector<const CocoObject*>& gt,
                      const std::vector<const CocoObject*>& dt,
                      const std::vector<std::vector<double>>& ious,
                      const std::array<double, 2>& area_rng, int max_det) const;
  // The gts / dts of image i and category slot k (all of p.catIds when !use_cats).
  std::vector<const CocoObject*> Cell(const std::vector<std::vector<std::vector<size_t>>>& index,
                                      const std::vector<CocoObject>& objects, size_t i,
                                      size_t k) const;

  std::vector<CocoObject> gts_, dts_;
  CocoEvalParams params_;
  // [image][category] -> object indices in file order (_prepare's _gts / _dts).
  std::vector<std::vector<std::vector<size_t>>> gt_index_, dt_index_;
  // evalImgs, flat index k * A * I + a * I + i.
  std::vector<EvalImg> eval_imgs_;
  std::vector<double> precision_, recall_;
  bool accumulated_ = false;
};

// The stat line pycocotools prints, e.g.
// " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.372".
std::string SummaryLine(bool ap, const std::string& iou, const std::string& area, int max_dets,
                        double value);

}  // namespace mmdet::evaluation

#endif  // MMDET_EVALUATION_COCO_EVAL_H_
