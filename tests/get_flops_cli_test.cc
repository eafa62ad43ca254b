// get_flops end to end: MMDetection's block for the COCO R50-FPN configs. RetinaNet's is the
// example GETTING_STARTED prints (239.32 GMac, 37.74 M at 1280x800); the others pin our
// counts under the same rules (mmdet/models/layers/flops.h).
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli_util.h"

namespace mmdet {
namespace {

using ::mmdet::testing::RunCli;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string Block(const std::string& shape, const std::string& flops, const std::string& params) {
  const std::string line(30, '=');
  return line + "\nInput shape: " + shape + "\nFlops: " + flops + "\nParams: " + params + "\n" +
         line + "\n!!!Please be cautious if you use the results in papers.";
}

TEST(GetFlopsCliTest, MmdetectionBlockForTheCocoConfigs) {
  struct Case {
    const char* config;
    const char* flops;
    const char* params;
  } cases[] = {
      {"configs/retinanet/retinanet_r50_fpn_1x_coco.pbtxt", "239.32 GMac", "37.74 M"},
      {"configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt", "207.07 GMac", "41.53 M"},
      {"configs/mask_rcnn/mask_rcnn_r50_fpn_1x_coco.pbtxt", "275.55 GMac", "44.17 M"},
  };
  for (const Case& c : cases) {
    auto r = RunCli("tools/get_flops", {c.config});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, StartsWith(Block("(3, 1280, 800)", c.flops, c.params))) << c.config;
  }
  // One value is a square; the parameters do not depend on the input.
  auto square = RunCli("tools/get_flops",
                       {"configs/retinanet/retinanet_r50_fpn_1x_coco.pbtxt", "--shape", "800"});
  ASSERT_EQ(square.exit_code, 0) << square.err;
  EXPECT_THAT(square.out, HasSubstr("Input shape: (3, 800, 800)\nFlops: 149.68 GMac\nParams: 37.74 M"));
  // --verbose 1: one line per counted module, MMDetection's names.
  auto verbose = RunCli("tools/get_flops", {"configs/retinanet/retinanet_r50_fpn_1x_coco.pbtxt",
                                            "--shape", "256", "--verbose", "1"});
  ASSERT_EQ(verbose.exit_code, 0) << verbose.err;
  EXPECT_THAT(verbose.out, StartsWith("backbone.conv1 "));
  EXPECT_THAT(verbose.out, HasSubstr("\nbackbone.maxpool "));
  EXPECT_THAT(verbose.out, HasSubstr("\nbbox_head.retina_cls "));
}

TEST(GetFlopsCliTest, BadInputIsOneLineAndExitTwo) {
  auto shape = RunCli("tools/get_flops",
                      {"configs/retinanet/retinanet_r50_fpn_1x_coco.pbtxt", "--shape", "1", "2", "3"});
  EXPECT_EQ(shape.exit_code, 2);
  EXPECT_THAT(shape.err, HasSubstr("--shape: expected H [W]"));
  auto missing = RunCli("tools/get_flops", {"configs/none.pbtxt"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("none.pbtxt"));
}

// Every tool that runs tensor ops links tools:threads: --threads sets LibTorch's, OpenBLAS's
// and OpenCV's thread counts (LibTorch alone would start with 1 here).
TEST(GetFlopsCliTest, ThreadsFlagSetsTheThreadBudget) {
  auto r = RunCli("tools/get_flops", {"configs/retinanet/retinanet_r50_fpn_1x_coco.pbtxt",
                                      "--shape", "64", "--threads", "3", "--verbose", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("threads: 3 (LibTorch intra-op, OpenBLAS, OpenCV)"));
  auto bad = RunCli("tools/get_flops", {"configs/retinanet/retinanet_r50_fpn_1x_coco.pbtxt",
                                        "--threads", "many"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--threads"));
  auto negative = RunCli("tools/get_flops", {"configs/retinanet/retinanet_r50_fpn_1x_coco.pbtxt",
                                             "--threads", "-1"});
  EXPECT_EQ(negative.exit_code, 2);
  EXPECT_THAT(negative.err, HasSubstr("get_flops: error: --threads must be 0 (automatic) or more"));
}

}  // namespace
}  // namespace mmdet
