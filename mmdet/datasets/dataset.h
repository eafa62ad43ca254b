// Datasets: MMDetection's CustomDataset family, built from config by type.
//
//   MMDET_ASSIGN_OR_RETURN(std::shared_ptr<Dataset> train,
//                          BuildDataset(cfg.data().train(), "data.train"));
//   Rng rng(seed);
//   MMDET_ASSIGN_OR_RETURN(std::vector<Results> samples, train->Get(i, rng));
//
// A dataset is a list of images (ImageInfo) with their ground truth (AnnInfo, MMDetection's
// get_ann_info), and a pipeline. As in MMDetection v2:
//   - relative ann_file / img_prefix / seg_prefix / proposal_file are joined to data_root;
//   - outside test_mode, images are filtered at load time (shorter side < min_size; with
//     filter_empty_gt, images without a usable annotation; see each dataset) and get an
//     aspect-ratio group flag (1 when width > height) for GroupSampler;
//   - Get(i) runs the pipeline; in training, when a transform drops the sample
//     (MinIoURandomCrop, RandomCrop with no box left...), another image of the same group is
//     drawn at random instead (CustomDataset._rand_another).
// Errors name the file and the image: "data/ann.json: image 12 (a.jpg): LoadImageFromFile:
// data/img/a.jpg: cannot decode image".
//
// Registered types: CocoDataset, CityscapesDataset, VOCDataset, CustomDataset (middle format),
// RepeatDataset, ConcatDataset. Out-of-tree datasets register on DatasetRegistry and are
// configured through `custom` (see docs/custom_dataset.md).
#ifndef MMDET_DATASETS_DATASET_H_
#define MMDET_DATASETS_DATASET_H_

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mmdet/core/registry.h"
#include "mmdet/datasets/ann_info.h"
#include "mmdet/datasets/dataset.pb.h"
#include "mmdet/datasets/pipelines/transform.h"

namespace mmdet::datasets {

class Dataset {
 public:
  virtual ~Dataset() = default;

  virtual size_t size() const = 0;
  virtual const std::vector<std::string>& classes() const = 0;
  virtual const ImageInfo& image_info(size_t i) const = 0;
  // MMDetection's aspect-ratio group: 1 when width / height > 1, else 0.
  virtual int group_flag(size_t i) const = 0;
  // Ground truth of image i (get_ann_info), available in test mode too (evaluation).
  virtual absl::StatusOr<AnnInfo> ann_info(size_t i) const = 0;
  // The samples the pipeline yields for image i (several with MultiScaleFlipAug). Thread-safe.
  virtual absl::StatusOr<std::vector<Results>> Get(size_t i, Rng& rng) const = 0;
  virtual bool test_mode() const = 0;
  // What messages call the dataset: its annotation file.
  virtual std::string name() const = 0;
};

// Factories take the config member's path ("data.train.coco_dataset") for messages.
using DatasetRegistry = Registry<Dataset, const std::string&>;

// Builds the dataset selected in `config`; errors name `path` and the member.
absl::StatusOr<std::shared_ptr<Dataset>> BuildDataset(const config::Dataset& config,
                                                      const std::string& path);

// VisitFileDataset's accessor: the const getter on a const config, the mutable one else.
template <typename Get, typename Mutable>
auto MemberOf(const config::Dataset* d, Get get, Mutable) { return &(d->*get)(); }
template <typename Get, typename Mutable>
auto MemberOf(config::Dataset* d, Get, Mutable mut) { return (d->*mut)(); }

// Calls fn(member) with the selected file-backed dataset message of `config` (coco,
// cityscapes, voc or custom: the ones with ann_file, img_prefix, pipeline, ...), const or
// mutable as `config` is; false when another kind (or none) is selected.
template <typename DatasetPtr, typename Fn>
bool VisitFileDataset(DatasetPtr config, Fn fn) {
  if (config->has_coco_dataset()) {
    fn(*MemberOf(config, &config::Dataset::coco_dataset, &config::Dataset::mutable_coco_dataset));
  } else if (config->has_cityscapes_dataset()) {
    fn(*MemberOf(config, &config::Dataset::cityscapes_dataset,
                 &config::Dataset::mutable_cityscapes_dataset));
  } else if (config->has_voc_dataset()) {
    fn(*MemberOf(config, &config::Dataset::voc_dataset, &config::Dataset::mutable_voc_dataset));
  } else if (config->has_custom_dataset()) {
    fn(*MemberOf(config, &config::Dataset::custom_dataset,
                 &config::Dataset::mutable_custom_dataset));
  } else {
    return false;
  }
  return true;
}

// The one-line error for a dataset VisitFileDataset does not know.
absl::Status NotAFileDataset(const std::string& path);

// `config` with test_mode set (build_dataset(cfg, dict(test_mode=True))); the file-backed
// datasets only (coco, cityscapes, voc, custom), else an error naming `path`.
absl::StatusOr<config::Dataset> WithTestMode(config::Dataset config, const std::string& path);

// The img_prefix (joined to data_root) of the file-backed dataset selected in `config`, else
// an error naming `path`.
absl::StatusOr<std::string> DatasetImgPrefix(const config::Dataset& config, const std::string& path);

// The pipeline of the file-backed dataset selected in `config` (after LoadConfig filled it
// from data.train_pipeline / data.test_pipeline), else an error naming `path`.
absl::StatusOr<google::protobuf::RepeatedPtrField<config::Transform>> DatasetPipeline(
    const config::Dataset& config, const std::string& path);

// The options every file-backed dataset shares (the common proto fields), resolved: paths
// joined to data_root, `classes` read from its text file, the pipeline built.
struct DatasetOptions {
  std::string ann_file;
  std::string img_prefix;
  std::string seg_prefix;
  std::string proposal_file;
  bool test_mode = false;
  bool filter_empty_gt = true;
  std::vector<std::string> classes;  // empty: the dataset's own CLASSES
  Pipeline pipeline;
  std::string path;  // the config member, for messages
};

// The fields every file-backed dataset message has (CocoDataset, VOCDataset, a user's).
struct DatasetFields {
  std::string ann_file, img_prefix, data_root, seg_prefix, proposal_file;
  bool test_mode = false;
  bool filter_empty_gt = true;
  std::vector<std::string> classes;
  const google::protobuf::RepeatedPtrField<config::Transform>* pipeline = nullptr;
};
absl::StatusOr<DatasetOptions> ResolveDatasetFields(const DatasetFields& fields,
                                                    const std::string& path);

// Resolves the shared fields of any dataset message with them (CocoDataset, VOCDataset, a
// user's own message). `classes` with one entry ending in ".txt" is a file of class names,
// one per line (MMDetection's get_classes with a str).
template <typename DatasetConfig>
absl::StatusOr<DatasetOptions> ResolveDatasetOptions(const DatasetConfig& config,
                                                     const std::string& path) {
  DatasetFields fields;
  fields.ann_file = config.ann_file();
  fields.img_prefix = config.img_prefix();
  fields.data_root = config.data_root();
  fields.seg_prefix = config.seg_prefix();
  fields.proposal_file = config.proposal_file();
  fields.test_mode = config.test_mode();
  fields.filter_empty_gt = config.filter_empty_gt();
  fields.classes.assign(config.classes().begin(), config.classes().end());
  fields.pipeline = &config.pipeline();
  return ResolveDatasetFields(fields, path);
}

// The class names of a text file: one per line, surrounding whitespace trimmed, blank lines
// skipped (mmcv.list_from_file).
absl::StatusOr<std::vector<std::string>> ReadClassNames(const std::string& path);

// MMDetection's CustomDataset machinery over a list of images: filtering, group flags,
// proposals, the pipeline and the retry of dropped training samples. Subclasses load their
// annotation format and call Init.
class ImageDataset : public Dataset {
 public:
  size_t size() const override { return kept_.size(); }
  const std::vector<std::string>& classes() const override { return classes_; }
  const ImageInfo& image_info(size_t i) const override { return images_[kept_[i]]; }
  int group_flag(size_t i) const override { return flags_[i]; }
  absl::StatusOr<AnnInfo> ann_info(size_t i) const override;
  absl::StatusOr<std::vector<Results>> Get(size_t i, Rng& rng) const override;
  bool test_mode() const override { return options_.test_mode; }
  std::string name() const override { return options_.ann_file; }

  const DatasetOptions& options() const { return options_; }
  // The index of kept image i in the annotation file's image list.
  size_t file_index(size_t i) const { return kept_[i]; }

 protected:
  explicit ImageDataset(DatasetOptions options) : options_(std::move(options)) {}

  // Ground truth of the file's image `file_index`.
  virtual absl::StatusOr<AnnInfo> LoadAnnInfo(size_t file_index) const = 0;

  // Takes the file's images and class names; outside test mode keeps the images for which
  // keep_for_training(file_index) holds, then loads proposals and sets group flags.
  template <typename KeepFn>
  absl::Status Init(std::vector<ImageInfo> images, std::vector<std::string> classes,
                    KeepFn keep_for_training) {
    images_ = std::move(images);
    classes_ = std::move(classes);
    for (size_t j = 0; j < images_.size(); ++j) {
      if (options_.test_mode || keep_for_training(j)) kept_.push_back(j);
    }
    return FinishInit();
  }

 private:
  absl::Status FinishInit();
  absl::StatusOr<Results> PrepareResults(size_t i) const;

  DatasetOptions options_;
  std::vector<ImageInfo> images_;  // every image of the file
  std::vector<std::string> classes_;
  std::vector<size_t> kept_;  // dataset index -> file index
  std::vector<uint8_t> flags_;
  std::array<std::vector<size_t>, 2> groups_;  // dataset indices by flag
  std::vector<std::vector<std::array<float, 5>>> proposals_;  // by file index
};

// An ImageDataset whose ground truth is all read up front (VOC, the middle format, or a
// dataset built in code).
class InMemoryDataset : public ImageDataset {
 public:
  // anns[j] is images[j]'s ground truth; keep_for_training[j] whether image j stays outside
  // test mode.
  static absl::StatusOr<std::shared_ptr<InMemoryDataset>> Create(
      DatasetOptions options, std::vector<ImageInfo> images, std::vector<AnnInfo> anns,
      std::vector<std::string> classes, const std::vector<bool>& keep_for_training);

 protected:
  absl::StatusOr<AnnInfo> LoadAnnInfo(size_t file_index) const override {
    return anns_[file_index];
  }

 private:
  explicit InMemoryDataset(DatasetOptions options) : ImageDataset(std::move(options)) {}
  std::vector<AnnInfo> anns_;
};

}  // namespace mmdet::datasets

#endif  // MMDET_DATASETS_DATASET_H_
