#include "mmdet/datasets/shapes/shapes_dataset.h"

#include <cmath>
#include <iterator>
#include <random>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/image_encode.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/ops/mask_util.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace mmdet::datasets {
namespace {

constexpr const char* kClasses[] = {"rectangle", "circle", "triangle"};

struct Instance {
  int category_id;
  cv::Mat mask;  // CV_8U, 1 = this shape's visible pixels
};

// One image: a gradient background with noise and overlapping shapes.
cv::Mat DrawImage(std::mt19937* rng, const ShapesOptions& options,
                  std::vector<Instance>* instances) {
  std::uniform_int_distribution<int> size(options.min_size, options.max_size);
  std::uniform_int_distribution<int> channel(0, 255);
  const int h = size(*rng), w = size(*rng);
  cv::Mat image(h, w, CV_8UC3);
  const cv::Vec3f c0(channel(*rng), channel(*rng), channel(*rng));
  const cv::Vec3f c1(channel(*rng), channel(*rng), channel(*rng));
  const bool vertical = (*rng)() % 2 == 0;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const float t = vertical ? static_cast<float>(y) / h : static_cast<float>(x) / w;
      const cv::Vec3f c = c0 * (1 - t) + c1 * t;
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(cv::saturate_cast<uchar>(c[0]),
                                            cv::saturate_cast<uchar>(c[1]),
                                            cv::saturate_cast<uchar>(c[2]));
    }
  }
  cv::Mat noise(h, w, CV_8UC3);
  cv::RNG cv_rng((*rng)());
  cv_rng.fill(noise, cv::RNG::UNIFORM, 0, 16);
  image += noise;

  std::uniform_int_distribution<int> count(1, options.max_instances);
  std::uniform_int_distribution<int> kind(1, 3);
  std::uniform_real_distribution<double> unit(0, 1);
  const int n = count(*rng);
  cv::Mat owner(h, w, CV_32S, cv::Scalar(-1));  // which shape is visible at each pixel
  std::vector<int> kinds;
  for (int i = 0; i < n; ++i) {
    const int k = kind(*rng);
    const double side = std::min(h, w) * (0.15 + 0.35 * unit(*rng));
    const cv::Point2d centre(w * unit(*rng), h * unit(*rng));
    const double angle = 2 * M_PI * unit(*rng);
    std::vector<cv::Point> polygon;
    if (k == 2) {
      for (int v = 0; v < 32; ++v) {
        const double a = 2 * M_PI * v / 32;
        polygon.emplace_back(cvRound(centre.x + side / 2 * std::cos(a)),
                             cvRound(centre.y + side / 2 * std::sin(a)));
      }
    } else {
      const int vertices = k == 1 ? 4 : 3;
      const double aspect = k == 1 ? 0.5 + unit(*rng) : 1.0;
      for (int v = 0; v < vertices; ++v) {
        const double a = angle + 2 * M_PI * v / vertices + (k == 1 ? M_PI / 4 : 0);
        polygon.emplace_back(cvRound(centre.x + side / 2 * std::cos(a) * aspect),
                             cvRound(centre.y + side / 2 * std::sin(a)));
      }
    }
    const cv::Scalar colour(channel(*rng), channel(*rng), channel(*rng));
    cv::fillPoly(image, std::vector<std::vector<cv::Point>>{polygon}, colour);
    cv::fillPoly(owner, std::vector<std::vector<cv::Point>>{polygon}, cv::Scalar(i));
    kinds.push_back(k);
  }
  for (int i = 0; i < n; ++i) {
    cv::Mat mask = owner == i;  // 255 where shape i is on top
    mask /= 255;
    if (cv::countNonZero(mask) < options.min_visible_area) continue;
    instances->push_back({kinds[i], mask});
  }
  return image;
}

absl::Status WriteSplit(const ShapesOptions& options, const std::string& split, int num_images,
                        std::mt19937* rng, int64_t* next_annotation_id) {
  const std::string image_dir = absl::StrCat(options.out_dir, "/", split);
  MMDET_RETURN_IF_ERROR(MakeDirs(image_dir));
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> json(buffer);
  json.StartObject();
  json.Key("images");
  json.StartArray();
  std::vector<std::vector<Instance>> all_instances(num_images);
  std::vector<cv::Size> sizes(num_images);
  for (int i = 0; i < num_images; ++i) {
    cv::Mat image = DrawImage(rng, options, &all_instances[i]);
    sizes[i] = image.size();
    const std::string name = absl::StrFormat("%06d.jpg", i);
    const std::string path = absl::StrCat(image_dir, "/", name);
    MMDET_ASSIGN_OR_RETURN(const std::vector<uint8_t> jpeg, EncodeJpeg(image, 95));
    MMDET_RETURN_IF_ERROR(WriteFileAtomically(
        path, absl::string_view(reinterpret_cast<const char*>(jpeg.data()), jpeg.size())));
    json.StartObject();
    json.Key("id");
    json.Int(i + 1);
    json.Key("file_name");
    json.String(name.c_str());
    json.Key("height");
    json.Int(image.rows);
    json.Key("width");
    json.Int(image.cols);
    json.EndObject();
  }
  json.EndArray();
  json.Key("annotations");
  json.StartArray();
  for (int i = 0; i < num_images; ++i) {
    for (const Instance& instance : all_instances[i]) {
      at::Tensor mask = at::from_blob(instance.mask.data, {instance.mask.rows, instance.mask.cols},
                                      at::kByte);
      const ops::Rle rle = ops::Encode(mask);
      const auto box = ops::ToBbox(rle);
      json.StartObject();
      json.Key("id");
      json.Int64((*next_annotation_id)++);
      json.Key("image_id");
      json.Int(i + 1);
      json.Key("category_id");
      json.Int(instance.category_id);
      json.Key("bbox");
      json.StartArray();
      for (double v : box) json.Double(v);
      json.EndArray();
      json.Key("area");
      json.Uint64(ops::Area(rle));
      json.Key("iscrowd");
      json.Int(0);
      json.Key("segmentation");
      json.StartObject();
      json.Key("size");
      json.StartArray();
      json.Int64(rle.h);
      json.Int64(rle.w);
      json.EndArray();
      json.Key("counts");
      json.String(ops::ToString(rle).c_str());
      json.EndObject();
      json.EndObject();
    }
  }
  json.EndArray();
  json.Key("categories");
  json.StartArray();
  for (int c = 0; c < 3; ++c) {
    json.StartObject();
    json.Key("id");
    json.Int(c + 1);
    json.Key("name");
    json.String(kClasses[c]);
    json.Key("supercategory");
    json.String("shape");
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
  const std::string ann_dir = absl::StrCat(options.out_dir, "/annotations");
  MMDET_RETURN_IF_ERROR(MakeDirs(ann_dir));
  return WriteFileAtomically(absl::StrCat(ann_dir, "/instances_", split, ".json"),
                             absl::string_view(buffer.GetString(), buffer.GetSize()));
}

}  // namespace

std::vector<std::string> ShapesClasses() {
  return std::vector<std::string>(std::begin(kClasses), std::end(kClasses));
}

absl::Status GenerateShapesDataset(const ShapesOptions& options) {
  MMDET_RET_CHECK(!options.out_dir.empty()) << "out_dir must be set";
  MMDET_RET_CHECK(options.num_train >= 0 && options.num_val >= 0)
      << "image counts must not be negative";
  MMDET_RET_CHECK(options.min_size >= 16 && options.max_size >= options.min_size)
      << "need 16 <= min_size <= max_size, got " << options.min_size << " and "
      << options.max_size;
  MMDET_RET_CHECK(options.max_instances >= 1) << "max_instances must be at least 1";
  // One generator for both splits, so a seed fixes the whole dataset.
  std::mt19937 rng(options.seed);
  int64_t next_annotation_id = 1;
  MMDET_RETURN_IF_ERROR(WriteSplit(options, "train", options.num_train, &rng, &next_annotation_id));
  return WriteSplit(options, "val", options.num_val, &rng, &next_annotation_id);
}

}  // namespace mmdet::datasets
