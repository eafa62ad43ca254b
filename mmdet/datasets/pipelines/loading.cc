// LoadImageFromFile and LoadAnnotations.
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/datasets/pipelines/image_util.h"
#include "mmdet/datasets/pipelines/transform.h"

namespace mmdet::datasets {
namespace {

class LoadImageFromFile : public Transform {
 public:
  LoadImageFromFile(bool to_float32, int imread_flags)
      : to_float32_(to_float32), imread_flags_(imread_flags) {}
  std::string name() const override { return "LoadImageFromFile"; }

  absl::Status Apply(Results& r, Rng&, bool*) const override {
    const std::string path = r.img_prefix.empty() ? r.img_info.filename
                                                  : JoinPath(r.img_prefix, r.img_info.filename);
    MMDET_ASSIGN_OR_RETURN(r.img, ReadImage(path, imread_flags_));
    if (to_float32_) r.img.convertTo(r.img, CV_MAKETYPE(CV_32F, r.img.channels()));
    r.meta.filename = path;
    r.meta.ori_filename = r.img_info.filename;
    r.meta.ori_shape = r.meta.img_shape = ShapeOf(r.img);
    return absl::OkStatus();
  }

 private:
  bool to_float32_;
  int imread_flags_;
};

absl::StatusOr<std::shared_ptr<Transform>> MakeLoadImage(const config::LoadImageFromFile& cfg,
                                                          const std::string& path) {
  int flags;
  if (cfg.color_type() == "color") {
    flags = kImreadColor;
  } else if (cfg.color_type() == "grayscale") {
    flags = kImreadGrayscale;
  } else if (cfg.color_type() == "unchanged") {
    flags = kImreadUnchanged;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(path, ".color_type: '", cfg.color_type(),
                                                   "' (expected color, grayscale or unchanged)"));
  }
  return std::make_shared<LoadImageFromFile>(cfg.to_float32(), flags);
}
MMDET_REGISTER(TransformRegistry, config::LoadImageFromFile, MakeLoadImage);

class LoadAnnotations : public Transform {
 public:
  explicit LoadAnnotations(const config::LoadAnnotations& cfg) : cfg_(cfg) {}
  std::string name() const override { return "LoadAnnotations"; }

  absl::Status Apply(Results& r, Rng&, bool*) const override {
    if (!r.has_ann_info) {
      return absl::FailedPreconditionError(
          "no annotations to load (a test_mode dataset? drop LoadAnnotations from its pipeline)");
    }
    const AnnInfo& ann = r.ann_info;
    if (cfg_.with_bbox()) {
      r.gt_bboxes = ann.bboxes;
      r.has_gt_bboxes = true;
      r.gt_bboxes_ignore = ann.bboxes_ignore;
      r.has_gt_bboxes_ignore = true;
    }
    if (cfg_.with_label()) {
      r.gt_labels = ann.labels;
      r.has_gt_labels = true;
    }
    if (cfg_.with_mask()) {
      if (ann.masks.size() != ann.bboxes.size()) {
        return absl::FailedPreconditionError(absl::StrCat(
            r.img_info.filename, ": with_mask, but the dataset gave ", ann.masks.size(),
            " masks for ", ann.bboxes.size(), " boxes (does it have segmentations?)"));
      }
      r.gt_masks.clear();
      for (const Segmentation& segmentation : ann.masks) {
        r.gt_masks.push_back(
            RleToMat(SegmentationToRle(segmentation, r.img_info.height, r.img_info.width)));
      }
      r.has_gt_masks = true;
    }
    if (cfg_.with_seg()) {
      const std::string path = JoinPath(r.seg_prefix, ann.seg_map);
      MMDET_ASSIGN_OR_RETURN(cv::Mat seg, ReadImage(path, kImreadUnchanged));
      if (seg.channels() != 1 || seg.depth() != CV_8U) {
        return absl::DataLossError(
            absl::StrCat(path, ": a semantic map must be a single-channel 8-bit image"));
      }
      r.gt_semantic_seg = seg;
      r.has_gt_semantic_seg = true;
    }
    return absl::OkStatus();
  }

 private:
  config::LoadAnnotations cfg_;
};

absl::StatusOr<std::shared_ptr<Transform>> MakeLoadAnnotations(
    const config::LoadAnnotations& cfg, const std::string& path) {
  if (cfg.with_mask() && !cfg.poly2mask()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ".poly2mask: false (polygon masks) is not supported; masks are bitmaps"));
  }
  return std::make_shared<LoadAnnotations>(cfg);
}
MMDET_REGISTER(TransformRegistry, config::LoadAnnotations, MakeLoadAnnotations);

}  // namespace
}  // namespace mmdet::datasets
