// convert_cityscapes end to end: files written and counted, -o / default out dir, one-line
// errors naming the path or file, exit codes.
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

constexpr char kTool[] = "tools/convert_cityscapes";

std::string Tmp(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

void Write(const std::string& path, const std::string& contents) {
  ASSERT_TRUE(MakeDirs(Dirname(path)).ok());
  ASSERT_TRUE(WriteFileAtomically(path, contents).ok());
}

constexpr char kImage[] = R"({"imgHeight": 32, "imgWidth": 64, "objects": [
  {"label": "road", "polygon": [[0, 0], [64, 0], [64, 32], [0, 32]]},
  {"label": "person", "polygon": [[2, 2], [6, 2], [6, 12], [2, 12]]},
  {"label": "car", "polygon": [[20, 10], [40, 10], [40, 20], [20, 20]]},
  {"label": "cargroup", "polygon": [[44, 10], [60, 10], [60, 20], [44, 20]]}]})";

void MakeTree(const std::string& root) {
  Write(root + "/gtFine/train/aachen/aachen_000000_000019_gtFine_polygons.json", kImage);
  Write(root + "/gtFine/train/bremen/bremen_000000_000019_gtFine_polygons.json", kImage);
  Write(root + "/gtFine/val/lindau/lindau_000000_000019_gtFine_polygons.json", kImage);
}

TEST(ConvertCityscapesCliTest, WritesOneFilePerSplit) {
  const std::string root = Tmp("cityscapes");
  MakeTree(root);
  auto result = RunCli(kTool, {root, "-o", root + "/out", "--nproc", "2"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            root + "/out/instancesonly_filtered_gtFine_train.json: 2 images, 6 annotations\n" +
                root + "/out/instancesonly_filtered_gtFine_val.json: 1 images, 3 annotations\n");
  auto train = ReadFile(root + "/out/instancesonly_filtered_gtFine_train.json");
  ASSERT_TRUE(train.ok());
  EXPECT_THAT(*train, HasSubstr(R"("file_name":"bremen/bremen_000000_000019_leftImg8bit.png")"));
  EXPECT_THAT(*train, HasSubstr(R"({"id":26,"name":"car"})"));
  EXPECT_THAT(*train, HasSubstr(R"("category_id":26,"bbox":[44,10,16,10],"area":160,"iscrowd":1)"));

  // Default out dir: CITYSCAPES_PATH/annotations; --out-dir spelling too.
  result = RunCli(kTool, {root});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(ReadFile(root + "/annotations/instancesonly_filtered_gtFine_train.json").value(),
            *train);
  result = RunCli(kTool, {root, "--out-dir=" + root + "/out2"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(ReadFile(root + "/out2/instancesonly_filtered_gtFine_train.json").value(), *train);
}

TEST(ConvertCityscapesCliTest, BadInputExitsTwo) {
  const std::string root = Tmp("cityscapes_bad");
  MakeTree(root);
  const std::string bad = root + "/gtFine/val/lindau/lindau_000001_000019_gtFine_polygons.json";
  Write(bad, R"({"imgHeight": 32, "imgWidth": 64, "objects": [{"label": "car", "polygon": [[1, 2)");
  for (const auto& [args, message] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{Tmp("missing")}, Tmp("missing") + ": no such folder"},
           {{root, "-o", Tmp("bad_out")}, bad + ": malformed JSON"},
           {{}, "expected CITYSCAPES_PATH"},
           {{root, "extra"}, "unexpected argument 'extra'"},
           {{root, "--nproc=0"}, "--nproc must be at least 1"},
           {{root, "--gt_dir=gtCoarse"}, root + "/gtCoarse: no such folder"},
       }) {
    auto result = RunCli(kTool, args);
    EXPECT_EQ(result.exit_code, 2) << message;
    EXPECT_THAT(result.err, HasSubstr("convert_cityscapes: error: " + message));
    EXPECT_EQ(result.out, "");
  }
  EXPECT_FALSE(ReadFile(Tmp("bad_out") + "/instancesonly_filtered_gtFine_train.json").ok());
}

}  // namespace
}  // namespace mmdet
