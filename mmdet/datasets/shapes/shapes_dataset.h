// The bundled synthetic dataset: images of coloured shapes with COCO-format instance
// annotations (boxes, visible-region masks as compressed RLE), generated deterministically
// from a seed. It is the project's default data for the quickstart and the tests, so no
// download is ever needed.
//
//   ShapesOptions options;
//   options.out_dir = "data/shapes";
//   MMDET_RETURN_IF_ERROR(GenerateShapesDataset(options));
//
// writes
//   data/shapes/train/000000.jpg ...          data/shapes/val/000000.jpg ...
//   data/shapes/annotations/instances_train.json
//   data/shapes/annotations/instances_val.json
// with categories rectangle (1), circle (2), triangle (3). Shapes overlap: later shapes
// occlude earlier ones, each annotation describes the visible part, and instances left with
// fewer than `min_visible_area` pixels are dropped (not drawn over, simply not annotated as
// objects: they are fully drawn first and then mostly covered).
#ifndef MMDET_DATASETS_SHAPES_SHAPES_DATASET_H_
#define MMDET_DATASETS_SHAPES_SHAPES_DATASET_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace mmdet::datasets {

struct ShapesOptions {
  std::string out_dir;
  int num_train = 200;
  int num_val = 50;
  uint32_t seed = 0;
  // Image sides are drawn uniformly from [min_size, max_size].
  int min_size = 128;
  int max_size = 256;
  // Instances per image, uniformly from [1, max_instances].
  int max_instances = 5;
  int min_visible_area = 30;
};

// The category names, in id order starting at 1.
std::vector<std::string> ShapesClasses();

// Writes the dataset (creating folders). InvalidArgument for bad options; the error names
// the file for I/O failures. JSON files are written atomically.
absl::Status GenerateShapesDataset(const ShapesOptions& options);

}  // namespace mmdet::datasets

#endif  // MMDET_DATASETS_SHAPES_SHAPES_DATASET_H_
