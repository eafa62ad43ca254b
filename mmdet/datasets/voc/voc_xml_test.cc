#include "mmdet/datasets/voc/voc_xml.h"

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mmdet/core/file_io.h"

namespace mmdet::datasets {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Box = std::array<float, 4>;

// A VOC2007-style file: a dog, a difficult person and a float-coordinate chair.
constexpr char kXml[] = R"xml(<?xml version="1.0"?>
<annotation>
  <folder>VOC2007</folder>
  <filename>000001.jpg</filename>
  <size><width>353</width><height>500</height><depth>3</depth></size>
  <segmented>0</segmented>
  <object>
    <name>dog</name><pose>Left</pose><truncated>1</truncated><difficult>0</difficult>
    <bndbox><xmin>48</xmin><ymin>240</ymin><xmax>195</xmax><ymax>371</ymax></bndbox>
  </object>
  <object>
    <name>person</name><difficult>1</difficult>
    <bndbox><xmin>8</xmin><ymin>12</ymin><xmax>352</xmax><ymax>498</ymax></bndbox>
  </object>
  <object>
    <name>chair</name>
    <bndbox><xmin> 10.9 </xmin><ymin>20.2</ymin><xmax>30.5</xmax><ymax>40.99</ymax></bndbox>
  </object>
</annotation>
)xml";

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

// kXml with the first occurrence of `from` replaced by `to`.
std::string Edited(const std::string& from, const std::string& to) {
  std::string xml = kXml;
  const size_t at = xml.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) xml.replace(at, from.size(), to);
  return xml;
}

std::string ErrorOf(const std::string& xml, const VocParseOptions& options = {}) {
  auto ann = ParseVocXml(xml, "x.xml", VocClasses(), options);
  if (ann.ok()) return "OK";
  EXPECT_EQ(ann.status().code(), absl::StatusCode::kDataLoss) << ann.status();
  return std::string(ann.status().message());
}

TEST(VocXmlTest, ClassesInMmdetectionOrder) {
  const auto& classes = VocClasses();
  ASSERT_EQ(classes.size(), 20u);
  EXPECT_EQ(classes[0], "aeroplane");
  EXPECT_EQ(classes[6], "car");
  EXPECT_EQ(classes[11], "dog");
  EXPECT_EQ(classes[14], "person");
  EXPECT_EQ(classes[19], "tvmonitor");
}

// Size, labels, difficult -> ignore, int(float(text)) truncation, and -1 on every coordinate.
TEST(VocXmlTest, ParsesLikeXmlDataset) {
  auto ann = ParseVocXml(kXml, "x.xml", VocClasses());
  ASSERT_TRUE(ann.ok()) << ann.status();
  EXPECT_EQ(ann->filename, "");
  EXPECT_EQ(ann->width, 353);
  EXPECT_EQ(ann->height, 500);
  EXPECT_THAT(ann->bboxes, ElementsAre(Box{47, 239, 194, 370}, Box{9, 19, 29, 39}));
  EXPECT_THAT(ann->labels, ElementsAre(11, 8));
  EXPECT_THAT(ann->bboxes_ignore, ElementsAre(Box{7, 11, 351, 497}));
  EXPECT_THAT(ann->labels_ignore, ElementsAre(14));
}

TEST(VocXmlTest, MinusOneCanGoNegative) {
  auto ann = ParseVocXml(
      Edited("<xmin>48</xmin><ymin>240</ymin>", "<xmin>1</xmin><ymin>0.7</ymin>"), "x.xml",
      VocClasses());
  ASSERT_TRUE(ann.ok()) << ann.status();
  EXPECT_EQ(ann->bboxes[0], (Box{0, -1, 194, 370}));
}

TEST(VocXmlTest, DifficultNonZeroIsIgnored) {
  auto ann = ParseVocXml(Edited("<difficult>0</difficult>", "<difficult> 2 </difficult>"),
                         "x.xml", VocClasses());
  ASSERT_TRUE(ann.ok()) << ann.status();
  EXPECT_THAT(ann->labels, ElementsAre(8));
  EXPECT_THAT(ann->labels_ignore, ElementsAre(11, 14));
  EXPECT_EQ(ann->bboxes_ignore[0], (Box{47, 239, 194, 370}));
}

// min_size compares the integer width/height (xmax - xmin) before the -1; the chair is
// 20 x 20 and the dog 147 x 131.
TEST(VocXmlTest, MinSizeSendsSmallBoxesToIgnore) {
  VocParseOptions options;
  options.min_size = 20;
  auto ann = ParseVocXml(kXml, "x.xml", VocClasses(), options);
  ASSERT_TRUE(ann.ok()) << ann.status();
  EXPECT_THAT(ann->labels, ElementsAre(11, 8));

  options.min_size = 20.5;
  ann = ParseVocXml(kXml, "x.xml", VocClasses(), options);
  ASSERT_TRUE(ann.ok()) << ann.status();
  EXPECT_THAT(ann->labels, ElementsAre(11));
  EXPECT_THAT(ann->labels_ignore, ElementsAre(14, 8));
  EXPECT_EQ(ann->bboxes_ignore[1], (Box{9, 19, 29, 39}));

  options.min_size = 140;
  ann = ParseVocXml(kXml, "x.xml", VocClasses(), options);
  ASSERT_TRUE(ann.ok()) << ann.status();
  EXPECT_TRUE(ann->labels.empty());
  EXPECT_THAT(ann->labels_ignore, ElementsAre(11, 14, 8));
}

TEST(VocXmlTest, UnknownClassIsAnErrorUnlessSkipped) {
  const std::string xml = Edited("<name>person</name>", "<name>persn</name>");
  EXPECT_EQ(ErrorOf(xml),
            "x.xml: object[1].name: unknown class 'persn' (not among the 20 classes)");

  VocParseOptions options;
  options.skip_unknown_classes = true;
  auto ann = ParseVocXml(xml, "x.xml", VocClasses(), options);
  ASSERT_TRUE(ann.ok()) << ann.status();
  EXPECT_THAT(ann->labels, ElementsAre(11, 8));
  EXPECT_TRUE(ann->labels_ignore.empty());

  // A class subset relabels from 0.
  ann = ParseVocXml(kXml, "x.xml", {"chair", "dog"}, options);
  ASSERT_TRUE(ann.ok()) << ann.status();
  EXPECT_THAT(ann->labels, ElementsAre(1, 0));
}

TEST(VocXmlTest, MalformedXmlNamesFileAndOffset) {
  const std::string xml = Edited("</size>", "</sise>");
  const std::string error = ErrorOf(xml);
  EXPECT_THAT(error, HasSubstr("x.xml: malformed XML at offset "));
  EXPECT_THAT(error, HasSubstr("(line 5, column "));
  EXPECT_THAT(error, HasSubstr("Start-end tags mismatch"));
  EXPECT_THAT(ErrorOf(""), HasSubstr("x.xml: malformed XML at offset 0 (line 1, column 1): "));
}

TEST(VocXmlTest, MissingOrBadElementsNameTheElement) {
  EXPECT_EQ(ErrorOf(Edited("<size><width>353</width><height>500</height><depth>3</depth></size>",
                           "")),
            "x.xml: annotation: missing <size>");
  EXPECT_EQ(ErrorOf(Edited("<height>500</height>", "")), "x.xml: size: missing <height>");
  EXPECT_EQ(ErrorOf(Edited("<width>353</width>", "<width>353.5</width>")),
            "x.xml: size.width: expected an integer, got '353.5'");
  EXPECT_EQ(ErrorOf(Edited("<bndbox><xmin>8</xmin><ymin>12</ymin><xmax>352</xmax><ymax>498</ymax>"
                           "</bndbox>",
                           "")),
            "x.xml: object[1]: missing <bndbox>");
  EXPECT_EQ(ErrorOf(Edited("<xmax>30.5</xmax>", "")), "x.xml: object[2].bndbox: missing <xmax>");
  EXPECT_EQ(ErrorOf(Edited("<xmin> 10.9 </xmin>", "<xmin>abc</xmin>")),
            "x.xml: object[2].bndbox.xmin: expected a number, got 'abc'");
  EXPECT_EQ(ErrorOf(Edited("<ymax>40.99</ymax>", "<ymax></ymax>")),
            "x.xml: object[2].bndbox.ymax: expected a number, got ''");
  EXPECT_EQ(ErrorOf(Edited("<ymax>40.99</ymax>", "<ymax>nan</ymax>")),
            "x.xml: object[2].bndbox.ymax: expected a finite number, got 'nan'");
  EXPECT_EQ(ErrorOf(Edited("<difficult>1</difficult>", "<difficult>yes</difficult>")),
            "x.xml: object[1].difficult: expected an integer, got 'yes'");
  EXPECT_EQ(ErrorOf(Edited("<name>dog</name>", "")), "x.xml: object[0]: missing <name>");
}

TEST(VocXmlTest, LoadsFilesAndImageSets) {
  const std::string devkit = TempDir() + "/VOCdevkit";
  ASSERT_TRUE(MakeDirs(devkit + "/VOC2007/Annotations").ok());
  ASSERT_TRUE(MakeDirs(devkit + "/VOC2007/ImageSets/Main").ok());
  ASSERT_TRUE(WriteFileAtomically(devkit + "/VOC2007/Annotations/000001.xml", kXml).ok());
  ASSERT_TRUE(WriteFileAtomically(devkit + "/VOC2007/Annotations/000002.xml",
                                  Edited("<width>353</width>", "<width>7</width>"))
                  .ok());
  ASSERT_TRUE(WriteFileAtomically(devkit + "/VOC2007/ImageSets/Main/train.txt",
                                  "000002\r\n\n  000001 \n\n")
                  .ok());
  ASSERT_TRUE(WriteFileAtomically(devkit + "/VOC2007/ImageSets/Main/val.txt", "000003\n").ok());

  auto ids = ReadImageIdList(devkit + "/VOC2007/ImageSets/Main/train.txt");
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_THAT(*ids, ElementsAre("000002", "000001"));

  auto one = LoadVocXml(devkit + "/VOC2007/Annotations/000001.xml", VocClasses());
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->width, 353);

  auto anns = LoadVocImageSet(devkit, "2007", "train", VocClasses());
  ASSERT_TRUE(anns.ok()) << anns.status();
  ASSERT_EQ(anns->size(), 2u);
  EXPECT_EQ((*anns)[0].filename, "VOC2007/JPEGImages/000002.jpg");
  EXPECT_EQ((*anns)[0].width, 7);
  EXPECT_EQ((*anns)[1].filename, "VOC2007/JPEGImages/000001.jpg");

  auto missing_xml = LoadVocImageSet(devkit, "2007", "val", VocClasses());
  EXPECT_EQ(missing_xml.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing_xml.status().message(),
              HasSubstr(devkit + "/VOC2007/Annotations/000003.xml"));
  auto missing_list = LoadVocImageSet(devkit, "2012", "train", VocClasses());
  EXPECT_EQ(missing_list.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing_list.status().message(),
              HasSubstr(devkit + "/VOC2012/ImageSets/Main/train.txt"));
}

TEST(VocXmlTest, WritesMiddleFormatJson) {
  auto ann = ParseVocXml(kXml, "x.xml", VocClasses());
  ASSERT_TRUE(ann.ok()) << ann.status();
  ann->filename = "VOC2007/JPEGImages/000001.jpg";
  VocAnnotation empty;
  empty.filename = "VOC2007/JPEGImages/000002.jpg";
  empty.width = 10;
  empty.height = 20;
  const std::string expected =
      R"([{"filename":"VOC2007/JPEGImages/000001.jpg","width":353,"height":500,)"
      R"("ann":{"bboxes":[[47.0,239.0,194.0,370.0],[9.0,19.0,29.0,39.0]],"labels":[11,8],)"
      R"("bboxes_ignore":[[7.0,11.0,351.0,497.0]],"labels_ignore":[14]}},)"
      R"({"filename":"VOC2007/JPEGImages/000002.jpg","width":10,"height":20,)"
      R"("ann":{"bboxes":[],"labels":[],"bboxes_ignore":[],"labels_ignore":[]}}])";
  EXPECT_EQ(VocMiddleFormatJson({*ann, empty}), expected);

  const std::string path = TempDir() + "/middle.json";
  ASSERT_TRUE(WriteVocMiddleFormat(path, {*ann, empty}).ok());
  EXPECT_EQ(ReadFile(path).value_or(""), expected);
  EXPECT_EQ(VocMiddleFormatJson({}), "[]");
}

}  // namespace
}  // namespace mmdet::datasets
