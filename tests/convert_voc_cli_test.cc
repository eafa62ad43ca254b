// convert_voc end to end on a tiny fake devkit: the files pascal_voc.py would write, their
// middle-format JSON, -o / --out-dir / default output folder, one-line errors and exit codes.
#include <sys/stat.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mmdet/core/file_io.h"
#include "tests/cli_util.h"

namespace mmdet {
namespace {

using ::mmdet::testing::RunCli;
using ::testing::HasSubstr;

constexpr char kTool[] = "tools/convert_voc";

std::string TempDir() { return std::getenv("TEST_TMPDIR"); }

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

void Write(const std::string& path, const std::string& contents) {
  ASSERT_TRUE(MakeDirs(Dirname(path)).ok()) << path;
  ASSERT_TRUE(WriteFileAtomically(path, contents).ok()) << path;
}

std::string Xml(int width, int height, const std::string& objects) {
  return "<annotation><folder>VOC</folder><size><width>" + std::to_string(width) +
         "</width><height>" + std::to_string(height) + "</height><depth>3</depth></size>" +
         objects + "</annotation>\n";
}

std::string Object(const std::string& name, int difficult, const std::string& box) {
  return "<object><name>" + name + "</name><difficult>" + std::to_string(difficult) +
         "</difficult><bndbox>" + box + "</bndbox></object>";
}

// VOC2007: 000001 (dog + difficult person), 000002 (car, float coordinates), test = 000002.
// VOC2012: 2008_000001 (cat), no test list.
std::string MakeDevkit(const std::string& name, bool with_2012) {
  const std::string devkit = TempDir() + "/" + name;
  const std::string v07 = devkit + "/VOC2007/";
  Write(v07 + "Annotations/000001.xml",
        Xml(353, 500,
            Object("dog", 0, "<xmin>48</xmin><ymin>240</ymin><xmax>195</xmax><ymax>371</ymax>") +
                Object("person", 1,
                       "<xmin>8</xmin><ymin>12</ymin><xmax>352</xmax><ymax>498</ymax>")));
  Write(v07 + "Annotations/000002.xml",
        Xml(500, 375,
            Object("car", 0,
                   "<xmin>1.5</xmin><ymin>2.9</ymin><xmax>100.2</xmax><ymax>50</ymax>")));
  Write(v07 + "ImageSets/Main/train.txt", "000001\n");
  Write(v07 + "ImageSets/Main/val.txt", "000002\n");
  Write(v07 + "ImageSets/Main/trainval.txt", "000001\n000002\n\n");
  Write(v07 + "ImageSets/Main/test.txt", "000002\n");
  if (with_2012) {
    const std::string v12 = devkit + "/VOC2012/";
    Write(v12 + "Annotations/2008_000001.xml",
          Xml(20, 30,
              Object("cat", 0, "<xmin>3</xmin><ymin>4</ymin><xmax>10</xmax><ymax>20</ymax>")));
    for (const char* split : {"train", "val", "trainval"}) {
      Write(v12 + "ImageSets/Main/" + split + ".txt", "2008_000001\n");
    }
  }
  return devkit;
}

constexpr char kImage1[] =
    R"({"filename":"VOC2007/JPEGImages/000001.jpg","width":353,"height":500,"ann":{)"
    R"("bboxes":[[47.0,239.0,194.0,370.0]],"labels":[11],)"
    R"("bboxes_ignore":[[7.0,11.0,351.0,497.0]],"labels_ignore":[14]}})";
constexpr char kImage2[] =
    R"({"filename":"VOC2007/JPEGImages/000002.jpg","width":500,"height":375,"ann":{)"
    R"("bboxes":[[0.0,1.0,99.0,49.0]],"labels":[6],"bboxes_ignore":[],"labels_ignore":[]}})";
constexpr char kImage12[] =
    R"({"filename":"VOC2012/JPEGImages/2008_000001.jpg","width":20,"height":30,"ann":{)"
    R"("bboxes":[[2.0,3.0,9.0,19.0]],"labels":[7],"bboxes_ignore":[],"labels_ignore":[]}})";

std::string Read(const std::string& path) { return ReadFile(path).value_or("<missing>"); }

TEST(ConvertVocCliTest, WritesEverySplitOfBothYearsAndTheMerge) {
  const std::string devkit = MakeDevkit("both", /*with_2012=*/true);
  const std::string out = TempDir() + "/both_out/sub";
  auto result = RunCli(kTool, {devkit, "-o", out});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // pascal_voc.py's order; no voc12_test (no list) and no voc0712_test (merges have none).
  std::string expected_out;
  for (const auto& [name, count] : std::vector<std::pair<std::string, int>>{
           {"voc07_train", 1}, {"voc07_val", 1}, {"voc07_trainval", 2}, {"voc07_test", 1},
           {"voc12_train", 1}, {"voc12_val", 1}, {"voc12_trainval", 1},
           {"voc0712_train", 2}, {"voc0712_val", 2}, {"voc0712_trainval", 3}}) {
    expected_out += out + "/" + name + ".json: " + std::to_string(count) + " images\n";
  }
  EXPECT_EQ(result.out, expected_out);
  EXPECT_THAT(result.err, HasSubstr("skipping voc12_test: " + devkit +
                                    "/VOC2012/ImageSets/Main/test.txt does not exist"));
  EXPECT_EQ(Read(out + "/voc07_train.json"), std::string("[") + kImage1 + "]");
  EXPECT_EQ(Read(out + "/voc07_test.json"), std::string("[") + kImage2 + "]");
  EXPECT_EQ(Read(out + "/voc07_trainval.json"),
            std::string("[") + kImage1 + "," + kImage2 + "]");
  EXPECT_EQ(Read(out + "/voc0712_trainval.json"),
            std::string("[") + kImage1 + "," + kImage2 + "," + kImage12 + "]");
  EXPECT_FALSE(Exists(out + "/voc12_test.json"));
  EXPECT_FALSE(Exists(out + "/voc0712_test.json"));
  EXPECT_FALSE(Exists(devkit + "/voc07_train.json"));
}

TEST(ConvertVocCliTest, DefaultsToTheDevkitAndAcceptsOutDashDir) {
  const std::string devkit = MakeDevkit("only07", /*with_2012=*/false);
  auto result = RunCli(kTool, {devkit});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr(devkit + "/voc07_test.json: 1 images\n"));
  EXPECT_EQ(Read(devkit + "/voc07_val.json"), std::string("[") + kImage2 + "]");
  EXPECT_FALSE(Exists(devkit + "/voc0712_train.json"));

  const std::string out = TempDir() + "/only07_out";
  result = RunCli(kTool, {"--out-dir=" + out, devkit});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(Read(out + "/voc07_trainval.json"),
            std::string("[") + kImage1 + "," + kImage2 + "]");
}

TEST(ConvertVocCliTest, BadInputExitsTwo) {
  const std::string broken = MakeDevkit("broken", /*with_2012=*/false);
  Write(broken + "/VOC2007/Annotations/000002.xml", "<annotation><size></annotation>");
  const std::string unknown = MakeDevkit("unknown", /*with_2012=*/false);
  Write(unknown + "/VOC2007/Annotations/000001.xml",
        Xml(10, 10, Object("dog", 0, "<xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax>") +
                        Object("unicorn", 0, "")));
  const std::string empty = TempDir() + "/empty_devkit";
  ASSERT_TRUE(MakeDirs(empty).ok());

  for (const auto& [args, message] :
       std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{broken, "-o", TempDir() + "/broken_out"},
            broken + "/VOC2007/Annotations/000002.xml: malformed XML at offset "},
           {{unknown, "-o", TempDir() + "/unknown_out"},
            unknown + "/VOC2007/Annotations/000001.xml: object[1].name: unknown class "
                      "'unicorn'"},
           {{TempDir() + "/no_such_devkit"}, TempDir() + "/no_such_devkit: no such folder"},
           {{empty}, empty + ": contains neither a VOC2007 nor a VOC2012 folder"},
           {{}, "expected DEVKIT_PATH"},
           {{empty, "extra"}, "unexpected argument 'extra'"},
           {{empty, "--out"}, "unknown flag '--out'"},
       }) {
    auto result = RunCli(kTool, args);
    EXPECT_EQ(result.exit_code, 2) << message << "\n" << result.err;
    EXPECT_THAT(result.err, HasSubstr("convert_voc: error: " + message));
  }
}

}  // namespace
}  // namespace mmdet
