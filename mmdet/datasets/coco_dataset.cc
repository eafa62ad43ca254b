#include "mmdet/datasets/coco_dataset.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "mmdet/core/status.h"
#include "mmdet/core/status_macros.h"

namespace mmdet::datasets {

const std::vector<std::string>& CocoClasses() {
  static const std::vector<std::string> classes = {
      "person",        "bicycle",      "car",           "motorcycle",    "airplane",
      "bus",           "train",        "truck",         "boat",          "traffic light",
      "fire hydrant",  "stop sign",    "parking meter", "bench",         "bird",
      "cat",           "dog",          "horse",         "sheep",         "cow",
      "elephant",      "bear",         "zebra",         "giraffe",       "backpack",
      "umbrella",      "handbag",      "tie",           "suitcase",      "frisbee",
      "skis",          "snowboard",    "sports ball",   "kite",          "baseball bat",
      "baseball glove", "skateboard",  "surfboard",     "tennis racket", "bottle",
      "wine glass",    "cup",          "fork",          "knife",         "spoon",
      "bowl",          "banana",       "apple",         "sandwich",      "orange",
      "broccoli",      "carrot",       "hot dog",       "pizza",         "donut",
      "cake",          "chair",        "couch",         "potted plant",  "bed",
      "dining table",  "toilet",       "tv",            "laptop",        "mouse",
      "remote",        "keyboard",     "cell phone",    "microwave",     "oven",
      "toaster",       "sink",         "refrigerator",  "book",          "clock",
      "vase",          "scissors",     "teddy bear",    "hair drier",    "toothbrush"};
  return classes;
}

const std::vector<std::string>& CityscapesClasses() {
  static const auto* classes = new std::vector<std::string>{
      "person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle"};
  return *classes;
}

absl::StatusOr<std::shared_ptr<CocoDataset>> CocoDataset::Create(DatasetOptions options,
                                                                  int min_size, Flavor flavor) {
  std::shared_ptr<CocoDataset> dataset(new CocoDataset(std::move(options), flavor));
  const DatasetOptions& opts = dataset->options();
  MMDET_ASSIGN_OR_RETURN(CocoFile coco, LoadCocoFile(opts.ann_file));
  dataset->coco_ = std::make_shared<const CocoFile>(std::move(coco));
  const CocoFile& file = *dataset->coco_;

  std::vector<std::string> classes = opts.classes;
  if (classes.empty() && flavor == Flavor::kCityscapes) classes = CityscapesClasses();
  auto labels = MakeLabelMap(file, classes);
  if (!labels.ok()) {
    return Annotate(labels.status(), absl::StrCat(opts.path, ".classes"));
  }
  dataset->labels_ = *std::move(labels);

  std::vector<ImageInfo> images;
  images.reserve(file.images.size());
  for (const CocoImage& image : file.images) {
    images.push_back({image.file_name, image.width, image.height, image.id});
  }
  const bool filter_empty = opts.filter_empty_gt;
  auto keep = [&](size_t j) {
    const CocoImage& image = file.images[j];
    if (std::min(image.width, image.height) < min_size) return false;
    if (!filter_empty) return true;
    bool selected = false, all_crowd = true;
    for (size_t a : file.image_annotations[j]) {
      const CocoAnnotation& ann = file.annotations[a];
      selected = selected || dataset->labels_.label.count(ann.category_id) > 0;
      all_crowd = all_crowd && ann.iscrowd;
    }
    return selected && !(flavor == Flavor::kCityscapes && all_crowd);
  };
  MMDET_RETURN_IF_ERROR(dataset->Init(std::move(images), dataset->labels_.classes, keep));
  return dataset;
}

absl::StatusOr<AnnInfo> CocoDataset::LoadAnnInfo(size_t file_index) const {
  CocoGroundTruth gt = ParseAnnInfo(*coco_, file_index, labels_);
  AnnInfo ann;
  ann.bboxes = std::move(gt.bboxes);
  ann.labels = std::move(gt.labels);
  ann.bboxes_ignore = std::move(gt.bboxes_ignore);
  ann.masks.reserve(gt.masks.size());
  for (const Segmentation* mask : gt.masks) ann.masks.push_back(*mask);
  const std::string& filename = coco_->images[file_index].file_name;
  ann.seg_map = flavor_ == Flavor::kCityscapes
                    ? absl::StrReplaceAll(filename, {{"leftImg8bit.png", "gtFine_labelIds.png"}})
                    : absl::StrReplaceAll(filename, {{"jpg", "png"}});
  return ann;
}

namespace {

absl::StatusOr<std::shared_ptr<Dataset>> CocoFromConfig(const config::CocoDataset& config,
                                                        const std::string& path) {
  MMDET_ASSIGN_OR_RETURN(DatasetOptions options, ResolveDatasetOptions(config, path));
  MMDET_ASSIGN_OR_RETURN(
      auto dataset,
      CocoDataset::Create(std::move(options), config.min_size(), CocoDataset::Flavor::kCoco));
  return std::shared_ptr<Dataset>(std::move(dataset));
}

absl::StatusOr<std::shared_ptr<Dataset>> CityscapesFromConfig(
    const config::CityscapesDataset& config, const std::string& path) {
  MMDET_ASSIGN_OR_RETURN(DatasetOptions options, ResolveDatasetOptions(config, path));
  MMDET_ASSIGN_OR_RETURN(auto dataset,
                         CocoDataset::Create(std::move(options), config.min_size(),
                                             CocoDataset::Flavor::kCityscapes));
  return std::shared_ptr<Dataset>(std::move(dataset));
}

}  // namespace

MMDET_REGISTER(DatasetRegistry, config::CocoDataset, CocoFromConfig);
MMDET_REGISTER(DatasetRegistry, config::CityscapesDataset, CityscapesFromConfig);

}  // namespace mmdet::datasets
