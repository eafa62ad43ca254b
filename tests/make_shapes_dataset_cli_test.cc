// make_shapes_dataset end to end: files written, -o short flag, one-line errors, exit codes.
#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli_util.h"

namespace mmdet {
namespace {

using ::mmdet::testing::RunCli;
using ::testing::HasSubstr;

constexpr char kTool[] = "tools/make_shapes_dataset";

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

TEST(MakeShapesDatasetCliTest, WritesTheDataset) {
  const std::string out = std::string(std::getenv("TEST_TMPDIR")) + "/shapes";
  auto result = RunCli(kTool, {"-o", out, "--num-train=3", "--num_val", "2", "--seed=4",
                               "--min_size=32", "--max_size=48"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_TRUE(Exists(out + "/annotations/instances_train.json"));
  EXPECT_TRUE(Exists(out + "/annotations/instances_val.json"));
  EXPECT_TRUE(Exists(out + "/train/000002.jpg"));
  EXPECT_TRUE(Exists(out + "/val/000001.jpg"));
  EXPECT_FALSE(Exists(out + "/val/000002.jpg"));
}

TEST(MakeShapesDatasetCliTest, BadInputExitsTwo) {
  for (const auto& [args, message] :
       std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--max_size=8"}, "need 16 <= min_size <= max_size"},
           {{"--num_train=x"}, "invalid value 'x' for flag '--num_train'"},
           {{"--seed=-1"}, "--seed must not be negative"},
           {{"extra"}, "unexpected argument 'extra'"},
           {{"-o", "/proc/not_here/x"}, "/proc/not_here: cannot create folder"},
       }) {
    auto result = RunCli(kTool, args);
    EXPECT_EQ(result.exit_code, 2) << message;
    EXPECT_THAT(result.err, HasSubstr("make_shapes_dataset: error: " + message));
  }
}

}  // namespace
}  // namespace mmdet
