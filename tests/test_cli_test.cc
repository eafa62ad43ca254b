// test end to end on a tiny shapes set and a checkpoint written by train: --eval, --out
// (.pkl re-evaluated by eval_metric, .json, - piped into coco_eval), --format-only,
// --show-dir, dist_test.sh on 2 Gloo processes giving the same results.pkl bytes as one
// process (both ways of collecting), and one-line errors with exit code 2.
#include <algorithm>
#include <cmath>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/pth/pth.h"
#include "mmdet/core/sha256.h"
#include "tests/cli_util.h"
#include "torch/types.h"

namespace mmdet {
namespace {

using ::mmdet::testing::RunCli;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kConfig[] = "configs/shapes/mask_rcnn_r18_fpn_shapes.pbtxt";

std::string Tmp() { return std::getenv("TEST_TMPDIR"); }
std::string Checkpoint() { return Tmp() + "/train/epoch_1.pth"; }

std::vector<std::string> Data() {
  const std::string root = Tmp() + "/shapes/";
  return {"--cfg-options", "data.train.coco_dataset.data_root=" + root,
          "data.test.coco_dataset.data_root=" + root, "data.workers_per_gpu=1",
          // A low threshold so that the barely trained model still detects something.
          "test_cfg.rcnn.score_thr=0.0"};
}

testing::CliResult RunTest(std::vector<std::string> extra) {
  std::vector<std::string> args = {kConfig, Checkpoint()};
  args.insert(args.end(), extra.begin(), extra.end());
  for (const std::string& d : Data()) args.push_back(d);
  return RunCli("tools/test", args);
}

class TestCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto r = testing::MakeTinyShapes(Tmp() + "/shapes", 4, 3);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = testing::TrainOneEpoch(kConfig, Tmp() + "/train", Tmp() + "/shapes/");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
};

TEST_F(TestCliTest, EvalPrintsPycocotoolsSummariesAndMmdetectionKeys) {
  auto r = RunTest({"--eval", "bbox", "segm"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("{\"bbox_mAP\": "));
  EXPECT_THAT(r.out, HasSubstr("\"segm_mAP_copypaste\": \""));
  EXPECT_THAT(r.err, HasSubstr("Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | "
                               "maxDets=100 ] = "));
  EXPECT_THAT(r.err, HasSubstr("[3/3]"));  // the progress
}

TEST_F(TestCliTest, SavedResultsEvaluateToTheSameNumbers) {
  const std::string pkl = Tmp() + "/r.pkl";
  auto r = RunTest({"--out", pkl, "--eval", "bbox", "segm"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // eval_metric on the saved file: the same metrics.
  auto again = RunCli("tools/eval_metric",
                      {kConfig, pkl, "--eval", "bbox", "segm", "--cfg-options",
                       "data.test.coco_dataset.data_root=" + Tmp() + "/shapes/"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, r.out);
  // --out - composes with coco_eval -.
  std::string command = "tools/test " + std::string(kConfig) + " " + Checkpoint() + " --out -";
  for (const std::string& d : Data()) command += " '" + d + "'";
  command += " 2>/dev/null | tools/coco_eval - --ann " + Tmp() +
             "/shapes/annotations/instances_val.json --types bbox";
  auto piped = RunCli("/bin/bash", {"-c", "set -o pipefail; " + command});
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_THAT(piped.out, HasSubstr("Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all"));
  // The same AP as --eval bbox printed.
  const double ap = std::stod(r.out.substr(r.out.find("\"bbox_mAP\": ") + 12));
  EXPECT_THAT(piped.out, HasSubstr(absl::StrFormat(
                             "Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | "
                             "maxDets=100 ] = %.3f", ap)));
  // A .json file holds the same results as the pickle.
  ASSERT_EQ(RunTest({"--out", Tmp() + "/r.json"}).exit_code, 0);
  // Real detections (score_thr 0 keeps up to 100 per image), not empty lists.
  EXPECT_GT(ReadFile(Tmp() + "/r.json").value_or("").size(), 3000u);
  auto from_json = RunCli("tools/coco_eval", {Tmp() + "/r.json", "--ann",
                                              Tmp() + "/shapes/annotations/instances_val.json",
                                              "--types", "bbox"});
  auto from_pkl = RunCli("tools/coco_eval", {pkl, "--ann",
                                             Tmp() + "/shapes/annotations/instances_val.json",
                                             "--types", "bbox"});
  ASSERT_EQ(from_json.exit_code, 0) << from_json.err;
  EXPECT_EQ(from_json.out, from_pkl.out);
}

TEST_F(TestCliTest, FormatOnlyAndShowDirWriteTheirFiles) {
  auto r = RunTest({"--format-only", "--options", "jsonfile_prefix=" + Tmp() + "/fmt"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(ReadFile(Tmp() + "/fmt.bbox.json").ok());
  EXPECT_TRUE(ReadFile(Tmp() + "/fmt.segm.json").ok());
  r = RunTest({"--show-dir", Tmp() + "/show"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ls = RunCli("/bin/sh", {"-c", "ls " + Tmp() + "/show | wc -l"});
  EXPECT_EQ(ls.out, "3\n");
}

// The numbers of a results JSON, RLE strings left out.
std::vector<double> Numbers(const std::string& json) {
  const std::string no_counts =
      std::regex_replace(json, std::regex(R"("counts": "([^"\\]|\\.)*")"), "");
  std::vector<double> numbers;
  const std::regex number(R"(-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?)");
  for (auto it = std::sregex_iterator(no_counts.begin(), no_counts.end(), number);
       it != std::sregex_iterator(); ++it) {
    numbers.push_back(std::stod(it->str()));
  }
  return numbers;
}

TEST_F(TestCliTest, FuseConvBnGivesTheSameDetections) {
  auto plain = RunTest({"--out", "-"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  auto fused = RunTest({"--out", "-", "--fuse-conv-bn"});
  ASSERT_EQ(fused.exit_code, 0) << fused.err;
  EXPECT_THAT(fused.err, HasSubstr("--fuse-conv-bn: folded 20 BatchNorm layers"));  // ResNet-18
  const std::vector<double> want = Numbers(plain.out), got = Numbers(fused.out);
  ASSERT_EQ(got.size(), want.size());
  ASSERT_GT(want.size(), 100u);
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], 1e-3 * std::max(1.0, std::abs(want[i]))) << "number " << i;
  }
}

// --channels-last changes float rounding only; --bf16 (backbone, neck and dense head in
// bfloat16 under autocast) moves the numbers but the detections survive: the same images get
// boxes and the evaluation runs. --fp16 needs CUDA.
TEST_F(TestCliTest, ChannelsLastAndBf16) {
  auto plain = RunTest({"--out", "-"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  auto nhwc = RunTest({"--out", "-", "--channels-last"});
  ASSERT_EQ(nhwc.exit_code, 0) << nhwc.err;
  EXPECT_THAT(nhwc.err, HasSubstr("--channels-last: "));
  const std::vector<double> want = Numbers(plain.out), got = Numbers(nhwc.out);
  ASSERT_EQ(got.size(), want.size());
  ASSERT_GT(want.size(), 100u);
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], 1e-3 * std::max(1.0, std::abs(want[i]))) << "number " << i;
  }
  auto bf16 = RunTest({"--eval", "bbox", "--channels-last", "--bf16"});
  ASSERT_EQ(bf16.exit_code, 0) << bf16.err;
  EXPECT_THAT(bf16.err, HasSubstr("--bf16: backbone, neck and dense head in bfloat16"));
  EXPECT_THAT(bf16.out, HasSubstr("\"bbox_mAP\": "));
  auto fp16 = RunTest({"--out", "-", "--fp16"});
  EXPECT_EQ(fp16.exit_code, 2);
  EXPECT_THAT(fp16.err, HasSubstr("--fp16 needs a CUDA device"));
}

// --winograd (CPU float32 3x3 convolutions by oneDNN's Winograd kernels, NHWC implied): other
// rounding, the same detections to the same tolerance; not with --bf16.
TEST_F(TestCliTest, WinogradGivesTheSameDetections) {
  auto plain = RunTest({"--out", "-"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  auto wino = RunTest({"--out", "-", "--winograd"});
  ASSERT_EQ(wino.exit_code, 0) << wino.err;
  EXPECT_THAT(wino.err, HasSubstr("--channels-last (implied by --winograd): "));
  EXPECT_THAT(wino.err, HasSubstr("--winograd: 3x3 convolutions by oneDNN's Winograd kernels"));
  const std::vector<double> want = Numbers(plain.out), got = Numbers(wino.out);
  ASSERT_EQ(got.size(), want.size());
  ASSERT_GT(want.size(), 100u);
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], 1e-3 * std::max(1.0, std::abs(want[i]))) << "number " << i;
  }
  auto bad = RunTest({"--out", "-", "--winograd", "--bf16"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--winograd is for float32"));
}

TEST_F(TestCliTest, FuseConvBnCheckpointTestsTheSame) {
  const std::string fused = Tmp() + "/fused.pth";
  auto f = RunCli("tools/fuse_conv_bn", {kConfig, Checkpoint(), fused});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_THAT(f.err, HasSubstr("folded 20 BatchNorm layers"));
  auto plain = RunTest({"--out", "-"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  std::vector<std::string> args = {kConfig, fused, "--out", "-"};
  for (const std::string& d : Data()) args.push_back(d);
  auto from_fused = RunCli("tools/test", args);
  ASSERT_EQ(from_fused.exit_code, 0) << from_fused.err;
  const std::vector<double> want = Numbers(plain.out), got = Numbers(from_fused.out);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], 1e-3 * std::max(1.0, std::abs(want[i]))) << "number " << i;
  }
  auto bad = RunCli("tools/fuse_conv_bn", {kConfig, Tmp() + "/none.pth", Tmp() + "/x.pth"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("none.pth"));
}

TEST_F(TestCliTest, PublishModelDropsTheOptimizerAndNamesTheFileByItsHash) {
  const std::string out = Tmp() + "/model_depth.pth";  // MMDetection's rstrip would eat "pth"
  auto r = RunCli("tools/publish_model", {Checkpoint(), out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_THAT(r.out, StartsWith(Tmp() + "/model_depth-"));
  const std::string published = r.out.substr(0, r.out.size() - 1);  // the trailing newline
  ASSERT_EQ(published.size(), out.size() + 9);
  auto bytes = ReadFile(published);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(published.substr(out.size() - 4 + 1, 8), Sha256Hex(*bytes).substr(0, 8));
  auto value = pth::LoadPth(published);
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(value->Find("optimizer"), nullptr);
  ASSERT_NE(value->Find("meta"), nullptr);
  auto original = pth::LoadPth(Checkpoint());
  ASSERT_TRUE(original.ok());
  ASSERT_NE(original->Find("optimizer"), nullptr);  // train saved one
  const pth::Value* a = value->Find("state_dict");
  const pth::Value* b = original->Find("state_dict");
  ASSERT_TRUE(a != nullptr && b != nullptr);
  ASSERT_EQ(a->size(), b->size());
  for (size_t i = 0; i < a->size(); ++i) {
    EXPECT_EQ(a->entries()[i].key.as_string(), b->entries()[i].key.as_string());
    EXPECT_TRUE(torch::equal(a->entries()[i].value.tensor(), b->entries()[i].value.tensor()));
  }
  auto no_state = RunCli("tools/publish_model", {Tmp() + "/r.pkl", Tmp() + "/x.pth"});
  EXPECT_EQ(no_state.exit_code, 2);
  auto missing = RunCli("tools/publish_model", {Tmp() + "/none.pth", Tmp() + "/x.pth"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("none.pth"));
}

TEST_F(TestCliTest, FlipTestTimeAugmentationMergesTheViews) {
  const std::string flip_on = "data.test_pipeline.1.multi_scale_flip_aug.flip=true";
  auto flip = RunTest({"--eval", "bbox", "segm", "--cfg-options", flip_on});
  ASSERT_EQ(flip.exit_code, 0) << flip.err;
  EXPECT_THAT(flip.out, StartsWith("{\"bbox_mAP\": "));
  EXPECT_THAT(flip.out, HasSubstr("\"segm_mAP_copypaste\": \""));
  // The merged detections differ from the single view's.
  auto plain = RunTest({"--out", "-"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  auto merged = RunTest({"--out", "-", "--cfg-options", flip_on});
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  EXPECT_THAT(merged.out, StartsWith("{\"type\": \"segm\", \"results\": ["));
  EXPECT_NE(Numbers(merged.out), Numbers(plain.out));
}

TEST_F(TestCliTest, DistTestOnTwoGlooProcessesWritesTheSameResults) {
  // dist_test.sh gives each rank OMP_NUM_THREADS=1; float results depend on the thread count,
  // so the single process runs on one thread too.
  const std::string one = Tmp() + "/one.pkl";
  ASSERT_EQ(RunTest({"--out", one, "--threads", "1"}).exit_code, 0);
  for (const char* collect : {"--tmpdir", "--gpu-collect"}) {
    const std::string two = Tmp() + "/two" + (collect[2] == 't' ? "_files" : "_c10d") + ".pkl";
    std::vector<std::string> args = {kConfig, Checkpoint(), "2", "--out", two};
    if (std::string(collect) == "--tmpdir") {
      args.push_back("--tmpdir");
      args.push_back(Tmp() + "/parts");
    } else {
      args.push_back(collect);
    }
    for (const std::string& d : Data()) args.push_back(d);
    setenv("PORT", std::to_string(testing::FreePort()).c_str(), 1);
    auto r = RunCli("tools/dist_test.sh", args);
    unsetenv("PORT");
    ASSERT_EQ(r.exit_code, 0) << collect << "\n" << r.err;
    EXPECT_EQ(ReadFile(two).value_or("a"), ReadFile(one).value_or("b")) << collect;
  }
}

TEST_F(TestCliTest, MisuseIsOneLineAndExitTwo) {
  struct Case {
    std::vector<std::string> extra;
    const char* message;
  } cases[] = {
      {{}, "Please specify at least one operation"},
      {{"--eval", "bbox", "--format-only"}, "--eval and --format-only cannot be both specified"},
      {{"--out", "r.txt"}, "must be a .pkl, .pickle or .json file"},
      {{"--eval", "mAP"}, "metric 'mAP' is not supported by data.test (allowed: bbox, segm"},
      {{"--eval", "bbox", "--options", "classwise=maybe"}, "classwise=maybe: expected True or False"},
  };
  for (const Case& c : cases) {
    auto r = RunTest(c.extra);
    EXPECT_EQ(r.exit_code, 2) << c.message << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.message));
    EXPECT_THAT(r.err, HasSubstr("test: error: "));
  }
  auto show = RunCli("/usr/bin/env", {"-u", "DISPLAY", "-u", "WAYLAND_DISPLAY", "tools/test",
                                      kConfig, Checkpoint(), "--show"});
  EXPECT_EQ(show.exit_code, 2);
  EXPECT_THAT(show.err, HasSubstr("--show: cannot open windows: no display"));
  EXPECT_THAT(show.err, HasSubstr("--show-dir DIR"));
  // A DISPLAY nobody listens on: the same kind of line, not an abort inside Qt.
  show = RunCli("/usr/bin/env", {"-u", "WAYLAND_DISPLAY", "DISPLAY=:93", "tools/test", kConfig,
                                 Checkpoint(), "--show"});
  EXPECT_EQ(show.exit_code, 2);
  EXPECT_THAT(show.err, HasSubstr("--show: cannot open windows: the display DISPLAY=:93 does not "
                                  "answer"));
  auto missing = RunCli("tools/test", {kConfig, Tmp() + "/missing.pth", "--eval", "bbox"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("missing.pth"));
}

}  // namespace
}  // namespace mmdet
