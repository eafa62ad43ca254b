// Instance-mask utilities with pycocotools' exact semantics (maskApi.c), for datasets
// (polygon / RLE annotations), COCO segm evaluation and result files, plus pasting
// per-instance mask predictions back into the image as MMDetection does.
//
// An Rle is pycocotools' run-length encoding: an h x w binary mask read in column-major
// (Fortran) order, as alternating run lengths starting with a run of zeros (possibly of
// length 0). Its compressed string form is pycocotools' "counts" string (5 bits per
// character, continuation bit 0x20, offset 48, counts from the fourth on stored as the
// difference to the count two places before).
//
//   Rle rle = FromPolygons({{10, 10, 50, 10, 50, 40}}, 480, 640);
//   std::string counts = ToString(rle);           // what COCO result JSON stores
//   at::Tensor mask = Decode(rle);                  // [480, 640] uint8
#ifndef MMDET_OPS_MASK_UTIL_H_
#define MMDET_OPS_MASK_UTIL_H_

#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace mmdet::ops {

struct Rle {
  int64_t h = 0;
  int64_t w = 0;
  std::vector<uint32_t> counts;

  bool operator==(const Rle& other) const {
    return h == other.h && w == other.w && counts == other.counts;
  }
};

// Encodes an [h, w] mask (any dtype; nonzero = foreground, on any device).
Rle Encode(const at::Tensor& mask);

// The [h, w] uint8 mask of `rle` (CPU).
at::Tensor Decode(const Rle& rle);

// pycocotools' compressed counts string, and back. FromString returns false on a string
// that is not a valid encoding or does not cover h * w pixels.
std::string ToString(const Rle& rle);
bool FromString(const std::string& counts, int64_t h, int64_t w, Rle* rle);

// Foreground pixel count.
uint64_t Area(const Rle& rle);

// [x, y, width, height] of the foreground, pycocotools' toBbox (all zero when empty).
std::array<double, 4> ToBbox(const Rle& rle);

// Union (or intersection) of RLEs of the same size, pycocotools' merge. Sizes that differ
// give an empty 0 x 0 Rle, as pycocotools does.
Rle Merge(const std::vector<Rle>& rles, bool intersect = false);

// IoU of every detection with every ground truth, [dts.size()][gts.size()]; for a crowd gt
// the denominator is the detection's area (pycocotools' iscrowd rule).
std::vector<std::vector<double>> Iou(const std::vector<Rle>& dts, const std::vector<Rle>& gts,
                                     const std::vector<bool>& iscrowd);

// One polygon [x0, y0, x1, y1, ...] rasterised as pycocotools' frPoly does (5x upsampled
// boundary, pixel centres), and several polygons of one object merged (annToRLE).
Rle FromPolygon(const std::vector<double>& xy, int64_t h, int64_t w);
Rle FromPolygons(const std::vector<std::vector<double>>& polygons, int64_t h, int64_t w);

// Pastes [N, mh, mw] mask probabilities into [N, img_h, img_w] at `boxes` [N, 4] (x1, y1,
// x2, y2), MMDetection v2's _do_paste_mask (bilinear grid_sample over pixel centres,
// align_corners=False, zeros outside), then binarises with >= threshold as bool; with a
// negative threshold returns the soft masks as uint8 in 0..255. Runs on the masks' device.
// As v2.0 on the CPU (skip_empty), each mask is sampled only over its box grown by one pixel:
// memory is the output and one box region, not N x H x W x 2 floats of sampling grid.
at::Tensor PasteMasks(const at::Tensor& masks, const at::Tensor& boxes, int64_t img_h,
                      int64_t img_w, double threshold = 0.5);

}  // namespace mmdet::ops

#endif  // MMDET_OPS_MASK_UTIL_H_
