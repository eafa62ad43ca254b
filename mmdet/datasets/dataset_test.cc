#include "mmdet/datasets/dataset.h"

#include <filesystem>
#include <string>
#include <vector>

#include "google/protobuf/text_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mmdet/core/file_io.h"
#include "mmdet/datasets/coco_dataset.h"
#include "opencv2/imgcodecs.hpp"

namespace mmdet::datasets {
namespace {

using ::testing::HasSubstr;

namespace fs = std::filesystem;

config::Dataset Parse(const std::string& text) {
  config::Dataset cfg;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &cfg)) << text;
  return cfg;
}

// The ground truth pipeline every test uses: image + boxes + masks.
constexpr char kLoad[] = R"(
  pipeline { load_image_from_file {} }
  pipeline { load_annotations { with_mask: true } }
)";

class DatasetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::path(::testing::TempDir()) / "dataset_test").string();
    fs::remove_all(dir_);
    fs::create_directories(dir_ + "/img");
    for (const auto& [name, w, h] : std::vector<std::tuple<std::string, int, int>>{
             {"wide.jpg", 80, 60}, {"tall.jpg", 60, 80}, {"empty.jpg", 64, 48},
             {"tiny.jpg", 20, 20}, {"crowd.jpg", 64, 64}}) {
      cv::Mat img(h, w, CV_8UC3, cv::Scalar(10, 20, 30));
      ASSERT_TRUE(cv::imwrite(dir_ + "/img/" + name, img));
    }
    // Categories 3 (circle) and 7 (square); images 1..5.
    Write("coco.json", R"({
      "images": [
        {"id": 1, "file_name": "wide.jpg", "width": 80, "height": 60},
        {"id": 2, "file_name": "tall.jpg", "width": 60, "height": 80},
        {"id": 3, "file_name": "empty.jpg", "width": 64, "height": 48},
        {"id": 4, "file_name": "tiny.jpg", "width": 20, "height": 20},
        {"id": 5, "file_name": "crowd.jpg", "width": 64, "height": 64}],
      "categories": [{"id": 3, "name": "circle"}, {"id": 7, "name": "square"}],
      "annotations": [
        {"id": 1, "image_id": 1, "category_id": 7, "bbox": [10, 10, 20, 30], "area": 600,
         "iscrowd": 0, "segmentation": [[10, 10, 30, 10, 30, 40, 10, 40]]},
        {"id": 2, "image_id": 1, "category_id": 3, "bbox": [40, 5, 10, 10], "area": 100,
         "iscrowd": 1, "segmentation": [[40, 5, 50, 5, 50, 15, 40, 15]]},
        {"id": 3, "image_id": 2, "category_id": 3, "bbox": [0, 0, 60, 80], "area": 4800,
         "iscrowd": 0, "segmentation": [[0, 0, 60, 0, 60, 80, 0, 80]]},
        {"id": 4, "image_id": 4, "category_id": 3, "bbox": [1, 1, 5, 5], "area": 25,
         "iscrowd": 0, "segmentation": [[1, 1, 6, 1, 6, 6, 1, 6]]},
        {"id": 5, "image_id": 5, "category_id": 7, "bbox": [1, 1, 30, 30], "area": 900,
         "iscrowd": 1, "segmentation": [[1, 1, 31, 1, 31, 31, 1, 31]]}]
    })");
  }

  void Write(const std::string& name, const std::string& text) {
    ASSERT_TRUE(WriteFileAtomically(dir_ + "/" + name, text).ok());
  }

  std::shared_ptr<Dataset> Build(const std::string& text) {
    auto built = BuildDataset(Parse(text), "data.train");
    EXPECT_TRUE(built.ok()) << built.status();
    return built.ok() ? *built : nullptr;
  }

  std::string BuildError(const std::string& text) {
    auto built = BuildDataset(Parse(text), "data.train");
    EXPECT_FALSE(built.ok());
    return built.ok() ? "" : std::string(built.status().message());
  }

  std::string Coco(const std::string& extra = "") {
    return "coco_dataset { ann_file: 'coco.json' img_prefix: 'img' data_root: '" + dir_ + "' " +
           kLoad + extra + " }";
  }

  std::string dir_;
};

TEST(DatasetRegistryTest, EveryDatasetTypeHasAFactory) {
  EXPECT_TRUE(MissingFactories(config::Dataset::descriptor(), DatasetRegistry::Global()).empty());
}

TEST_F(DatasetTest, CocoFiltersTrainingImagesAsMMDetection) {
  auto dataset = Build(Coco());
  ASSERT_NE(dataset, nullptr);
  // empty.jpg has no annotation, tiny.jpg is below min_size 32; crowd.jpg (crowd only) stays.
  ASSERT_EQ(dataset->size(), 3u);
  EXPECT_EQ(dataset->image_info(0).filename, "wide.jpg");
  EXPECT_EQ(dataset->image_info(1).filename, "tall.jpg");
  EXPECT_EQ(dataset->image_info(2).filename, "crowd.jpg");
  EXPECT_EQ(dataset->group_flag(0), 1);  // 80 / 60 > 1
  EXPECT_EQ(dataset->group_flag(1), 0);
  EXPECT_EQ(dataset->group_flag(2), 0);  // square: not > 1
  EXPECT_EQ(dataset->classes(), (std::vector<std::string>{"circle", "square"}));
  EXPECT_FALSE(dataset->test_mode());

  auto ann = dataset->ann_info(0);
  ASSERT_TRUE(ann.ok()) << ann.status();
  ASSERT_EQ(ann->bboxes.size(), 1u);
  EXPECT_EQ(ann->bboxes[0], (Box{10, 10, 30, 40}));  // v2: x2 = x + w
  EXPECT_EQ(ann->labels, (std::vector<int64_t>{1}));
  ASSERT_EQ(ann->bboxes_ignore.size(), 1u);          // the crowd circle
  EXPECT_EQ(ann->seg_map, "wide.png");
  EXPECT_EQ(ann->masks.size(), 1u);

  Rng rng(0);
  auto samples = dataset->Get(0, rng);
  ASSERT_TRUE(samples.ok()) << samples.status();
  ASSERT_EQ(samples->size(), 1u);
  const Results& r = (*samples)[0];
  EXPECT_EQ(r.img.cols, 80);
  EXPECT_EQ(r.img.rows, 60);
  EXPECT_EQ(r.gt_labels, (std::vector<int64_t>{1}));
  ASSERT_EQ(r.gt_masks.size(), 1u);
  EXPECT_EQ(cv::countNonZero(r.gt_masks[0]), 20 * 30);
  EXPECT_EQ(r.meta.filename, dir_ + "/img/wide.jpg");
}

TEST_F(DatasetTest, CocoKeepsEveryImageInTestModeWithoutGroundTruthInResults) {
  auto dataset = Build("coco_dataset { ann_file: 'coco.json' img_prefix: 'img' data_root: '" +
                       dir_ + "' test_mode: true pipeline { load_image_from_file {} } }");
  ASSERT_NE(dataset, nullptr);
  ASSERT_EQ(dataset->size(), 5u);
  Rng rng(0);
  auto samples = dataset->Get(2, rng);  // empty.jpg
  ASSERT_TRUE(samples.ok()) << samples.status();
  ASSERT_EQ(samples->size(), 1u);
  EXPECT_FALSE((*samples)[0].has_ann_info);
  EXPECT_TRUE(dataset->ann_info(0).ok());  // evaluation still sees the ground truth
}

TEST_F(DatasetTest, CocoWithoutFilterKeepsEmptyImagesButNotTinyOnes) {
  auto dataset = Build(Coco("filter_empty_gt: false"));
  ASSERT_NE(dataset, nullptr);
  EXPECT_EQ(dataset->size(), 4u);
  dataset = Build(Coco("filter_empty_gt: false min_size: 0"));
  ASSERT_NE(dataset, nullptr);
  EXPECT_EQ(dataset->size(), 5u);
}

TEST_F(DatasetTest, CocoClassesSelectAndOrderLabels) {
  auto dataset = Build(Coco("classes: 'square'"));
  ASSERT_NE(dataset, nullptr);
  // Only images with a square: wide.jpg and crowd.jpg.
  ASSERT_EQ(dataset->size(), 2u);
  auto ann = dataset->ann_info(0);
  ASSERT_TRUE(ann.ok());
  EXPECT_EQ(ann->labels, (std::vector<int64_t>{0}));
  EXPECT_TRUE(ann->bboxes_ignore.empty());  // the crowd circle is not a selected class

  Write("classes.txt", "square\n\n  circle \n");
  dataset = Build(Coco("classes: '" + dir_ + "/classes.txt'"));
  ASSERT_NE(dataset, nullptr);
  EXPECT_EQ(dataset->classes(), (std::vector<std::string>{"square", "circle"}));
  ann = dataset->ann_info(0);
  ASSERT_TRUE(ann.ok());
  EXPECT_EQ(ann->labels, (std::vector<int64_t>{0}));

  EXPECT_THAT(BuildError(Coco("classes: 'hexagon'")),
              HasSubstr("data.train.coco_dataset.classes"));
  EXPECT_THAT(BuildError(Coco("classes: 'square' classes: 'square'")), HasSubstr("twice"));
  EXPECT_THAT(BuildError(Coco("classes: 'nope.txt'")), HasSubstr("nope.txt"));
}

TEST_F(DatasetTest, CityscapesDropsAllCrowdImagesAndMapsSegFiles) {
  Write("cs.json", R"({
    "images": [
      {"id": 1, "file_name": "a/a_leftImg8bit.png", "width": 64, "height": 32},
      {"id": 2, "file_name": "b/b_leftImg8bit.png", "width": 64, "height": 32}],
    "categories": [{"id": 24, "name": "person"}, {"id": 25, "name": "rider"},
                   {"id": 26, "name": "car"}, {"id": 27, "name": "truck"},
                   {"id": 28, "name": "bus"}, {"id": 31, "name": "train"},
                   {"id": 32, "name": "motorcycle"}, {"id": 33, "name": "bicycle"}],
    "annotations": [
      {"id": 1, "image_id": 1, "category_id": 26, "bbox": [1, 1, 10, 10], "area": 100,
       "iscrowd": 0, "segmentation": [[1, 1, 11, 1, 11, 11, 1, 11]]},
      {"id": 2, "image_id": 2, "category_id": 24, "bbox": [1, 1, 10, 10], "area": 100,
       "iscrowd": 1, "segmentation": [[1, 1, 11, 1, 11, 11, 1, 11]]}]
  })");
  auto dataset = Build("cityscapes_dataset { ann_file: '" + dir_ + "/cs.json' }");
  ASSERT_NE(dataset, nullptr);
  ASSERT_EQ(dataset->size(), 1u);
  EXPECT_EQ(dataset->classes(), CityscapesClasses());
  auto ann = dataset->ann_info(0);
  ASSERT_TRUE(ann.ok());
  EXPECT_EQ(ann->labels, (std::vector<int64_t>{2}));  // car is the third class
  EXPECT_EQ(ann->seg_map, "a/a_gtFine_labelIds.png");
}

TEST_F(DatasetTest, MissingOrCorruptImageNamesFileAndIndex) {
  fs::remove(dir_ + "/img/tall.jpg");
  Write("img/crowd.jpg", "not a jpeg");
  auto dataset = Build(Coco());
  ASSERT_NE(dataset, nullptr);
  Rng rng(0);
  auto missing = dataset->Get(1, rng);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("coco.json: image 1 (tall.jpg)"));
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("LoadImageFromFile"));
  auto corrupt = dataset->Get(2, rng);
  ASSERT_FALSE(corrupt.ok());
  EXPECT_THAT(std::string(corrupt.status().message()), HasSubstr("image 2 (crowd.jpg)"));
  EXPECT_EQ(corrupt.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(dataset->Get(3, rng).status().code(), absl::StatusCode::kOutOfRange);
}

TEST_F(DatasetTest, MalformedOrMissingAnnotationFileIsAnError) {
  Write("bad.json", R"({"images": [)");
  EXPECT_THAT(BuildError("coco_dataset { ann_file: '" + dir_ + "/bad.json' }"),
              HasSubstr("bad.json: malformed JSON"));
  EXPECT_THAT(BuildError("coco_dataset { ann_file: '" + dir_ + "/none.json' }"),
              HasSubstr("none.json"));
  EXPECT_THAT(BuildError("coco_dataset { }"), HasSubstr("data.train.coco_dataset.ann_file"));
  EXPECT_THAT(BuildError(""), HasSubstr("data.train: no type set"));
}

TEST_F(DatasetTest, DroppedTrainingSampleIsReplacedFromTheSameGroup) {
  // The landscape group is empty.jpg (no box: RandomCrop drops it) and wide.jpg (a crop as
  // large as the image keeps its box).
  const std::string pipeline =
      std::string(kLoad) + "pipeline { random_crop { crop_size { w: 80 h: 60 } } }";
  auto dataset = Build("coco_dataset { ann_file: 'coco.json' img_prefix: 'img' data_root: '" +
                       dir_ + "' filter_empty_gt: false " + pipeline + " }");
  ASSERT_NE(dataset, nullptr);
  ASSERT_EQ(dataset->size(), 4u);  // wide, tall, empty, crowd
  ASSERT_EQ(dataset->image_info(2).filename, "empty.jpg");
  Rng rng(7);
  for (int trial = 0; trial < 5; ++trial) {
    auto samples = dataset->Get(2, rng);
    ASSERT_TRUE(samples.ok()) << samples.status();
    ASSERT_EQ(samples->size(), 1u);
    // The only other landscape image is wide.jpg.
    EXPECT_EQ((*samples)[0].img_info.filename, "wide.jpg");
  }
}

TEST_F(DatasetTest, PipelineThatAlwaysDropsIsReportedNotLoopedOn) {
  Write("empty_only.json", R"({
    "images": [{"id": 1, "file_name": "empty.jpg", "width": 64, "height": 48}],
    "categories": [{"id": 1, "name": "thing"}], "annotations": []})");
  auto dataset = Build("coco_dataset { ann_file: '" + dir_ +
                       "/empty_only.json' img_prefix: '" + dir_ +
                       "/img' filter_empty_gt: false " + kLoad +
                       " pipeline { random_crop { crop_size { w: 32 h: 32 } } } }");
  ASSERT_NE(dataset, nullptr);
  Rng rng(0);
  auto samples = dataset->Get(0, rng);
  ASSERT_FALSE(samples.ok());
  EXPECT_EQ(samples.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(samples.status().message()), HasSubstr("dropped"));
}

TEST_F(DatasetTest, ProposalsFollowTheirImageThroughTheFilter) {
  Write("proposals.json", "[[[1, 2, 3, 4, 0.5]], [[0, 0, 0, 0]], [[0, 0, 5, 5]], [], [[9, 9, 19, 19, 0.1]]]");
  auto dataset = Build(Coco("proposal_file: 'proposals.json'"));
  ASSERT_NE(dataset, nullptr);
  ASSERT_EQ(dataset->size(), 3u);
  Rng rng(0);
  auto samples = dataset->Get(2, rng);  // crowd.jpg, the file's fifth image
  ASSERT_TRUE(samples.ok()) << samples.status();
  ASSERT_TRUE((*samples)[0].proposals.has_value());
  ASSERT_EQ((*samples)[0].proposals->size(), 1u);
  EXPECT_EQ((*(*samples)[0].proposals)[0], (Box{9, 9, 19, 19}));  // LoadProposals drops scores

  // Proposals are a bbox field: Resize scales them with the image (80x60 -> 160x120).
  auto resized = Build(Coco("proposal_file: 'proposals.json' pipeline { resize { "
                            "img_scale { w: 160 h: 120 } keep_ratio: true } }"));
  ASSERT_NE(resized, nullptr);
  auto scaled = resized->Get(0, rng);
  ASSERT_TRUE(scaled.ok()) << scaled.status();
  EXPECT_EQ((*(*scaled)[0].proposals)[0], (Box{2, 4, 6, 8}));

  Write("short.json", "[[]]");
  EXPECT_THAT(BuildError(Coco("proposal_file: 'short.json'")),
              HasSubstr("1 proposal lists for 5 images"));
  Write("bad_rows.json", "[[[1, 2, 3]], [], [], [], []]");
  EXPECT_THAT(BuildError(Coco("proposal_file: 'bad_rows.json'")),
              HasSubstr("bad_rows.json: [0][0]: expected [x1, y1, x2, y2]"));
}

TEST_F(DatasetTest, VocReadsXmlAnnotationsAsMMDetection) {
  fs::create_directories(dir_ + "/VOC2007/Annotations");
  fs::create_directories(dir_ + "/VOC2007/ImageSets/Main");
  auto xml = [](int w, int h, const std::string& objects) {
    return "<annotation><size><width>" + std::to_string(w) + "</width><height>" +
           std::to_string(h) + "</height><depth>3</depth></size>" + objects + "</annotation>";
  };
  auto object = [](const std::string& name, int difficult, int x1, int y1, int x2, int y2) {
    return "<object><name>" + name + "</name><difficult>" + std::to_string(difficult) +
           "</difficult><bndbox><xmin>" + std::to_string(x1) + "</xmin><ymin>" +
           std::to_string(y1) + "</ymin><xmax>" + std::to_string(x2) + "</xmax><ymax>" +
           std::to_string(y2) + "</ymax></bndbox></object>";
  };
  Write("VOC2007/Annotations/000001.xml",
        xml(500, 375, object("dog", 0, 48, 240, 195, 371) + object("person", 1, 8, 12, 352, 498)));
  Write("VOC2007/Annotations/000002.xml", xml(400, 300, object("unicorn", 0, 1, 1, 50, 50)));
  Write("VOC2007/Annotations/000003.xml", xml(300, 400, object("cat", 0, 1, 1, 50, 50)));
  Write("VOC2007/ImageSets/Main/trainval.txt", "000001\n000002\r\n000003\n");
  const std::string cfg = "voc_dataset { ann_file: 'VOC2007/ImageSets/Main/trainval.txt' "
                          "img_prefix: 'VOC2007/' data_root: '" + dir_ + "' }";
  auto dataset = Build(cfg);
  ASSERT_NE(dataset, nullptr);
  ASSERT_EQ(dataset->size(), 2u);  // 000002 has only an unknown class
  EXPECT_EQ(dataset->classes().size(), 20u);
  EXPECT_EQ(dataset->image_info(0).filename, "JPEGImages/000001.jpg");
  EXPECT_EQ(dataset->group_flag(0), 1);
  EXPECT_EQ(dataset->group_flag(1), 0);
  auto ann = dataset->ann_info(0);
  ASSERT_TRUE(ann.ok());
  EXPECT_EQ(ann->bboxes, (std::vector<Box>{{47, 239, 194, 370}}));  // minus 1
  EXPECT_EQ(ann->labels, (std::vector<int64_t>{11}));                // dog
  EXPECT_EQ(ann->bboxes_ignore, (std::vector<Box>{{7, 11, 351, 497}}));
  EXPECT_EQ(ann->labels_ignore, (std::vector<int64_t>{14}));         // person, difficult

  auto test = Build("voc_dataset { ann_file: 'VOC2007/ImageSets/Main/trainval.txt' "
                    "img_prefix: 'VOC2007/' test_mode: true data_root: '" + dir_ + "' }");
  ASSERT_NE(test, nullptr);
  EXPECT_EQ(test->size(), 3u);

  Write("VOC2007/Annotations/000003.xml", "<annotation><size>");
  EXPECT_THAT(BuildError(cfg), HasSubstr("VOC2007/Annotations/000003.xml: malformed XML"));
}

TEST_F(DatasetTest, CustomMiddleFormat) {
  Write("middle.json", R"([
    {"filename": "wide.jpg", "width": 80, "height": 60,
     "ann": {"bboxes": [[1, 2, 30, 40], [0, 0, 80, 60]], "labels": [1, 0],
             "bboxes_ignore": [[5, 5, 9, 9]], "labels_ignore": [0]}},
    {"filename": "tall.jpg", "width": 60, "height": 80,
     "ann": {"bboxes": [], "labels": []}},
    {"filename": "tiny.jpg", "width": 20, "height": 20,
     "ann": {"bboxes": [[1, 1, 5, 5]], "labels": [0]}}
  ])");
  const std::string head = "custom_dataset { ann_file: 'middle.json' img_prefix: 'img' data_root: '" +
                           dir_ + "' classes: 'a' classes: 'b' ";
  auto dataset = Build(head +
                       "pipeline { load_image_from_file {} } pipeline { load_annotations {} } }");
  ASSERT_NE(dataset, nullptr);
  ASSERT_EQ(dataset->size(), 2u);  // tiny.jpg is below 32; the empty tall.jpg stays
  auto ann = dataset->ann_info(0);
  ASSERT_TRUE(ann.ok());
  EXPECT_EQ(ann->bboxes.size(), 2u);
  EXPECT_EQ(ann->labels, (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(ann->bboxes_ignore.size(), 1u);
  Rng rng(0);
  auto samples = dataset->Get(0, rng);
  ASSERT_TRUE(samples.ok()) << samples.status();
  EXPECT_EQ((*samples)[0].gt_bboxes.size(), 2u);

  auto error_for = [&](const std::string& entry) {
    Write("bad.json", "[" + entry + "]");
    return BuildError("custom_dataset { ann_file: '" + dir_ +
                      "/bad.json' classes: 'a' classes: 'b' }");
  };
  const std::string wide = R"("filename": "wide.jpg", "width": 80, "height": 60, )";
  EXPECT_THAT(error_for("{" + wide + R"("ann": {"bboxes": [[5, 5, 2, 9]], "labels": [0]}})"),
              HasSubstr("bad.json: [0].ann.bboxes[0]: box [5, 5, 2, 9] is degenerate"));
  EXPECT_THAT(error_for("{" + wide + R"("ann": {"bboxes": [[90, 5, 99, 9]], "labels": [0]}})"),
              HasSubstr("[0].ann.bboxes[0]: box [90, 5, 99, 9] lies outside the 80x60 image"));
  EXPECT_THAT(error_for("{" + wide + R"("ann": {"bboxes": [[1, 1, 9, 9]], "labels": [2]}})"),
              HasSubstr("[0].ann.labels[0]: unknown class: label 2"));
  EXPECT_THAT(error_for("{" + wide + R"("ann": {"bboxes": [[1, 1, 9, 9]], "labels": []}})"),
              HasSubstr("[0].ann.labels: 0 labels for 1 boxes"));
  EXPECT_THAT(error_for(R"({"filename": "wide.jpg", "width": 80, "height": 60})"),
              HasSubstr("[0]: missing 'ann'"));
  EXPECT_THAT(error_for(R"({"filename": "x.jpg", "width": "80", "height": 60, "ann": {}})"),
              HasSubstr("[0].width: expected a number"));
  EXPECT_THAT(error_for("{"), HasSubstr("bad.json: malformed JSON"));
  EXPECT_THAT(BuildError("custom_dataset { ann_file: '" + dir_ + "/middle.json' }"),
              HasSubstr("data.train.custom_dataset.classes: required"));
}

TEST_F(DatasetTest, RepeatAndConcatWrapTheirDatasets) {
  const std::string coco = Coco();
  auto repeat = Build("repeat_dataset { times: 3 dataset { " + coco + " } }");
  ASSERT_NE(repeat, nullptr);
  ASSERT_EQ(repeat->size(), 9u);
  EXPECT_EQ(repeat->image_info(4).filename, "tall.jpg");
  EXPECT_EQ(repeat->group_flag(3), 1);
  EXPECT_EQ(repeat->classes().size(), 2u);
  Rng rng(0);
  auto samples = repeat->Get(8, rng);
  ASSERT_TRUE(samples.ok()) << samples.status();
  EXPECT_EQ((*samples)[0].img_info.filename, "crowd.jpg");

  auto concat = Build("concat_dataset { datasets { " + coco + " } datasets { " +
                      Coco("test_mode: true") + " } }");
  ASSERT_NE(concat, nullptr);
  ASSERT_EQ(concat->size(), 8u);
  EXPECT_EQ(concat->image_info(2).filename, "crowd.jpg");
  EXPECT_EQ(concat->image_info(3).filename, "wide.jpg");
  EXPECT_EQ(concat->image_info(7).filename, "crowd.jpg");
  EXPECT_EQ(concat->Get(8, rng).status().code(), absl::StatusCode::kOutOfRange);

  EXPECT_THAT(BuildError("repeat_dataset { times: 0 dataset { " + coco + " } }"),
              HasSubstr("data.train.repeat_dataset.times"));
  EXPECT_THAT(BuildError("concat_dataset { datasets { " + coco +
                         " } datasets { coco_dataset { } } }"),
              HasSubstr("data.train.concat_dataset.datasets[1].coco_dataset.ann_file"));
}

}  // namespace
}  // namespace mmdet::datasets
