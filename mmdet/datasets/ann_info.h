// One image's record as datasets hand it to the pipeline: MMDetection's middle format
// (img_info + ann_info), whatever the on-disk format was.
#ifndef MMDET_DATASETS_ANN_INFO_H_
#define MMDET_DATASETS_ANN_INFO_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "mmdet/datasets/coco_api.h"

namespace mmdet::datasets {

using Box = std::array<float, 4>;  // x1, y1, x2, y2 (MMDetection v2: x2 = x + w)

struct ImageInfo {
  std::string filename;  // relative to the dataset's img_prefix
  int64_t width = 0;
  int64_t height = 0;
  int64_t id = -1;  // the annotation file's image id where it has one (COCO)
};

struct AnnInfo {
  std::vector<Box> bboxes;
  std::vector<int64_t> labels;  // 0-based class indices
  std::vector<Box> bboxes_ignore;
  std::vector<int64_t> labels_ignore;
  std::vector<Segmentation> masks;  // parallel to bboxes, when the dataset has masks
  std::string seg_map;              // semantic map file, relative to seg_prefix
};

}  // namespace mmdet::datasets

#endif  // MMDET_DATASETS_ANN_INFO_H_
