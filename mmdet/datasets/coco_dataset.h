// CocoDataset and CityscapesDataset: COCO instances JSON as MMDetection v2 reads it.
//
// Labels: category id -> contiguous label in the order of `classes` (default: the file's
// categories, in file order; MMDetection defaults to the 80 COCO names, which for COCO files
// is the same list). MMDetection orders labels by the file's categories even when `classes`
// reorders them; we follow `classes`, so that label i is always classes[i].
// Ground truth per image: ParseAnnInfo (coco_api.h); seg_map is the file name with "jpg"
// replaced by "png" (COCO) or "leftImg8bit.png" by "gtFine_labelIds.png" (Cityscapes).
// Training filter: images with no annotation of a selected category (filter_empty_gt), whose
// annotations are all crowd (Cityscapes, filter_empty_gt), or whose shorter side is below
// min_size.
#ifndef MMDET_DATASETS_COCO_DATASET_H_
#define MMDET_DATASETS_COCO_DATASET_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "mmdet/datasets/coco_api.h"
#include "mmdet/datasets/dataset.h"

namespace mmdet::datasets {

class CocoDataset : public ImageDataset {
 public:
  enum class Flavor { kCoco, kCityscapes };

  static absl::StatusOr<std::shared_ptr<CocoDataset>> Create(DatasetOptions options,
                                                             int min_size, Flavor flavor);

  // For COCO-style evaluation.
  const CocoFile& coco() const { return *coco_; }
  const CocoLabelMap& label_map() const { return labels_; }

 protected:
  absl::StatusOr<AnnInfo> LoadAnnInfo(size_t file_index) const override;

 private:
  CocoDataset(DatasetOptions options, Flavor flavor)
      : ImageDataset(std::move(options)), flavor_(flavor) {}

  Flavor flavor_;
  std::shared_ptr<const CocoFile> coco_;
  CocoLabelMap labels_;
};

// The 8 Cityscapes instance classes, MMDetection's CityscapesDataset.CLASSES order.
const std::vector<std::string>& CityscapesClasses();
// MMDetection's CocoDataset.CLASSES (get_classes('coco')): the 80 COCO category names.
const std::vector<std::string>& CocoClasses();

}  // namespace mmdet::datasets

#endif  // MMDET_DATASETS_COCO_DATASET_H_
