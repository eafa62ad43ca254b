#include "mmdet/datasets/coco_api.h"

#include <string>

#include "gtest/gtest.h"

namespace mmdet::datasets {
namespace {

constexpr char kJson[] = R"json({
  "images": [{"id": 7, "file_name": "a.jpg", "width": 100, "height": 80},
             {"id": 9, "file_name": "b.jpg", "width": 50, "height": 50}],
  "categories": [{"id": 1, "name": "cat"}, {"id": 3, "name": "dog"}],
  "annotations": [
    {"id": 1, "image_id": 7, "category_id": 3, "bbox": [10, 20, 30, 40], "area": 1200,
     "iscrowd": 0, "segmentation": [[10, 20, 40, 20, 40, 60, 10, 60]]},
    {"id": 2, "image_id": 7, "category_id": 1, "bbox": [0, 0, 100, 80], "area": 8000,
     "iscrowd": 1, "segmentation": {"size": [80, 100], "counts": [0, 8000]}},
    {"id": 3, "image_id": 7, "category_id": 1, "bbox": [5, 5, 0.5, 10], "area": 5},
    {"id": 4, "image_id": 7, "category_id": 1, "bbox": [200, 5, 10, 10], "area": 100},
    {"id": 5, "image_id": 7, "category_id": 1, "bbox": [5, 5, 10, 10], "area": 0},
    {"id": 6, "image_id": 7, "category_id": 1, "bbox": [5, 5, 10, 10], "area": 100,
     "ignore": true},
    {"id": 7, "image_id": 9, "category_id": 1, "bbox": [1.5, 2.5, 10, 10], "area": 100,
     "segmentation": {"size": [50, 50], "counts": "11110"}}
  ]
})json";

TEST(CocoApiTest, ParsesImagesCategoriesAndAnnotations) {
  // counts "11110" is a 3 x 2 RLE: size [50, 50] does not match it.
  std::string json = kJson;
  json.replace(json.find("\"counts\": \"11110\""), 17, "\"counts\": \"0\\\\Z2\"");
  auto bad = ParseCocoJson(json, "x.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(std::string(bad.status().message()),
            "x.json: annotations[6].segmentation.counts: not a valid compressed RLE for this "
            "size");

  json = kJson;
  json.replace(json.find("\"size\": [50, 50], \"counts\": \"11110\""), 35,
               "\"size\": [3, 2], \"counts\": \"11110\"");
  auto coco = ParseCocoJson(json, "x.json");
  ASSERT_TRUE(coco.ok()) << coco.status();
  ASSERT_EQ(coco->images.size(), 2u);
  EXPECT_EQ(coco->images[1].file_name, "b.jpg");
  ASSERT_EQ(coco->annotations.size(), 7u);
  EXPECT_EQ(coco->image_annotations[0].size(), 6u);
  EXPECT_EQ(coco->image_annotations[1].size(), 1u);
  const Segmentation& poly = coco->annotations[0].segmentation;
  EXPECT_EQ(poly.kind, Segmentation::Kind::kPolygons);
  EXPECT_EQ(ops::Area(SegmentationToRle(poly, 80, 100)), 30u * 40u);
  EXPECT_EQ(coco->annotations[1].segmentation.rle.counts, (std::vector<uint32_t>{0, 8000}));
  EXPECT_EQ(coco->annotations[6].segmentation.rle.counts,
            (std::vector<uint32_t>{1, 1, 1, 2, 1}));
  EXPECT_TRUE(coco->annotations[5].ignore);
}

// MMDetection v2's _parse_ann_info: crowd -> ignore; tiny, outside, zero-area and ignored
// annotations skipped; x2 = x + w without -1; labels follow the label map.
TEST(CocoApiTest, ParseAnnInfoMatchesMmdetection) {
  std::string json = kJson;
  json.replace(json.find("\"size\": [50, 50], \"counts\": \"11110\""), 35,
               "\"size\": [3, 2], \"counts\": \"11110\"");
  auto coco = ParseCocoJson(json, "x.json");
  ASSERT_TRUE(coco.ok()) << coco.status();
  auto labels = MakeLabelMap(*coco, {});
  ASSERT_TRUE(labels.ok());
  EXPECT_EQ(labels->classes, (std::vector<std::string>{"cat", "dog"}));
  CocoGroundTruth gt = ParseAnnInfo(*coco, 0, *labels);
  ASSERT_EQ(gt.bboxes.size(), 1u);
  EXPECT_EQ(gt.bboxes[0], (std::array<float, 4>{10, 20, 40, 60}));
  EXPECT_EQ(gt.labels, (std::vector<int64_t>{1}));
  ASSERT_EQ(gt.bboxes_ignore.size(), 1u);
  EXPECT_EQ(gt.bboxes_ignore[0], (std::array<float, 4>{0, 0, 100, 80}));
  EXPECT_EQ(gt.masks[0], &coco->annotations[0].segmentation);

  // classes=["dog"]: cats are skipped, dog is label 0.
  auto dogs = MakeLabelMap(*coco, {"dog"});
  ASSERT_TRUE(dogs.ok());
  EXPECT_EQ(ParseAnnInfo(*coco, 0, *dogs).labels, (std::vector<int64_t>{0}));
  EXPECT_EQ(ParseAnnInfo(*coco, 1, *dogs).bboxes.size(), 0u);
  EXPECT_EQ(MakeLabelMap(*coco, {"cow"}).status().code(), absl::StatusCode::kNotFound);
}

TEST(CocoApiTest, BadInputNamesFileAndElement) {
  struct Case {
    std::string json;
    std::string message;
  };
  const std::string head = R"({"images": [{"id": 1, "file_name": "a.jpg", "width": 4, "height": 4}],
                               "categories": [{"id": 1, "name": "a"}], "annotations": [)";
  for (const Case& c : std::vector<Case>{
           {"{\"images\": [", "bad.json: malformed JSON: "},
           {"[]", "bad.json: top level: expected an object"},
           {R"({"images": []})", "bad.json: top level: missing 'categories'"},
           {head + R"({"id": 1, "image_id": 1, "category_id": 1, "area": 1}]})",
            "bad.json: annotations[0]: missing 'bbox'"},
           {head + R"({"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3], "area": 1}]})",
            "bad.json: annotations[0].bbox: expected 4 numbers"},
           {head + R"({"id": 1, "image_id": 1, "category_id": 5, "bbox": [1, 2, 3, 4], "area": 1}]})",
            "bad.json: annotations[0].category_id: category 5 is not in categories"},
           {head + R"({"id": 1, "image_id": 2, "category_id": 1, "bbox": [1, 2, 3, 4], "area": 1}]})",
            "bad.json: annotations[0].image_id: image 2 is not in images"},
           {head + R"({"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, "2", 3, 4], "area": 1}]})",
            "bad.json: annotations[0].bbox: expected a number"},
           {head + R"({"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "area": 1,
                      "segmentation": [[1, 2, 3]]}]})",
            "bad.json: annotations[0].segmentation[0]: a polygon needs an even number (>= 6) of "
            "coordinates"},
           {head + R"({"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "area": 1,
                      "segmentation": {"size": [4, 4], "counts": [3, 4]}}]})",
            "bad.json: annotations[0].segmentation.counts: run lengths do not add up to height * "
            "width"},
       }) {
    auto coco = ParseCocoJson(c.json, "bad.json");
    ASSERT_FALSE(coco.ok()) << c.json;
    EXPECT_EQ(coco.status().code(), absl::StatusCode::kDataLoss) << c.json;
    EXPECT_EQ(std::string(coco.status().message()).rfind(c.message, 0), 0u)
        << coco.status().message();
  }
  EXPECT_EQ(LoadCocoFile("/no/such.json").status().code(), absl::StatusCode::kNotFound);
}

TEST(CocoApiTest, FileWithoutAnnotationsIsATestSet) {
  auto coco = ParseCocoJson(
      R"({"images": [{"id": 1, "file_name": "a.jpg", "width": 4, "height": 4}], "categories": []})",
      "test.json");
  ASSERT_TRUE(coco.ok()) << coco.status();
  EXPECT_EQ(coco->annotations.size(), 0u);
  EXPECT_EQ(coco->image_annotations.size(), 1u);
}

}  // namespace
}  // namespace mmdet::datasets
