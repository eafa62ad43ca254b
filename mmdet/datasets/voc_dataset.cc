// VOCDataset: MMDetection v2's VOCDataset / XMLDataset. ann_file is an ImageSets/Main id list;
// image <id> is img_prefix/JPEGImages/<id>.jpg with annotation img_prefix/Annotations/<id>.xml
// (read with voc/voc_xml.h: difficult -> ignore, boxes minus 1, objects of classes outside
// `classes` skipped). Training filter: shorter side < 32, and with filter_empty_gt, images with
// no object of a selected class (difficult ones count, as in XMLDataset._filter_imgs).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/status.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/datasets/dataset.h"
#include "mmdet/datasets/voc/voc_xml.h"

namespace mmdet::datasets {
namespace {

constexpr int kMinImageSize = 32;

absl::StatusOr<std::shared_ptr<Dataset>> VocFromConfig(const config::VOCDataset& config,
                                                       const std::string& path) {
  MMDET_ASSIGN_OR_RETURN(DatasetOptions options, ResolveDatasetOptions(config, path));
  std::vector<std::string> classes = options.classes.empty() ? VocClasses() : options.classes;
  MMDET_ASSIGN_OR_RETURN(std::vector<std::string> ids, ReadImageIdList(options.ann_file));
  VocParseOptions parse;
  parse.skip_unknown_classes = true;
  parse.min_size = config.min_size();

  std::vector<ImageInfo> images;
  std::vector<AnnInfo> anns;
  std::vector<bool> keep;
  for (const std::string& id : ids) {
    const std::string xml = JoinPath(options.img_prefix, absl::StrCat("Annotations/", id, ".xml"));
    MMDET_ASSIGN_OR_RETURN(VocAnnotation voc, LoadVocXml(xml, classes, parse));
    ImageInfo& info = images.emplace_back();
    info.filename = absl::StrCat("JPEGImages/", id, ".jpg");
    info.width = voc.width;
    info.height = voc.height;
    info.id = static_cast<int64_t>(images.size()) - 1;
    AnnInfo& ann = anns.emplace_back();
    ann.bboxes = std::move(voc.bboxes);
    ann.labels = std::move(voc.labels);
    ann.bboxes_ignore = std::move(voc.bboxes_ignore);
    ann.labels_ignore = std::move(voc.labels_ignore);
    const bool has_object = !ann.bboxes.empty() || !ann.bboxes_ignore.empty();
    keep.push_back(std::min(info.width, info.height) >= kMinImageSize &&
                   (!options.filter_empty_gt || has_object));
  }
  MMDET_ASSIGN_OR_RETURN(auto dataset,
                         InMemoryDataset::Create(std::move(options), std::move(images),
                                                 std::move(anns), std::move(classes), keep));
  return std::shared_ptr<Dataset>(std::move(dataset));
}

}  // namespace

MMDET_REGISTER(DatasetRegistry, config::VOCDataset, VocFromConfig);

}  // namespace mmdet::datasets
