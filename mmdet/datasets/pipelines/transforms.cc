// Geometric and photometric transforms, with MMDetection v2's semantics (mmdet/datasets/
// pipelines/transforms.py, mmcv's imrescale/imflip/imnormalize/impad). Boxes, masks and the
// semantic map follow the image; every step is recorded in the image meta.
#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/datasets/pipelines/image_util.h"
#include "mmdet/datasets/pipelines/transform.h"
#include "opencv2/imgproc.hpp"

namespace mmdet::datasets {
namespace {

using ScaleWH = std::array<int, 2>;  // (w, h), as MMDetection's img_scale tuples

void ClipBoxes(std::vector<Box>& boxes, double w, double h) {
  for (Box& b : boxes) {
    b[0] = std::clamp<float>(b[0], 0, w);
    b[2] = std::clamp<float>(b[2], 0, w);
    b[1] = std::clamp<float>(b[1], 0, h);
    b[3] = std::clamp<float>(b[3], 0, h);
  }
}

// Applies `fn` to the boxes of every bbox field present.
template <typename Fn>
void ForEachBoxField(Results& r, Fn fn) {
  if (r.has_gt_bboxes) fn(r.gt_bboxes, /*is_gt=*/true);
  if (r.has_gt_bboxes_ignore) fn(r.gt_bboxes_ignore, /*is_gt=*/false);
  if (r.proposals.has_value()) fn(*r.proposals, /*is_gt=*/false);
}

// ---------------------------------------------------------------------------------- Resize

class Resize : public Transform {
 public:
  Resize(std::vector<ScaleWH> img_scale, bool range_mode, std::vector<float> ratio_range,
         bool keep_ratio)
      : img_scale_(std::move(img_scale)),
        range_mode_(range_mode),
        ratio_range_(std::move(ratio_range)),
        keep_ratio_(keep_ratio) {}
  std::string name() const override { return "Resize"; }

  absl::Status Apply(Results& r, Rng& rng, bool*) const override {
    ScaleWH scale;
    if (r.scale.has_value()) {
      scale = *r.scale;
    } else if (!ratio_range_.empty()) {
      const double ratio = Uniform(rng, ratio_range_[0], ratio_range_[1]);
      scale = {static_cast<int>(img_scale_[0][0] * ratio),
               static_cast<int>(img_scale_[0][1] * ratio)};
    } else if (img_scale_.size() == 1) {
      scale = img_scale_[0];
    } else if (range_mode_) {
      int long_lo = INT32_MAX, long_hi = 0, short_lo = INT32_MAX, short_hi = 0;
      for (const ScaleWH& s : img_scale_) {
        const int l = std::max(s[0], s[1]), sh = std::min(s[0], s[1]);
        long_lo = std::min(long_lo, l), long_hi = std::max(long_hi, l);
        short_lo = std::min(short_lo, sh), short_hi = std::max(short_hi, sh);
      }
      scale = {static_cast<int>(RandInt(rng, long_lo, long_hi + 1)),
               static_cast<int>(RandInt(rng, short_lo, short_hi + 1))};
    } else if (!img_scale_.empty()) {
      scale = img_scale_[RandInt(rng, 0, img_scale_.size())];
    } else {
      return absl::FailedPreconditionError(
          "no img_scale and no scale from MultiScaleFlipAug to resize to");
    }
    r.scale = scale;
    r.keep_ratio = keep_ratio_;

    const int h = r.img.rows, w = r.img.cols;
    int new_w, new_h;
    if (keep_ratio_) {  // mmcv.imrescale
      const double max_long = std::max(scale[0], scale[1]);
      const double max_short = std::min(scale[0], scale[1]);
      const double factor =
          std::min(max_long / std::max(h, w), max_short / std::min(h, w));
      new_w = static_cast<int>(w * factor + 0.5);
      new_h = static_cast<int>(h * factor + 0.5);
    } else {
      new_w = scale[0];
      new_h = scale[1];
    }
    if (new_w <= 0 || new_h <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("resizing ", w, "x", h, " to ", new_w, "x", new_h));
    }
    cv::resize(r.img, r.img, cv::Size(new_w, new_h), 0, 0, cv::INTER_LINEAR);
    const float w_scale = static_cast<float>(new_w) / w;
    const float h_scale = static_cast<float>(new_h) / h;
    r.meta.scale_factor = {w_scale, h_scale, w_scale, h_scale};
    r.meta.img_shape = r.meta.pad_shape = ShapeOf(r.img);

    ForEachBoxField(r, [&](std::vector<Box>& boxes, bool) {
      for (Box& b : boxes) {
        b[0] *= w_scale, b[1] *= h_scale, b[2] *= w_scale, b[3] *= h_scale;
      }
      ClipBoxes(boxes, new_w, new_h);
    });
    for (cv::Mat& mask : r.gt_masks) {
      cv::resize(mask, mask, cv::Size(new_w, new_h), 0, 0, cv::INTER_NEAREST);
    }
    if (r.has_gt_semantic_seg) {
      cv::resize(r.gt_semantic_seg, r.gt_semantic_seg, cv::Size(new_w, new_h), 0, 0,
                 cv::INTER_NEAREST);
    }
    return absl::OkStatus();
  }

 private:
  std::vector<ScaleWH> img_scale_;
  bool range_mode_;
  std::vector<float> ratio_range_;
  bool keep_ratio_;
};

absl::StatusOr<std::shared_ptr<Transform>> MakeResize(const config::Resize& cfg,
                                                       const std::string& path) {
  std::vector<ScaleWH> scales;
  for (const config::Scale& s : cfg.img_scale()) {
    if (s.w() <= 0 || s.h() <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ".img_scale: w and h must be positive"));
    }
    scales.push_back({s.w(), s.h()});
  }
  if (cfg.multiscale_mode() != "range" && cfg.multiscale_mode() != "value") {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ".multiscale_mode: '", cfg.multiscale_mode(), "' (expected range or value)"));
  }
  std::vector<float> ratio(cfg.ratio_range().begin(), cfg.ratio_range().end());
  if (!ratio.empty()) {
    if (ratio.size() != 2 || ratio[0] <= 0 || ratio[0] > ratio[1]) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ".ratio_range: expected [min, max] with 0 < min <= max"));
    }
    if (scales.size() != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": ratio_range needs exactly one img_scale"));
    }
  } else if (cfg.multiscale_mode() == "range" && scales.size() > 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": multiscale_mode range takes two img_scale entries"));
  }
  return std::make_shared<Resize>(std::move(scales), cfg.multiscale_mode() == "range",
                                  std::move(ratio), cfg.keep_ratio());
}
MMDET_REGISTER(TransformRegistry, config::Resize, MakeResize);

// ------------------------------------------------------------------------------ RandomFlip

void FlipBoxes(std::vector<Box>& boxes, bool horizontal, double w, double h) {
  for (Box& b : boxes) {
    if (horizontal) {
      const float x1 = b[0];
      b[0] = static_cast<float>(w - b[2]);
      b[2] = static_cast<float>(w - x1);
    } else {
      const float y1 = b[1];
      b[1] = static_cast<float>(h - b[3]);
      b[3] = static_cast<float>(h - y1);
    }
  }
}

class RandomFlip : public Transform {
 public:
  RandomFlip(std::optional<float> ratio, std::string direction)
      : ratio_(ratio), direction_(std::move(direction)) {}
  std::string name() const override { return "RandomFlip"; }

  absl::Status Apply(Results& r, Rng& rng, bool*) const override {
    bool flip;
    if (r.flip.has_value()) {  // decided by MultiScaleFlipAug, with its direction
      flip = *r.flip;
    } else {
      flip = ratio_.has_value() && Uniform(rng, 0, 1) < *ratio_;
      r.meta.flip_direction = direction_;
    }
    r.meta.flip = flip;
    if (!flip) return absl::OkStatus();
    const bool horizontal = r.meta.flip_direction != "vertical";
    const int code = horizontal ? 1 : 0;
    cv::flip(r.img, r.img, code);
    ForEachBoxField(r, [&](std::vector<Box>& boxes, bool) {
      FlipBoxes(boxes, horizontal, r.img.cols, r.img.rows);
    });
    for (cv::Mat& mask : r.gt_masks) cv::flip(mask, mask, code);
    if (r.has_gt_semantic_seg) cv::flip(r.gt_semantic_seg, r.gt_semantic_seg, code);
    return absl::OkStatus();
  }

 private:
  std::optional<float> ratio_;
  std::string direction_;
};

absl::StatusOr<std::shared_ptr<Transform>> MakeRandomFlip(const config::RandomFlip& cfg,
                                                           const std::string& path) {
  if (cfg.has_flip_ratio() && (cfg.flip_ratio() < 0 || cfg.flip_ratio() > 1)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".flip_ratio: must be in [0, 1]"));
  }
  if (cfg.direction() != "horizontal" && cfg.direction() != "vertical") {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ".direction: '", cfg.direction(), "' (expected horizontal or vertical)"));
  }
  return std::make_shared<RandomFlip>(
      cfg.has_flip_ratio() ? std::optional<float>(cfg.flip_ratio()) : std::nullopt,
      cfg.direction());
}
MMDET_REGISTER(TransformRegistry, config::RandomFlip, MakeRandomFlip);

// ------------------------------------------------------------------------------- Normalize

absl::StatusOr<std::array<float, 3>> Triple(const google::protobuf::RepeatedField<float>& v,
                                            const std::string& path, float fallback) {
  if (v.empty()) return std::array<float, 3>{fallback, fallback, fallback};
  if (v.size() != 3) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": expected 3 values, got ", v.size()));
  }
  return std::array<float, 3>{v[0], v[1], v[2]};
}

class Normalize : public Transform {
 public:
  explicit Normalize(NormConfig cfg) : cfg_(cfg) {}
  std::string name() const override { return "Normalize"; }

  absl::Status Apply(Results& r, Rng&, bool*) const override {
    if (r.img.channels() != 3) {
      return absl::FailedPreconditionError(
          absl::StrCat("expects a 3-channel image, got ", r.img.channels()));
    }
    r.img.convertTo(r.img, CV_32FC3);
    if (cfg_.to_rgb) cv::cvtColor(r.img, r.img, cv::COLOR_BGR2RGB);
    cv::subtract(r.img, cv::Scalar(cfg_.mean[0], cfg_.mean[1], cfg_.mean[2]), r.img);
    cv::multiply(r.img, cv::Scalar(1.0 / cfg_.std[0], 1.0 / cfg_.std[1], 1.0 / cfg_.std[2]),
                 r.img);
    r.meta.img_norm_cfg = cfg_;
    return absl::OkStatus();
  }

 private:
  NormConfig cfg_;
};

absl::StatusOr<std::shared_ptr<Transform>> MakeNormalize(const config::Normalize& cfg,
                                                          const std::string& path) {
  NormConfig norm;
  MMDET_ASSIGN_OR_RETURN(norm.mean, Triple(cfg.mean(), path + ".mean", 0.f));
  MMDET_ASSIGN_OR_RETURN(norm.std, Triple(cfg.std(), path + ".std", 1.f));
  for (float s : norm.std) {
    if (s == 0) return absl::InvalidArgumentError(path + ".std: must not be 0");
  }
  norm.to_rgb = cfg.to_rgb();
  return std::make_shared<Normalize>(norm);
}
MMDET_REGISTER(TransformRegistry, config::Normalize, MakeNormalize);

// ------------------------------------------------------------------------------------- Pad

class Pad : public Transform {
 public:
  Pad(std::optional<ScaleWH> size, int divisor, float pad_val, int seg_pad_val)
      : size_(size), divisor_(divisor), pad_val_(pad_val), seg_pad_val_(seg_pad_val) {}
  std::string name() const override { return "Pad"; }

  absl::Status Apply(Results& r, Rng&, bool*) const override {
    int h = r.img.rows, w = r.img.cols;
    int pad_h, pad_w;
    if (size_.has_value()) {
      pad_w = (*size_)[0], pad_h = (*size_)[1];
      if (pad_w < w || pad_h < h) {
        return absl::InvalidArgumentError(absl::StrCat("pad size ", pad_w, "x", pad_h,
                                                       " is smaller than the image ", w, "x", h));
      }
    } else {
      pad_h = (h + divisor_ - 1) / divisor_ * divisor_;
      pad_w = (w + divisor_ - 1) / divisor_ * divisor_;
    }
    auto pad = [&](cv::Mat& m, double value) {
      if (m.rows == pad_h && m.cols == pad_w) return;
      cv::copyMakeBorder(m, m, 0, pad_h - m.rows, 0, pad_w - m.cols, cv::BORDER_CONSTANT,
                         cv::Scalar::all(value));
    };
    pad(r.img, pad_val_);
    r.meta.pad_shape = ShapeOf(r.img);
    for (cv::Mat& mask : r.gt_masks) pad(mask, 0);
    if (r.has_gt_semantic_seg) pad(r.gt_semantic_seg, seg_pad_val_);
    return absl::OkStatus();
  }

 private:
  std::optional<ScaleWH> size_;
  int divisor_;
  float pad_val_;
  int seg_pad_val_;
};

absl::StatusOr<std::shared_ptr<Transform>> MakePad(const config::Pad& cfg,
                                                    const std::string& path) {
  if (cfg.has_size() == cfg.has_size_divisor()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": set exactly one of size and size_divisor"));
  }
  if (cfg.has_size_divisor() && cfg.size_divisor() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".size_divisor: must be positive"));
  }
  std::optional<ScaleWH> size;
  if (cfg.has_size()) size = ScaleWH{cfg.size().w(), cfg.size().h()};
  return std::make_shared<Pad>(size, cfg.size_divisor(), cfg.pad_val(), cfg.seg_pad_val());
}
MMDET_REGISTER(TransformRegistry, config::Pad, MakePad);

// ------------------------------------------------------------------- PhotoMetricDistortion

class PhotoMetricDistortion : public Transform {
 public:
  PhotoMetricDistortion(float brightness, std::array<float, 2> contrast,
                        std::array<float, 2> saturation, float hue)
      : brightness_(brightness), contrast_(contrast), saturation_(saturation), hue_(hue) {}
  std::string name() const override { return "PhotoMetricDistortion"; }

  absl::Status Apply(Results& r, Rng& rng, bool*) const override {
    if (r.img.type() != CV_32FC3) {
      return absl::FailedPreconditionError(
          "needs a float32 3-channel image: set load_image_from_file { to_float32: true }");
    }
    cv::Mat& img = r.img;
    if (RandInt(rng, 0, 2)) img += cv::Scalar::all(Uniform(rng, -brightness_, brightness_));
    const bool contrast_first = RandInt(rng, 0, 2) == 1;
    auto contrast = [&] {
      if (RandInt(rng, 0, 2)) img *= Uniform(rng, contrast_[0], contrast_[1]);
    };
    if (contrast_first) contrast();
    cv::Mat hsv;
    cv::cvtColor(img, hsv, cv::COLOR_BGR2HSV);
    std::vector<cv::Mat> planes;
    cv::split(hsv, planes);
    if (RandInt(rng, 0, 2)) planes[1] *= Uniform(rng, saturation_[0], saturation_[1]);
    if (RandInt(rng, 0, 2)) {
      planes[0] += Uniform(rng, -hue_, hue_);
      planes[0].forEach<float>([](float& h, const int*) {
        if (h > 360) h -= 360;
        if (h < 0) h += 360;
      });
    }
    cv::merge(planes, hsv);
    cv::cvtColor(hsv, img, cv::COLOR_HSV2BGR);
    if (!contrast_first) contrast();
    if (RandInt(rng, 0, 2)) {
      std::array<int, 3> order{0, 1, 2};
      std::shuffle(order.begin(), order.end(), rng);
      std::vector<cv::Mat> channels;
      cv::split(img, channels);
      cv::merge(std::vector<cv::Mat>{channels[order[0]], channels[order[1]], channels[order[2]]},
                img);
    }
    return absl::OkStatus();
  }

 private:
  float brightness_;
  std::array<float, 2> contrast_, saturation_;
  float hue_;
};

absl::StatusOr<std::array<float, 2>> Range(const google::protobuf::RepeatedField<float>& v,
                                           const std::string& path, float lo, float hi) {
  if (v.empty()) return std::array<float, 2>{lo, hi};
  if (v.size() != 2 || v[0] > v[1]) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": expected [lower, upper]"));
  }
  return std::array<float, 2>{v[0], v[1]};
}

absl::StatusOr<std::shared_ptr<Transform>> MakePhotoMetricDistortion(
    const config::PhotoMetricDistortion& cfg, const std::string& path) {
  MMDET_ASSIGN_OR_RETURN(auto contrast,
                         Range(cfg.contrast_range(), path + ".contrast_range", 0.5f, 1.5f));
  MMDET_ASSIGN_OR_RETURN(
      auto saturation, Range(cfg.saturation_range(), path + ".saturation_range", 0.5f, 1.5f));
  return std::make_shared<PhotoMetricDistortion>(cfg.brightness_delta(), contrast, saturation,
                                                 cfg.hue_delta());
}
MMDET_REGISTER(TransformRegistry, config::PhotoMetricDistortion, MakePhotoMetricDistortion);

// ---------------------------------------------------------------------------------- Expand

class Expand : public Transform {
 public:
  Expand(std::array<float, 3> mean, std::array<float, 2> ratio, std::optional<int> seg_ignore,
         float prob)
      : mean_(mean), ratio_(ratio), seg_ignore_(seg_ignore), prob_(prob) {}
  std::string name() const override { return "Expand"; }

  absl::Status Apply(Results& r, Rng& rng, bool*) const override {
    if (Uniform(rng, 0, 1) > prob_) return absl::OkStatus();
    const int h = r.img.rows, w = r.img.cols;
    const double ratio = Uniform(rng, ratio_[0], ratio_[1]);
    const int new_h = static_cast<int>(h * ratio), new_w = static_cast<int>(w * ratio);
    const int left = static_cast<int>(Uniform(rng, 0, w * ratio - w));
    const int top = static_cast<int>(Uniform(rng, 0, h * ratio - h));
    cv::Scalar fill(mean_[0], mean_[1], mean_[2]);
    cv::Mat canvas(new_h, new_w, r.img.type(), fill);
    const cv::Rect roi(left, top, w, h);
    r.img.copyTo(canvas(roi));
    r.img = canvas;
    r.meta.img_shape = ShapeOf(r.img);
    ForEachBoxField(r, [&](std::vector<Box>& boxes, bool) {
      for (Box& b : boxes) b[0] += left, b[1] += top, b[2] += left, b[3] += top;
    });
    for (cv::Mat& mask : r.gt_masks) {
      cv::Mat expanded = cv::Mat::zeros(new_h, new_w, mask.type());
      mask.copyTo(expanded(roi));
      mask = expanded;
    }
    if (r.has_gt_semantic_seg && seg_ignore_.has_value()) {
      cv::Mat expanded(new_h, new_w, r.gt_semantic_seg.type(), cv::Scalar::all(*seg_ignore_));
      r.gt_semantic_seg.copyTo(expanded(roi));
      r.gt_semantic_seg = expanded;
    }
    return absl::OkStatus();
  }

 private:
  std::array<float, 3> mean_;
  std::array<float, 2> ratio_;
  std::optional<int> seg_ignore_;
  float prob_;
};

absl::StatusOr<std::shared_ptr<Transform>> MakeExpand(const config::Expand& cfg,
                                                       const std::string& path) {
  MMDET_ASSIGN_OR_RETURN(auto mean, Triple(cfg.mean(), path + ".mean", 0.f));
  if (cfg.to_rgb()) std::swap(mean[0], mean[2]);  // the canvas is BGR like the image
  MMDET_ASSIGN_OR_RETURN(auto ratio, Range(cfg.ratio_range(), path + ".ratio_range", 1.f, 4.f));
  if (ratio[0] < 1) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".ratio_range: min must be >= 1"));
  }
  std::optional<int> seg_ignore;
  if (cfg.has_seg_ignore_label()) seg_ignore = cfg.seg_ignore_label();
  return std::make_shared<Expand>(mean, ratio, seg_ignore, cfg.prob());
}
MMDET_REGISTER(TransformRegistry, config::Expand, MakeExpand);

// ------------------------------------------------------------------------ MinIoURandomCrop

// Keeps the entries of `v` where keep[i].
template <typename T>
void Filter(std::vector<T>& v, const std::vector<bool>& keep) {
  size_t out = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (keep[i]) v[out++] = std::move(v[i]);
  }
  v.resize(out);
}

// Crops the image, masks and semantic map of `r` to [x1, y1, x2, y2) (clipped to the image).
void CropImageFields(Results& r, int x1, int y1, int x2, int y2) {
  x2 = std::min(x2, r.img.cols), y2 = std::min(y2, r.img.rows);
  const cv::Rect roi(x1, y1, x2 - x1, y2 - y1);
  r.img = r.img(roi).clone();
  r.meta.img_shape = ShapeOf(r.img);
  for (cv::Mat& mask : r.gt_masks) mask = mask(roi).clone();
  if (r.has_gt_semantic_seg) r.gt_semantic_seg = r.gt_semantic_seg(roi).clone();
}

class MinIoURandomCrop : public Transform {
 public:
  MinIoURandomCrop(std::vector<float> min_ious, float min_crop_size)
      : min_ious_(std::move(min_ious)), min_crop_size_(min_crop_size) {}
  std::string name() const override { return "MinIoURandomCrop"; }

  absl::Status Apply(Results& r, Rng& rng, bool*) const override {
    const int h = r.img.rows, w = r.img.cols;
    // Modes: 1 = keep the image, then each min IoU, then 0 (any crop).
    const size_t num_modes = min_ious_.size() + 2;
    for (int attempt = 0; attempt < 10000; ++attempt) {
      const size_t mode = RandInt(rng, 0, num_modes);
      if (mode == 0) return absl::OkStatus();
      const double min_iou = mode == num_modes - 1 ? 0.0 : min_ious_[mode - 1];
      for (int i = 0; i < 50; ++i) {
        const double new_w = Uniform(rng, min_crop_size_ * w, w);
        const double new_h = Uniform(rng, min_crop_size_ * h, h);
        if (new_h / new_w < 0.5 || new_h / new_w > 2) continue;
        const double left = Uniform(rng, 0, w - new_w);
        const double top = Uniform(rng, 0, h - new_h);
        const int px1 = static_cast<int>(left), py1 = static_cast<int>(top);
        const int px2 = static_cast<int>(left + new_w), py2 = static_cast<int>(top + new_h);
        if (px2 <= px1 || py2 <= py1) continue;
        const double patch_area = static_cast<double>(px2 - px1) * (py2 - py1);
        bool too_low = false;
        for (const Box& b : r.gt_bboxes) {
          const double iw = std::max(0.0, std::min<double>(px2, b[2]) - std::max<double>(px1, b[0]));
          const double ih = std::max(0.0, std::min<double>(py2, b[3]) - std::max<double>(py1, b[1]));
          const double inter = iw * ih;
          const double area = static_cast<double>(b[2] - b[0]) * (b[3] - b[1]);
          if (inter / std::max(patch_area + area - inter, 1e-6) < min_iou) too_low = true;
        }
        if (too_low) continue;
        auto centers_inside = [&](const std::vector<Box>& boxes) {
          std::vector<bool> inside(boxes.size());
          for (size_t k = 0; k < boxes.size(); ++k) {
            const double cx = (boxes[k][0] + boxes[k][2]) / 2, cy = (boxes[k][1] + boxes[k][3]) / 2;
            inside[k] = cx > px1 && cy > py1 && cx < px2 && cy < py2;
          }
          return inside;
        };
        std::vector<bool> keep = centers_inside(r.gt_bboxes);
        if (!r.gt_bboxes.empty() && std::none_of(keep.begin(), keep.end(), [](bool b) { return b; })) {
          continue;
        }
        ForEachBoxField(r, [&](std::vector<Box>& boxes, bool is_gt) {
          std::vector<bool> inside = is_gt ? keep : centers_inside(boxes);
          Filter(boxes, inside);
          for (Box& b : boxes) {
            b[0] = std::max<float>(b[0], px1) - px1, b[1] = std::max<float>(b[1], py1) - py1;
            b[2] = std::min<float>(b[2], px2) - px1, b[3] = std::min<float>(b[3], py2) - py1;
          }
        });
        if (r.has_gt_labels && r.gt_labels.size() == keep.size()) Filter(r.gt_labels, keep);
        if (r.has_gt_masks && r.gt_masks.size() == keep.size()) Filter(r.gt_masks, keep);
        CropImageFields(r, px1, py1, px2, py2);
        return absl::OkStatus();
      }
    }
    return absl::OkStatus();  // practically unreachable: mode 1 keeps the image
  }

 private:
  std::vector<float> min_ious_;
  float min_crop_size_;
};

absl::StatusOr<std::shared_ptr<Transform>> MakeMinIoURandomCrop(
    const config::MinIoURandomCrop& cfg, const std::string& path) {
  std::vector<float> ious(cfg.min_ious().begin(), cfg.min_ious().end());
  if (ious.empty()) ious = {0.1f, 0.3f, 0.5f, 0.7f, 0.9f};
  if (cfg.min_crop_size() <= 0 || cfg.min_crop_size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".min_crop_size: must be in (0, 1]"));
  }
  return std::make_shared<MinIoURandomCrop>(std::move(ious), cfg.min_crop_size());
}
MMDET_REGISTER(TransformRegistry, config::MinIoURandomCrop, MakeMinIoURandomCrop);

// ------------------------------------------------------------------------------ RandomCrop

class RandomCrop : public Transform {
 public:
  RandomCrop(int crop_h, int crop_w) : crop_h_(crop_h), crop_w_(crop_w) {}
  std::string name() const override { return "RandomCrop"; }

  absl::Status Apply(Results& r, Rng& rng, bool* keep_sample) const override {
    const int margin_h = std::max(r.img.rows - crop_h_, 0);
    const int margin_w = std::max(r.img.cols - crop_w_, 0);
    const int y1 = static_cast<int>(RandInt(rng, 0, margin_h + 1));
    const int x1 = static_cast<int>(RandInt(rng, 0, margin_w + 1));
    CropImageFields(r, x1, y1, x1 + crop_w_, y1 + crop_h_);
    const int h = r.img.rows, w = r.img.cols;
    bool gt_left = true;
    ForEachBoxField(r, [&](std::vector<Box>& boxes, bool is_gt) {
      std::vector<bool> valid(boxes.size());
      for (size_t k = 0; k < boxes.size(); ++k) {
        Box& b = boxes[k];
        b[0] = std::clamp<float>(b[0] - x1, 0, w), b[2] = std::clamp<float>(b[2] - x1, 0, w);
        b[1] = std::clamp<float>(b[1] - y1, 0, h), b[3] = std::clamp<float>(b[3] - y1, 0, h);
        valid[k] = b[2] > b[0] && b[3] > b[1];
      }
      if (is_gt) {
        gt_left = std::any_of(valid.begin(), valid.end(), [](bool v) { return v; });
        if (r.has_gt_labels && r.gt_labels.size() == valid.size()) Filter(r.gt_labels, valid);
        if (r.has_gt_masks && r.gt_masks.size() == valid.size()) Filter(r.gt_masks, valid);
      }
      Filter(boxes, valid);
    });
    if (r.has_gt_bboxes && !gt_left) *keep_sample = false;
    return absl::OkStatus();
  }

 private:
  int crop_h_, crop_w_;
};

absl::StatusOr<std::shared_ptr<Transform>> MakeRandomCrop(const config::RandomCrop& cfg,
                                                           const std::string& path) {
  if (cfg.crop_size().w() <= 0 || cfg.crop_size().h() <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ".crop_size: w and h must be positive"));
  }
  return std::make_shared<RandomCrop>(cfg.crop_size().h(), cfg.crop_size().w());
}
MMDET_REGISTER(TransformRegistry, config::RandomCrop, MakeRandomCrop);

}  // namespace
}  // namespace mmdet::datasets
