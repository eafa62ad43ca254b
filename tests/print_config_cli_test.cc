// print_config end to end: merged output on stdout, one-line errors and exit codes.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mmdet/config/loader.h"
#include "tests/cli_util.h"

namespace mmdet {
namespace {

using ::mmdet::testing::RunCli;
using ::mmdet::testing::WriteTempFile;
using ::testing::HasSubstr;

constexpr char kTool[] = "tools/print_config";
constexpr char kFasterRcnn[] = "configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt";

config::Config ParseOutput(const std::string& text) {
  config::Config cfg;
  absl::Status status = ParseTextProto(text, "stdout", &cfg);
  EXPECT_TRUE(status.ok()) << status;
  return cfg;
}

TEST(PrintConfigCliTest, PrintsTheMergedConfigWithOverrides) {
  auto result = RunCli(kTool, {kFasterRcnn, "--options", "total_epochs=24",
                               "model.backbone.depth=101", "--cfg-options",
                               "optimizer.sgd.lr=0.01"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  config::Config cfg = ParseOutput(result.out);
  EXPECT_EQ(cfg.total_epochs(), 24);
  EXPECT_EQ(cfg.model().faster_rcnn().backbone().resnet().depth(), 101);
  EXPECT_EQ(cfg.model().faster_rcnn().backbone().resnet().frozen_stages(), 1);  // from base
  EXPECT_FLOAT_EQ(cfg.optimizer().sgd().lr(), 0.01f);
  EXPECT_FLOAT_EQ(cfg.optimizer().sgd().momentum(), 0.9f);  // from base
  EXPECT_EQ(cfg.data().train().coco_dataset().pipeline_size(), 8);
  EXPECT_EQ(cfg.log_config().interval(), 50);
}

TEST(PrintConfigCliTest, ConfigFlagEqualsPositional) {
  auto positional = RunCli(kTool, {kFasterRcnn});
  auto flag = RunCli(kTool, {std::string("--config=") + kFasterRcnn});
  ASSERT_EQ(positional.exit_code, 0) << positional.err;
  EXPECT_EQ(positional.out, flag.out);
}

TEST(PrintConfigCliTest, UserErrorsExitTwoWithOneLine) {
  const std::string typo = WriteTempFile(
      "typo.pbtxt", "_base_: \"" + std::string(getenv("TEST_SRCDIR")) + "/" +
                        getenv("TEST_WORKSPACE") + "/configs/_base_/default_runtime.pbtxt\"\n" +
                        "log_config {\n  intervl: 5\n}\n");
  const std::string missing_base = WriteTempFile("missing_base.pbtxt", "_base_: \"nope.pbtxt\"\n");
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{typo}, typo + ":3:10: Message type \"mmdet.config.LogConfig\" has no field named "
                           "\"intervl\"."},
           {{missing_base}, missing_base + ":1:1: base file 'nope.pbtxt' not found"},
           {{kFasterRcnn, "--options", "model.backbone.dpeth=3"},
            "--options model.backbone.dpeth=3: mmdet.config.ResNet has no field 'dpeth'"},
           {{kFasterRcnn, "--options", "total_epochs=many"},
            "--options total_epochs=many: invalid value 'many' for int32 field"},
           {{"no/such/config.pbtxt"}, "no/such/config.pbtxt: cannot open"},
           {{}, "no config given"},
           {{kFasterRcnn, "--work-dir=x"}, "unknown flag '--work-dir=x'"},
           {{kFasterRcnn, "--verbose=loud"}, "invalid value 'loud' for flag '--verbose'"},
           {{kFasterRcnn, "extra"}, "unexpected argument 'extra'"},
       }) {
    auto result = RunCli(kTool, c.args);
    EXPECT_EQ(result.exit_code, 2) << c.message;
    EXPECT_EQ(result.out, "") << c.message;
    EXPECT_THAT(result.err, HasSubstr("print_config: error: " + c.message));
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  }
}

TEST(PrintConfigCliTest, HelpGoesToStdoutAndExitsZero) {
  auto result = RunCli(kTool, {"--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out, HasSubstr("usage: print_config CONFIG"));
  EXPECT_THAT(result.out, HasSubstr("--cfg-options"));
}

}  // namespace
}  // namespace mmdet
