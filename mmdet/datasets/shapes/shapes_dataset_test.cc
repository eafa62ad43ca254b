#include "mmdet/datasets/shapes/shapes_dataset.h"

#include <cstdlib>
#include <set>
#include <string>

#include <opencv2/imgcodecs.hpp>

#include "gtest/gtest.h"
#include "mmdet/core/file_io.h"
#include "mmdet/ops/mask_util.h"
#include "rapidjson/document.h"

namespace mmdet::datasets {
namespace {

std::string TempDir(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

ShapesOptions SmallOptions(const std::string& out_dir, uint32_t seed) {
  ShapesOptions options;
  options.out_dir = out_dir;
  options.num_train = 6;
  options.num_val = 3;
  options.seed = seed;
  options.min_size = 48;
  options.max_size = 80;
  options.max_instances = 4;
  options.min_visible_area = 10;
  return options;
}

TEST(ShapesDatasetTest, WritesConsistentCocoAnnotations) {
  const std::string dir = TempDir("shapes");
  ASSERT_TRUE(GenerateShapesDataset(SmallOptions(dir, 1)).ok());
  int total_annotations = 0;
  std::set<int64_t> annotation_ids;
  for (const auto& [split, count] : {std::pair<std::string, int>{"train", 6}, {"val", 3}}) {
    auto text = ReadFile(dir + "/annotations/instances_" + split + ".json");
    ASSERT_TRUE(text.ok()) << text.status();
    rapidjson::Document doc;
    ASSERT_FALSE(doc.Parse(text->c_str()).HasParseError());
    ASSERT_EQ(doc["images"].Size(), static_cast<unsigned>(count));
    ASSERT_EQ(doc["categories"].Size(), 3u);
    EXPECT_STREQ(doc["categories"][1]["name"].GetString(), "circle");
    for (const auto& image : doc["images"].GetArray()) {
      cv::Mat decoded = cv::imread(dir + "/" + split + "/" + image["file_name"].GetString());
      ASSERT_FALSE(decoded.empty());
      EXPECT_EQ(decoded.rows, image["height"].GetInt());
      EXPECT_EQ(decoded.cols, image["width"].GetInt());
      EXPECT_GE(decoded.rows, 48);
      EXPECT_LE(decoded.cols, 80);
    }
    for (const auto& ann : doc["annotations"].GetArray()) {
      ++total_annotations;
      EXPECT_TRUE(annotation_ids.insert(ann["id"].GetInt64()).second);
      const auto& image = doc["images"][ann["image_id"].GetInt() - 1];
      const auto& segm = ann["segmentation"];
      EXPECT_EQ(segm["size"][0].GetInt(), image["height"].GetInt());
      EXPECT_EQ(segm["size"][1].GetInt(), image["width"].GetInt());
      ops::Rle rle;
      ASSERT_TRUE(ops::FromString(segm["counts"].GetString(), segm["size"][0].GetInt(),
                                  segm["size"][1].GetInt(), &rle));
      EXPECT_EQ(ops::Area(rle), ann["area"].GetUint64());
      EXPECT_GE(ann["area"].GetInt(), 10);
      const auto box = ops::ToBbox(rle);
      for (int k = 0; k < 4; ++k) EXPECT_EQ(ann["bbox"][k].GetDouble(), box[k]);
      EXPECT_GE(ann["category_id"].GetInt(), 1);
      EXPECT_LE(ann["category_id"].GetInt(), 3);
      EXPECT_EQ(ann["iscrowd"].GetInt(), 0);
    }
  }
  EXPECT_GE(total_annotations, 9);  // every image keeps at least its top shape
}

TEST(ShapesDatasetTest, DeterministicBySeed) {
  ASSERT_TRUE(GenerateShapesDataset(SmallOptions(TempDir("a"), 7)).ok());
  ASSERT_TRUE(GenerateShapesDataset(SmallOptions(TempDir("b"), 7)).ok());
  ASSERT_TRUE(GenerateShapesDataset(SmallOptions(TempDir("c"), 8)).ok());
  const std::string file = "/annotations/instances_val.json";
  EXPECT_EQ(*ReadFile(TempDir("a") + file), *ReadFile(TempDir("b") + file));
  EXPECT_NE(*ReadFile(TempDir("a") + file), *ReadFile(TempDir("c") + file));
  EXPECT_EQ(*ReadFile(TempDir("a") + "/train/000003.jpg"),
            *ReadFile(TempDir("b") + "/train/000003.jpg"));
}

TEST(ShapesDatasetTest, BadOptionsAreInvalidArgument) {
  ShapesOptions options = SmallOptions(TempDir("bad"), 0);
  options.min_size = 100;
  options.max_size = 50;
  absl::Status status = GenerateShapesDataset(options);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(status.message()),
            "need 16 <= min_size <= max_size, got 100 and 50");
  options = SmallOptions("", 0);
  EXPECT_EQ(GenerateShapesDataset(options).code(), absl::StatusCode::kInvalidArgument);
  options = SmallOptions("/proc/not_writable/shapes", 0);
  EXPECT_FALSE(GenerateShapesDataset(options).ok());
}

}  // namespace
}  // namespace mmdet::datasets
