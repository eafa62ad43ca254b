// DefaultFormatBundle, ImageToTensor and Collect (mmdet/datasets/pipelines/formating.py).
#include <algorithm>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mmdet/datasets/pipelines/formatting.h"
#include "mmdet/datasets/pipelines/image_util.h"
#include "mmdet/datasets/pipelines/transform.h"

namespace mmdet::datasets {

const std::vector<std::string>& CollectableKeys() {
  static const auto* keys = new std::vector<std::string>{
      "img", "gt_bboxes", "gt_labels", "gt_bboxes_ignore", "gt_masks", "gt_semantic_seg",
      "proposals"};
  return *keys;
}

const std::vector<std::string>& DefaultMetaKeys() {
  static const auto* keys = new std::vector<std::string>{
      "filename", "ori_filename", "ori_shape", "img_shape", "pad_shape",
      "scale_factor", "flip", "flip_direction", "img_norm_cfg"};
  return *keys;
}

namespace {

torch::Tensor BoxesTensor(const std::vector<Box>& boxes) {
  torch::Tensor t = torch::empty({static_cast<int64_t>(boxes.size()), 4}, torch::kFloat32);
  if (!boxes.empty()) std::memcpy(t.data_ptr<float>(), boxes.data(), boxes.size() * sizeof(Box));
  return t;
}

// The tensor of each key present (DefaultFormatBundle's to_tensor), once.
void FormatTensors(Results& r) {
  if (!r.img_tensor.defined() && !r.img.empty()) r.img_tensor = ImageToChwTensor(r.img);
  if (r.has_gt_bboxes && !r.gt_bboxes_tensor.defined()) {
    r.gt_bboxes_tensor = BoxesTensor(r.gt_bboxes);
  }
  if (r.has_gt_bboxes_ignore && !r.gt_bboxes_ignore_tensor.defined()) {
    r.gt_bboxes_ignore_tensor = BoxesTensor(r.gt_bboxes_ignore);
  }
  if (r.has_gt_labels && !r.gt_labels_tensor.defined()) {
    r.gt_labels_tensor = torch::tensor(r.gt_labels, torch::kInt64);
    if (r.gt_labels.empty()) r.gt_labels_tensor = torch::empty({0}, torch::kInt64);
  }
  if (r.has_gt_masks && !r.gt_masks_tensor.defined()) {
    const int64_t h = r.img.empty() ? 0 : r.img.rows, w = r.img.empty() ? 0 : r.img.cols;
    torch::Tensor masks =
        torch::empty({static_cast<int64_t>(r.gt_masks.size()), h, w}, torch::kUInt8);
    for (size_t i = 0; i < r.gt_masks.size(); ++i) masks[i].copy_(MatToTensor2d(r.gt_masks[i]));
    r.gt_masks_tensor = masks;
  }
  if (r.has_gt_semantic_seg && !r.gt_semantic_seg_tensor.defined()) {
    r.gt_semantic_seg_tensor = MatToTensor2d(r.gt_semantic_seg).unsqueeze(0);
  }
  if (r.proposals.has_value() && !r.proposals_tensor.defined()) {
    torch::Tensor t = torch::empty({static_cast<int64_t>(r.proposals->size()), 4});
    if (!r.proposals->empty()) {
      std::memcpy(t.data_ptr<float>(), r.proposals->data(), r.proposals->size() * sizeof(Box));
    }
    r.proposals_tensor = t;
  }
}

class DefaultFormatBundle : public Transform {
 public:
  std::string name() const override { return "DefaultFormatBundle"; }
  absl::Status Apply(Results& r, Rng&, bool*) const override {
    if (r.img.empty()) return absl::FailedPreconditionError("no image (LoadImageFromFile first)");
    // MMDetection's _add_default_meta.
    if (r.meta.pad_shape[0] == 0) r.meta.pad_shape = ShapeOf(r.img);
    FormatTensors(r);
    return absl::OkStatus();
  }
};

absl::StatusOr<std::shared_ptr<Transform>> MakeDefaultFormatBundle(
    const config::DefaultFormatBundle&, const std::string&) {
  return std::make_shared<DefaultFormatBundle>();
}
MMDET_REGISTER(TransformRegistry, config::DefaultFormatBundle, MakeDefaultFormatBundle);

class ImageToTensor : public Transform {
 public:
  std::string name() const override { return "ImageToTensor"; }
  absl::Status Apply(Results& r, Rng&, bool*) const override {
    if (r.img.empty()) return absl::FailedPreconditionError("no image (LoadImageFromFile first)");
    r.img_tensor = ImageToChwTensor(r.img);
    return absl::OkStatus();
  }
};

absl::StatusOr<std::shared_ptr<Transform>> MakeImageToTensor(const config::ImageToTensor& cfg,
                                                              const std::string& path) {
  for (const std::string& key : cfg.keys()) {
    if (key != "img") {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ".keys: '", key, "' (only 'img' is an image)"));
    }
  }
  return std::make_shared<ImageToTensor>();
}
MMDET_REGISTER(TransformRegistry, config::ImageToTensor, MakeImageToTensor);

bool Present(const Results& r, const std::string& key) {
  if (key == "img") return !r.img.empty() || r.img_tensor.defined();
  if (key == "gt_bboxes") return r.has_gt_bboxes;
  if (key == "gt_labels") return r.has_gt_labels;
  if (key == "gt_bboxes_ignore") return r.has_gt_bboxes_ignore;
  if (key == "gt_masks") return r.has_gt_masks;
  if (key == "gt_semantic_seg") return r.has_gt_semantic_seg;
  if (key == "proposals") return r.proposals.has_value();
  return false;
}

const char* Hint(const std::string& key) {
  if (key == "gt_masks") return " (LoadAnnotations with_mask: true?)";
  if (key == "gt_semantic_seg") return " (LoadAnnotations with_seg: true?)";
  if (key == "proposals") return " (the dataset needs a proposal_file)";
  if (key == "img") return " (LoadImageFromFile first)";
  return " (LoadAnnotations with_bbox / with_label?)";
}

class Collect : public Transform {
 public:
  Collect(std::vector<std::string> keys, std::vector<std::string> meta_keys)
      : keys_(std::move(keys)), meta_keys_(std::move(meta_keys)) {}
  std::string name() const override { return "Collect"; }

  absl::Status Apply(Results& r, Rng&, bool*) const override {
    for (const std::string& key : keys_) {
      if (!Present(r, key)) {
        return absl::FailedPreconditionError(
            absl::StrCat("key '", key, "' is not in the results", Hint(key)));
      }
    }
    FormatTensors(r);
    auto wanted = [&](const char* key) {
      return std::find(keys_.begin(), keys_.end(), key) != keys_.end();
    };
    // Drop what was not asked for (and the OpenCV copies the tensors were made from).
    r.img.release();
    r.gt_masks.clear();
    r.gt_semantic_seg.release();
    if (!wanted("img")) r.img_tensor = torch::Tensor();
    if (!wanted("gt_bboxes")) r.gt_bboxes_tensor = torch::Tensor(), r.has_gt_bboxes = false;
    if (!wanted("gt_labels")) r.gt_labels_tensor = torch::Tensor(), r.has_gt_labels = false;
    if (!wanted("gt_bboxes_ignore")) {
      r.gt_bboxes_ignore_tensor = torch::Tensor(), r.has_gt_bboxes_ignore = false;
    }
    if (!wanted("gt_masks")) r.gt_masks_tensor = torch::Tensor(), r.has_gt_masks = false;
    if (!wanted("gt_semantic_seg")) {
      r.gt_semantic_seg_tensor = torch::Tensor(), r.has_gt_semantic_seg = false;
    }
    if (!wanted("proposals")) r.proposals_tensor = torch::Tensor();
    r.keys = keys_;
    r.meta_keys = meta_keys_;
    return absl::OkStatus();
  }

 private:
  std::vector<std::string> keys_;
  std::vector<std::string> meta_keys_;
};

absl::StatusOr<std::shared_ptr<Transform>> MakeCollect(const config::Collect& cfg,
                                                        const std::string& path) {
  std::vector<std::string> keys(cfg.keys().begin(), cfg.keys().end());
  std::vector<std::string> meta_keys(cfg.meta_keys().begin(), cfg.meta_keys().end());
  if (keys.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ".keys: empty"));
  for (const std::string& key : keys) {
    const auto& known = CollectableKeys();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ".keys: unknown key '", key,
                                                     "' (known: ", absl::StrJoin(known, ", "),
                                                     ")"));
    }
  }
  if (meta_keys.empty()) meta_keys = DefaultMetaKeys();
  for (const std::string& key : meta_keys) {
    const auto& known = DefaultMetaKeys();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ".meta_keys: unknown key '", key,
                                                     "' (known: ", absl::StrJoin(known, ", "),
                                                     ")"));
    }
  }
  return std::make_shared<Collect>(std::move(keys), std::move(meta_keys));
}
MMDET_REGISTER(TransformRegistry, config::Collect, MakeCollect);

}  // namespace
}  // namespace mmdet::datasets
