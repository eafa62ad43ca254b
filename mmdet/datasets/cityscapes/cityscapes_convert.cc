#include "mmdet/datasets/cityscapes/cityscapes_convert.h"

#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/json_reader.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/ops/mask_util.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace mmdet::datasets {

const std::array<CityscapesClass, 8> kCityscapesClasses = {{
    {"person", 24},
    {"rider", 25},
    {"car", 26},
    {"truck", 27},
    {"bus", 28},
    {"train", 31},
    {"motorcycle", 32},
    {"bicycle", 33},
}};

namespace {

namespace dom = simdjson::dom;
namespace fs = std::filesystem;

constexpr char kPolygonsSuffix[] = "_gtFine_polygons.json";
constexpr std::array<const char*, 3> kSplits = {"train", "val", "test"};

// Index into kCityscapesClasses of a label, -1 if it is none of them.
int ClassIndex(absl::string_view label) {
  for (size_t c = 0; c < kCityscapesClasses.size(); ++c) {
    if (label == kCityscapesClasses[c].name) return static_cast<int>(c);
  }
  return -1;
}

using Reader = JsonReader;

absl::Status PositiveInteger(const Reader& r, dom::element e, const std::string& where,
                             int64_t* out) {
  MMDET_RETURN_IF_ERROR(r.Integer(e, where, out));
  if (*out < 1 || *out > (1 << 30)) return r.Error(where, "expected a positive integer");
  return absl::OkStatus();
}

// cityscapesscripts treats any truthy `deleted` (0/1 in the files, sometimes a bool) as deleted.
absl::Status ReadDeleted(const Reader& r, dom::element e, const std::string& where, bool* deleted) {
  if (e.type() == dom::element_type::BOOL) {
    *deleted = e.get_bool().value_unsafe();
    return absl::OkStatus();
  }
  double value = 0;
  MMDET_RETURN_IF_ERROR(r.Number(e, where, &value));
  *deleted = value != 0;
  return absl::OkStatus();
}

void AddAnnotation(int class_index, bool iscrowd, std::vector<std::vector<double>> polygons,
                   int64_t h, int64_t w, CityscapesImageAnnotations* image) {
  const ops::Rle rle = ops::FromPolygons(polygons, h, w);
  const uint64_t area = ops::Area(rle);
  // The reference only sees instance ids that own at least one pixel.
  if (area == 0) return;
  CityscapesAnnotation annotation;
  annotation.category_id = kCityscapesClasses[class_index].category_id;
  annotation.iscrowd = iscrowd;
  annotation.polygons = std::move(polygons);
  annotation.area = area;
  annotation.bbox = ops::ToBbox(rle);
  image->annotations.push_back(std::move(annotation));
}

// Integral coordinates (all of Cityscapes') are written without a fraction.
void WriteCoordinate(double v, rapidjson::Writer<rapidjson::StringBuffer>* json) {
  if (v == std::floor(v) && std::abs(v) < 9.0e15) {
    json->Int64(static_cast<int64_t>(v));
  } else {
    json->Double(v);
  }
}

struct PolygonFile {
  std::string path;       // as read, for errors
  std::string city;       // folder under the split
  std::string base_name;  // file name without kPolygonsSuffix
};

bool IsDirectory(const std::string& path) {
  std::error_code error;
  return fs::is_directory(path, error);
}

// {city}/*_gtFine_polygons.json under `split_dir`, sorted by city then name (the reference's
// glob('**/*.png') is one folder deep too).
absl::StatusOr<std::vector<PolygonFile>> ListPolygonFiles(const std::string& split_dir) {
  std::error_code error;
  std::vector<std::string> cities;
  for (fs::directory_iterator it(split_dir, error), end; !error && it != end; it.increment(error)) {
    if (it->is_directory(error)) cities.push_back(it->path().filename().string());
  }
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat(split_dir, ": cannot list folder: ", error.message()));
  }
  std::sort(cities.begin(), cities.end());
  std::vector<PolygonFile> files;
  for (const std::string& city : cities) {
    const std::string city_dir = JoinPath(split_dir, city);
    std::vector<std::string> names;
    for (fs::directory_iterator it(city_dir, error), end; !error && it != end;
         it.increment(error)) {
      const std::string name = it->path().filename().string();
      if (absl::EndsWith(name, kPolygonsSuffix) && it->is_regular_file(error)) {
        names.push_back(name);
      }
    }
    if (error) {
      return absl::PermissionDeniedError(
          absl::StrCat(city_dir, ": cannot list folder: ", error.message()));
    }
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      files.push_back({JoinPath(city_dir, name), city,
                       name.substr(0, name.size() - (sizeof(kPolygonsSuffix) - 1))});
    }
  }
  return files;
}

// Reads and parses `files` on `nproc` threads; the first error in file order wins.
absl::StatusOr<std::vector<CityscapesImageAnnotations>> ParseFiles(
    const std::vector<PolygonFile>& files, int nproc) {
  std::vector<absl::StatusOr<CityscapesImageAnnotations>> results(files.size(),
                                                                  absl::UnknownError("not parsed"));
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < files.size(); i = next++) {
      absl::StatusOr<std::string> text = ReadFile(files[i].path);
      results[i] = text.ok() ? ParseCityscapesPolygons(*text, files[i].path)
                             : absl::StatusOr<CityscapesImageAnnotations>(text.status());
    }
  };
  const size_t num_threads = std::min(files.size(), static_cast<size_t>(std::max(nproc, 1)));
  std::vector<std::thread> threads;
  for (size_t t = 1; t < num_threads; ++t) threads.emplace_back(work);
  work();
  for (std::thread& thread : threads) thread.join();
  std::vector<CityscapesImageAnnotations> images;
  images.reserve(files.size());
  for (auto& result : results) {
    if (!result.ok()) return result.status();
    images.push_back(std::move(result).value());
  }
  return images;
}

std::string ToCocoJson(const std::vector<PolygonFile>& files,
                       const std::vector<CityscapesImageAnnotations>& images,
                       int64_t* num_annotations) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> json(buffer);
  json.StartObject();
  json.Key("images");
  json.StartArray();
  *num_annotations = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string prefix = absl::StrCat(files[i].city, "/", files[i].base_name);
    json.StartObject();
    json.Key("id");
    json.Int64(static_cast<int64_t>(i));
    json.Key("file_name");
    json.String(absl::StrCat(prefix, "_leftImg8bit.png").c_str());
    json.Key("height");
    json.Int64(images[i].height);
    json.Key("width");
    json.Int64(images[i].width);
    json.Key("segm_file");
    json.String(absl::StrCat(prefix, "_gtFine_labelIds.png").c_str());
    json.EndObject();
    *num_annotations += static_cast<int64_t>(images[i].annotations.size());
  }
  json.EndArray();
  json.Key("categories");
  json.StartArray();
  for (const CityscapesClass& c : kCityscapesClasses) {
    json.StartObject();
    json.Key("id");
    json.Int(c.category_id);
    json.Key("name");
    json.String(c.name);
    json.EndObject();
  }
  json.EndArray();
  // The reference drops the key when a split (test) has no annotations.
  if (*num_annotations > 0) {
    json.Key("annotations");
    json.StartArray();
    int64_t next_id = 1;
    for (size_t i = 0; i < images.size(); ++i) {
      for (const CityscapesAnnotation& a : images[i].annotations) {
        json.StartObject();
        json.Key("id");
        json.Int64(next_id++);
        json.Key("image_id");
        json.Int64(static_cast<int64_t>(i));
        json.Key("category_id");
        json.Int(a.category_id);
        json.Key("bbox");
        json.StartArray();
        for (double v : a.bbox) WriteCoordinate(v, &json);
        json.EndArray();
        json.Key("area");
        json.Uint64(a.area);
        json.Key("iscrowd");
        json.Int(a.iscrowd ? 1 : 0);
        json.Key("segmentation");
        json.StartArray();
        for (const auto& polygon : a.polygons) {
          json.StartArray();
          for (double v : polygon) WriteCoordinate(v, &json);
          json.EndArray();
        }
        json.EndArray();
        json.EndObject();
      }
    }
    json.EndArray();
  }
  json.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

absl::StatusOr<CityscapesImageAnnotations> ParseCityscapesPolygons(absl::string_view json,
                                                                   absl::string_view source) {
  JsonDocument doc;
  MMDET_RETURN_IF_ERROR(doc.Parse(json, source));
  const Reader& r = doc.reader();
  const dom::element root = doc.root();
  dom::object top;
  if (root.get_object().get(top) != simdjson::SUCCESS) {
    return r.Error("top level", "expected an object");
  }
  CityscapesImageAnnotations image;
  dom::element v;
  MMDET_RETURN_IF_ERROR(r.Field(top, "imgHeight", "top level", &v));
  MMDET_RETURN_IF_ERROR(PositiveInteger(r, v, "imgHeight", &image.height));
  MMDET_RETURN_IF_ERROR(r.Field(top, "imgWidth", "top level", &v));
  MMDET_RETURN_IF_ERROR(PositiveInteger(r, v, "imgWidth", &image.width));
  MMDET_RETURN_IF_ERROR(r.Field(top, "objects", "top level", &v));
  dom::array objects;
  if (v.get_array().get(objects) != simdjson::SUCCESS) {
    return r.Error("objects", "expected an array");
  }

  // Polygons per class: crowd ("<name>group", merged into one annotation) and instances.
  std::array<std::vector<std::vector<double>>, 8> crowd;
  std::array<std::vector<std::vector<double>>, 8> instances;
  size_t index = 0;
  for (dom::element e : objects) {
    const std::string at = absl::StrCat("objects[", index++, "]");
    dom::object object;
    if (e.get_object().get(object) != simdjson::SUCCESS) return r.Error(at, "expected an object");
    MMDET_RETURN_IF_ERROR(r.Field(object, "label", at, &v));
    if (v.type() != dom::element_type::STRING) return r.Error(at + ".label", "expected a string");
    const std::string label(v.get_string().value_unsafe());
    MMDET_RETURN_IF_ERROR(r.Field(object, "polygon", at, &v));
    dom::array points;
    if (v.get_array().get(points) != simdjson::SUCCESS) {
      return r.Error(at + ".polygon", "expected an array");
    }
    std::vector<double> xy;
    xy.reserve(2 * points.size());
    size_t p = 0;
    for (dom::element point : points) {
      const std::string pat = absl::StrCat(at, ".polygon[", p++, "]");
      dom::array pair;
      if (point.get_array().get(pair) != simdjson::SUCCESS || pair.size() != 2) {
        return r.Error(pat, "expected [x, y]");
      }
      double x = 0, y = 0;
      MMDET_RETURN_IF_ERROR(r.Number(pair.at(0).value_unsafe(), pat, &x));
      MMDET_RETURN_IF_ERROR(r.Number(pair.at(1).value_unsafe(), pat, &y));
      xy.push_back(x);
      xy.push_back(y);
    }
    bool has_deleted = false, deleted = false;
    MMDET_RETURN_IF_ERROR(r.Field(object, "deleted", at, &v, &has_deleted));
    if (has_deleted) MMDET_RETURN_IF_ERROR(ReadDeleted(r, v, at + ".deleted", &deleted));
    if (deleted) continue;

    // json2instanceImg: a label that is not a class name but ends in "group" is a crowd of
    // that class.
    bool is_group = false;
    int c = ClassIndex(label);
    if (c < 0 && absl::EndsWith(label, "group")) {
      c = ClassIndex(absl::string_view(label).substr(0, label.size() - 5));
      is_group = true;
    }
    if (c < 0 || xy.size() < 6) continue;
    (is_group ? crowd : instances)[c].push_back(std::move(xy));
  }

  // The reference's np.unique order: crowd ids (= label id) < instance ids (label id * 1000 + k).
  for (size_t c = 0; c < crowd.size(); ++c) {
    if (!crowd[c].empty()) {
      AddAnnotation(static_cast<int>(c), true, std::move(crowd[c]), image.height, image.width,
                    &image);
    }
  }
  for (size_t c = 0; c < instances.size(); ++c) {
    for (auto& polygon : instances[c]) {
      AddAnnotation(static_cast<int>(c), false, {std::move(polygon)}, image.height, image.width,
                    &image);
    }
  }
  return image;
}

absl::StatusOr<std::vector<CityscapesSplitResult>> ConvertCityscapes(
    const CityscapesOptions& options) {
  const std::string gt_root = JoinPath(options.cityscapes_path, options.gt_dir);
  if (!IsDirectory(options.cityscapes_path)) {
    return absl::NotFoundError(absl::StrCat(options.cityscapes_path, ": no such folder"));
  }
  if (!IsDirectory(gt_root)) return absl::NotFoundError(absl::StrCat(gt_root, ": no such folder"));

  // Everything is parsed before anything is written, so a bad file leaves no partial output.
  struct Split {
    std::string name;
    std::vector<PolygonFile> files;
    std::vector<CityscapesImageAnnotations> images;
  };
  std::vector<Split> splits;
  for (const char* name : kSplits) {
    const std::string split_dir = JoinPath(gt_root, name);
    if (!IsDirectory(split_dir)) continue;
    Split split;
    split.name = name;
    MMDET_ASSIGN_OR_RETURN(split.files, ListPolygonFiles(split_dir));
    if (split.files.empty()) {
      return absl::NotFoundError(
          absl::StrCat(split_dir, ": no {city}/*", kPolygonsSuffix, " files"));
    }
    MMDET_ASSIGN_OR_RETURN(split.images, ParseFiles(split.files, options.nproc));
    splits.push_back(std::move(split));
  }
  if (splits.empty()) {
    return absl::NotFoundError(absl::StrCat(gt_root, ": no train, val or test folder"));
  }

  MMDET_RETURN_IF_ERROR(MakeDirs(options.out_dir));
  std::vector<CityscapesSplitResult> written;
  for (const Split& split : splits) {
    CityscapesSplitResult result;
    result.split = split.name;
    result.path = JoinPath(options.out_dir,
                           absl::StrCat("instancesonly_filtered_gtFine_", split.name, ".json"));
    result.num_images = static_cast<int64_t>(split.files.size());
    const std::string json = ToCocoJson(split.files, split.images, &result.num_annotations);
    MMDET_RETURN_IF_ERROR(WriteFileAtomically(result.path, json));
    written.push_back(std::move(result));
  }
  return written;
}

}  // namespace mmdet::datasets
