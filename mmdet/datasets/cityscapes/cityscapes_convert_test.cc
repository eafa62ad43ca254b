#include "mmdet/datasets/cityscapes/cityscapes_convert.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mmdet/core/file_io.h"
#include "rapidjson/document.h"

namespace mmdet::datasets {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// An axis-aligned box polygon; pycocotools rasterises it to [x0, x1) x [y0, y1).
std::string Box(int x0, int y0, int x1, int y1) {
  return "[[" + std::to_string(x0) + "," + std::to_string(y0) + "],[" + std::to_string(x1) + "," +
         std::to_string(y0) + "],[" + std::to_string(x1) + "," + std::to_string(y1) + "],[" +
         std::to_string(x0) + "," + std::to_string(y1) + "]]";
}

std::string Object(const std::string& label, const std::string& polygon,
                   const std::string& extra = "") {
  return R"({"label": ")" + label + R"(", "polygon": )" + polygon + extra + "}";
}

std::string PolygonsJson(const std::vector<std::string>& objects, int h = 100, int w = 200) {
  std::string json = R"({"imgHeight": )" + std::to_string(h) + R"(, "imgWidth": )" +
                     std::to_string(w) + R"(, "objects": [)";
  for (size_t i = 0; i < objects.size(); ++i) json += (i ? "," : "") + objects[i];
  return json + "]}";
}

std::string TempDir(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

void WriteFile(const std::string& path, const std::string& contents) {
  ASSERT_TRUE(MakeDirs(Dirname(path)).ok());
  ASSERT_TRUE(WriteFileAtomically(path, contents).ok());
}

TEST(CityscapesConvertTest, ClassesAreTheEightInstanceLabels) {
  std::vector<std::string> names;
  std::vector<int> ids;
  for (const CityscapesClass& c : kCityscapesClasses) {
    names.push_back(c.name);
    ids.push_back(c.category_id);
  }
  EXPECT_THAT(names, ElementsAre("person", "rider", "car", "truck", "bus", "train", "motorcycle",
                                 "bicycle"));
  EXPECT_THAT(ids, ElementsAre(24, 25, 26, 27, 28, 31, 32, 33));
}

TEST(CityscapesConvertTest, PersonAndCar) {
  // The car comes first in the file; the output is ordered by category id, as the
  // reference's sorted instance ids (24000 < 26000) are.
  auto image = ParseCityscapesPolygons(
      PolygonsJson({Object("car", Box(50, 20, 90, 40)),
                    Object("person", Box(10, 10, 20, 30), R"(, "deleted": 0)")}),
      "a.json");
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->height, 100);
  EXPECT_EQ(image->width, 200);
  ASSERT_EQ(image->annotations.size(), 2u);
  const CityscapesAnnotation& person = image->annotations[0];
  EXPECT_EQ(person.category_id, 24);
  EXPECT_FALSE(person.iscrowd);
  EXPECT_EQ(person.area, 200u);
  EXPECT_THAT(person.bbox, ElementsAre(10, 10, 10, 20));
  EXPECT_THAT(person.polygons, ElementsAre(ElementsAre(10, 10, 20, 10, 20, 30, 10, 30)));
  const CityscapesAnnotation& car = image->annotations[1];
  EXPECT_EQ(car.category_id, 26);
  EXPECT_EQ(car.area, 800u);
  EXPECT_THAT(car.bbox, ElementsAre(50, 20, 40, 20));
}

TEST(CityscapesConvertTest, GroupsAreOneCrowdAnnotationPerClass) {
  auto image = ParseCityscapesPolygons(
      PolygonsJson({Object("car", Box(0, 0, 10, 10)), Object("cargroup", Box(20, 20, 30, 30)),
                    Object("cargroup", Box(40, 20, 50, 30)),
                    Object("persongroup", Box(60, 60, 70, 70))}),
      "a.json");
  ASSERT_TRUE(image.ok()) << image.status();
  ASSERT_EQ(image->annotations.size(), 3u);
  // Crowd ids (= label id) sort before instance ids (label id * 1000 + k).
  EXPECT_EQ(image->annotations[0].category_id, 24);
  EXPECT_TRUE(image->annotations[0].iscrowd);
  const CityscapesAnnotation& cars = image->annotations[1];
  EXPECT_EQ(cars.category_id, 26);
  EXPECT_TRUE(cars.iscrowd);
  EXPECT_EQ(cars.polygons.size(), 2u);
  EXPECT_EQ(cars.area, 200u);
  EXPECT_THAT(cars.bbox, ElementsAre(20, 20, 30, 10));
  EXPECT_EQ(image->annotations[2].category_id, 26);
  EXPECT_FALSE(image->annotations[2].iscrowd);
}

TEST(CityscapesConvertTest, SkipsOtherLabelsDeletedAndEmptyObjects) {
  auto image = ParseCityscapesPolygons(
      PolygonsJson({Object("road", Box(0, 0, 200, 100)), Object("caravan", Box(0, 0, 10, 10)),
                    Object("polegroup", Box(0, 0, 10, 10)),
                    Object("license plate", Box(0, 0, 10, 10)),
                    Object("bus", Box(0, 0, 10, 10), R"(, "deleted": 1)"),
                    Object("truck", Box(0, 0, 10, 10), R"(, "deleted": true)"),
                    Object("rider", "[[1, 1], [5, 5]]"),         // two points
                    Object("bicycle", Box(300, 300, 310, 310)),  // outside the image
                    Object("train", Box(0, 0, 10, 10))}),
      "a.json");
  ASSERT_TRUE(image.ok()) << image.status();
  ASSERT_EQ(image->annotations.size(), 1u);
  EXPECT_EQ(image->annotations[0].category_id, 31);
}

TEST(CityscapesConvertTest, BadFilesAreDataLossNamingFileAndElement) {
  for (const auto& [json, message] : std::vector<std::pair<std::string, std::string>>{
           {R"({"imgHeight": 10, )", "x.json: malformed JSON"},
           {"[]", "x.json: top level: expected an object"},
           {R"({"imgWidth": 5, "objects": []})", "x.json: top level: missing 'imgHeight'"},
           {R"({"imgHeight": 0, "imgWidth": 5, "objects": []})",
            "x.json: imgHeight: expected a positive integer"},
           {R"({"imgHeight": 5, "imgWidth": 5, "objects": {}})",
            "x.json: objects: expected an array"},
           {PolygonsJson({Object("car", Box(0, 0, 1, 1)), R"({"label": "car"})"}),
            "x.json: objects[1]: missing 'polygon'"},
           {PolygonsJson({R"({"label": 3, "polygon": []})"}),
            "x.json: objects[0].label: expected a string"},
           {PolygonsJson({Object("car", "[[0, 0], [1, 1], [2]]")}),
            "x.json: objects[0].polygon[2]: expected [x, y]"},
           {PolygonsJson({Object("car", R"([[0, 0], [1, "a"], [2, 2]])")}),
            "x.json: objects[0].polygon[1]: expected a number"},
       }) {
    auto image = ParseCityscapesPolygons(json, "x.json");
    EXPECT_EQ(image.status().code(), absl::StatusCode::kDataLoss) << json;
    EXPECT_THAT(image.status().message(), HasSubstr(message));
  }
}

TEST(CityscapesConvertTest, ConvertsEverySplitDeterministically) {
  const std::string root = TempDir("cityscapes_ok");
  const std::string gt = root + "/gtFine";
  WriteFile(gt + "/train/zurich/zurich_000001_000019_gtFine_polygons.json",
            PolygonsJson({Object("road", Box(0, 0, 200, 100)), Object("car", Box(5, 5, 15, 25)),
                          Object("cargroup", Box(30, 30, 40, 40))}));
  WriteFile(gt + "/train/aachen/aachen_000000_000019_gtFine_polygons.json",
            PolygonsJson({Object("person", Box(10, 10, 20, 30))}, 64, 128));
  WriteFile(gt + "/train/aachen/aachen_000000_000019_gtFine_labelIds.png", "not read");
  WriteFile(gt + "/test/berlin/berlin_000000_000019_gtFine_polygons.json",
            PolygonsJson({Object("ego vehicle", Box(0, 90, 200, 100))}));

  CityscapesOptions options;
  options.cityscapes_path = root;
  options.out_dir = root + "/annotations";
  auto written = ConvertCityscapes(options);
  ASSERT_TRUE(written.ok()) << written.status();
  ASSERT_EQ(written->size(), 2u);  // no val folder
  EXPECT_EQ((*written)[0].split, "train");
  EXPECT_EQ((*written)[0].path, root + "/annotations/instancesonly_filtered_gtFine_train.json");
  EXPECT_EQ((*written)[0].num_images, 2);
  EXPECT_EQ((*written)[0].num_annotations, 3);
  EXPECT_EQ((*written)[1].split, "test");
  EXPECT_EQ((*written)[1].num_images, 1);
  EXPECT_EQ((*written)[1].num_annotations, 0);

  auto train = ReadFile((*written)[0].path);
  ASSERT_TRUE(train.ok());
  rapidjson::Document doc;
  doc.Parse(train->c_str());
  ASSERT_FALSE(doc.HasParseError());
  const auto& images = doc["images"];
  ASSERT_EQ(images.Size(), 2u);
  // Sorted by city: aachen before zurich; image ids from 0.
  EXPECT_EQ(images[0]["id"].GetInt(), 0);
  EXPECT_STREQ(images[0]["file_name"].GetString(), "aachen/aachen_000000_000019_leftImg8bit.png");
  EXPECT_STREQ(images[0]["segm_file"].GetString(),
               "aachen/aachen_000000_000019_gtFine_labelIds.png");
  EXPECT_EQ(images[0]["height"].GetInt(), 64);
  EXPECT_EQ(images[0]["width"].GetInt(), 128);
  EXPECT_STREQ(images[1]["file_name"].GetString(), "zurich/zurich_000001_000019_leftImg8bit.png");
  ASSERT_EQ(doc["categories"].Size(), 8u);
  EXPECT_EQ(doc["categories"][5]["id"].GetInt(), 31);
  EXPECT_STREQ(doc["categories"][5]["name"].GetString(), "train");
  const auto& annotations = doc["annotations"];
  ASSERT_EQ(annotations.Size(), 3u);
  EXPECT_EQ(annotations[0]["id"].GetInt(), 1);
  EXPECT_EQ(annotations[0]["image_id"].GetInt(), 0);
  EXPECT_EQ(annotations[0]["category_id"].GetInt(), 24);
  EXPECT_EQ(annotations[0]["area"].GetInt(), 200);
  EXPECT_EQ(annotations[0]["iscrowd"].GetInt(), 0);
  EXPECT_EQ(annotations[0]["bbox"][2].GetDouble(), 10);
  EXPECT_EQ(annotations[0]["segmentation"][0].Size(), 8u);
  EXPECT_EQ(annotations[1]["image_id"].GetInt(), 1);
  EXPECT_EQ(annotations[1]["iscrowd"].GetInt(), 1);  // the cargroup
  EXPECT_EQ(annotations[2]["iscrowd"].GetInt(), 0);
  EXPECT_EQ(annotations[2]["id"].GetInt(), 3);

  auto test = ReadFile((*written)[1].path);
  ASSERT_TRUE(test.ok());
  doc.Parse(test->c_str());
  EXPECT_FALSE(doc.HasMember("annotations"));  // as the reference, for the unlabelled split

  // More threads, same bytes.
  options.out_dir = root + "/annotations4";
  options.nproc = 4;
  ASSERT_TRUE(ConvertCityscapes(options).ok());
  EXPECT_EQ(ReadFile(root + "/annotations4/instancesonly_filtered_gtFine_train.json").value(),
            *train);
}

TEST(CityscapesConvertTest, ConvertErrors) {
  CityscapesOptions options;
  options.cityscapes_path = TempDir("no_such_cityscapes");
  options.out_dir = TempDir("unused");
  EXPECT_EQ(ConvertCityscapes(options).status().code(), absl::StatusCode::kNotFound);

  const std::string root = TempDir("cityscapes_bad");
  ASSERT_TRUE(MakeDirs(root + "/gtFine/other").ok());
  options.cityscapes_path = root;
  auto none = ConvertCityscapes(options);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(none.status().message(), HasSubstr("gtFine: no train, val or test folder"));

  ASSERT_TRUE(MakeDirs(root + "/gtFine/val/bonn").ok());
  auto empty = ConvertCityscapes(options);
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(empty.status().message(), HasSubstr("gtFine/val: no {city}/*_gtFine_polygons.json"));

  const std::string bad = root + "/gtFine/val/bonn/bonn_000000_000019_gtFine_polygons.json";
  WriteFile(bad, R"({"imgHeight": 10, "imgWidth": 10, "objects": [{"label": "car"}]})");
  options.nproc = 3;
  auto malformed = ConvertCityscapes(options);
  EXPECT_EQ(malformed.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(malformed.status().message(), bad + ": objects[0]: missing 'polygon'");
  EXPECT_FALSE(ReadFile(options.out_dir + "/instancesonly_filtered_gtFine_val.json").ok());
}

}  // namespace
}  // namespace mmdet::datasets
