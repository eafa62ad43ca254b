// test_robustness end to end on the shapes Mask R-CNN trained by `train`: the results files
// (raw results and FILE_results.pkl in MMDetection's structure), the final summary, resuming,
// --show-dir, the default output place, and one-line errors.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/pth/pth.h"
#include "tests/cli_util.h"

namespace mmdet {
namespace {

using ::mmdet::testing::RunCli;
using ::testing::HasSubstr;

constexpr char kConfig[] = "configs/shapes/mask_rcnn_r18_fpn_shapes.pbtxt";

std::string Tmp() { return std::getenv("TEST_TMPDIR"); }
std::string Checkpoint() { return Tmp() + "/train/epoch_1.pth"; }
std::string Root() { return Tmp() + "/shapes/"; }

class TestRobustnessCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto r = testing::MakeTinyShapes(Tmp() + "/shapes", 4, 3);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = testing::TrainOneEpoch(kConfig, Tmp() + "/train", Root());
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static std::vector<std::string> Args(std::vector<std::string> extra) {
    std::vector<std::string> args = {kConfig, Checkpoint()};
    args.insert(args.end(), extra.begin(), extra.end());
    for (const std::string& o : {"data.test.coco_dataset.data_root=" + Root(),
                                 std::string("test_cfg.rcnn.score_thr=0.0"),
                                 std::string("data.workers_per_gpu=1")}) {
      args.push_back("--cfg-options");
      args.push_back(o);
    }
    return args;
  }
};

TEST_F(TestRobustnessCliTest, WritesMmdetectionsResultsAndResumes) {
  const std::string out = Tmp() + "/rob/r.pkl";
  auto r = RunCli("tools/test_robustness",
                  Args({"--out", out, "--corruptions", "gaussian_noise", "contrast", "--severities",
                        "0", "1", "2", "--eval", "bbox", "segm", "--final-prints", "P", "mPC",
                        "rPC", "--show-dir", Tmp() + "/rob/show"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("Testing gaussian_noise at severity 0 [1/5 runs"));
  EXPECT_THAT(r.err, HasSubstr("Testing contrast at severity 2 [5/5 runs"));
  EXPECT_THAT(r.out, HasSubstr("Aggregated results:"));
  EXPECT_THAT(r.out, HasSubstr("Performance on Clean Data [P] (bbox)\n Average Precision  (AP) @[ IoU=0.50:0.95"));
  EXPECT_THAT(r.out, HasSubstr("Realtive Performance under Corruption [rPC] (segm)"));
  auto results = pth::LoadPickle(Tmp() + "/rob/r_results.pkl");
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 2u);
  EXPECT_EQ(results->entries()[0].key.as_string(), "gaussian_noise");
  const pth::Value* contrast = results->Find("contrast");
  ASSERT_NE(contrast, nullptr);
  ASSERT_EQ(contrast->size(), 3u);  // severities 0 (shared), 1, 2
  const pth::Value* bbox = contrast->Find(int64_t{1})->Find("bbox");
  ASSERT_NE(bbox, nullptr);
  for (const char* m : {"AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"}) {
    ASSERT_NE(bbox->Find(m), nullptr) << m;
    EXPECT_TRUE(bbox->Find(m)->is_float()) << m;
  }
  EXPECT_TRUE(pth::LoadPickle(out).ok());  // the last run's raw results
  auto pictures = RunCli("/bin/sh", {"-c", "ls " + Tmp() + "/rob/show/contrast/2 | wc -l"});
  EXPECT_EQ(pictures.out, "3\n");
  // robustness_eval reads it.
  auto eval = RunCli("tools/robustness_eval", {Tmp() + "/rob/r_results.pkl", "--prints", "mPC"});
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_THAT(eval.out, HasSubstr("Mean Performance under Corruption [mPC] (bbox)"));
  // A rerun finds every run done.
  auto again = RunCli("tools/test_robustness",
                      Args({"--out", out, "--corruptions", "gaussian_noise", "contrast",
                            "--severities", "0", "1", "2", "--eval", "bbox"}));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.err, HasSubstr("skipping contrast at severity 2: already in"));
  EXPECT_THAT(again.err, ::testing::Not(HasSubstr("Testing ")));

  // Two Gloo processes (dist_test.sh running test_robustness): the same evaluations, byte for
  // byte, since each image's corruption depends on its file name, not on the process split.
  std::vector<std::string> dist = {kConfig, Checkpoint(), "2"};
  for (const std::string& a : Args({"--out", Tmp() + "/rob2/r.pkl", "--corruptions", "gaussian_noise",
                                    "contrast", "--severities", "0", "1", "2", "--eval", "bbox", "segm"})) {
    if (a != kConfig && a != Checkpoint()) dist.push_back(a);
  }
  setenv("TEST_BIN", (std::string(getenv("PWD")) + "/tools/test_robustness").c_str(), 1);
  setenv("PORT", std::to_string(testing::FreePort()).c_str(), 1);
  auto two = RunCli("tools/dist_test.sh", dist);
  unsetenv("TEST_BIN");
  unsetenv("PORT");
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(ReadFile(Tmp() + "/rob2/r_results.pkl").value_or("a"),
            ReadFile(Tmp() + "/rob/r_results.pkl").value_or("b"));
}

TEST_F(TestRobustnessCliTest, DefaultOutputAndErrors) {
  std::string command = "cd " + Tmp() + " && " + std::string(getenv("PWD")) + "/tools/test_robustness";
  for (const std::string& a : Args({"--corruptions", "brightness", "--severities", "1", "--eval", "bbox"})) {
    command += " '" + (a == kConfig ? std::string(getenv("PWD")) + "/" + a : a) + "'";
  }
  auto r = RunCli("/bin/sh", {"-c", command});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("no --out: writing the results to work_dirs/mask_rcnn_r18_fpn_shapes/robustness.pkl"));
  EXPECT_TRUE(pth::LoadPickle(Tmp() + "/work_dirs/mask_rcnn_r18_fpn_shapes/robustness_results.pkl").ok());
  struct Case {
    std::vector<std::string> extra;
    const char* message;
  } cases[] = {
      {{"--corruptions", "rain"}, "unknown corruption 'rain'"},
      {{"--severities", "7"}, "--severities 7: expected 0 to 5"},
      {{"--eval", "mAP"}, "metric 'mAP' is not supported by data.test"},
      {{"--out", Tmp() + "/x.json"}, "must be a .pkl or .pickle file"},
  };
  for (const Case& c : cases) {
    auto bad = RunCli("tools/test_robustness", Args(c.extra));
    EXPECT_EQ(bad.exit_code, 2) << c.message << "\n" << bad.err;
    EXPECT_THAT(bad.err, HasSubstr(c.message));
  }
}

}  // namespace
}  // namespace mmdet
