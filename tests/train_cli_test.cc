// train end to end on a tiny generated shapes set: mmcv's log files and checkpoints, exact
// resume (--seed, --deterministic), load_from, and one-line errors with exit code 2.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/strings/str_cat.h"
#include "tests/cli_util.h"

namespace mmdet {
namespace {

using ::mmdet::testing::RunCli;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kTool[] = "tools/train";
constexpr char kConfig[] = "configs/shapes/faster_rcnn_r18_fpn_shapes.pbtxt";

std::string Tmp() { return std::getenv("TEST_TMPDIR"); }

// The one <timestamp>.log.json under `dir`.
std::vector<std::string> JsonLog(const std::string& dir) {
  auto r = RunCli("/bin/sh", {"-c", "ls " + dir + "/*.log.json"});
  std::string path = r.out.substr(0, r.out.find('\n'));
  return testing::ReadLines(path);
}

std::string Untimed(std::string line) {
  for (const char* key : {"\"time\": ", "\"data_time\": "}) {
    const size_t at = line.find(key);
    if (at == std::string::npos) continue;
    line.erase(at, line.find(',', at) - at + 2);
  }
  return line;
}

class TrainCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto r = testing::MakeTinyShapes(Tmp() + "/shapes", 4, 2);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static testing::CliResult Train(const std::string& work_dir, std::vector<std::string> extra,
                                  std::vector<std::string> options) {
    std::vector<std::string> args = {kConfig, "--work-dir", work_dir, "--seed", "0",
                                     "--deterministic"};
    if (std::find(extra.begin(), extra.end(), "--validate") == extra.end()) {
      args.push_back("--no-validate");
    }
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("--options");
    args.push_back("data.train.coco_dataset.data_root=" + Tmp() + "/shapes/");
    args.push_back("data.val.coco_dataset.data_root=" + Tmp() + "/shapes/");
    args.push_back("log_config.interval=1");
    args.push_back("data.workers_per_gpu=1");
    args.insert(args.end(), options.begin(), options.end());
    return RunCli(kTool, args);
  }
};

TEST_F(TrainCliTest, LogsCheckpointsAndResumesExactly) {
  const std::string full = Tmp() + "/full";
  auto r = Train(full, {}, {"total_epochs=2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("mmdet - INFO - Epoch [2][3/3]\tlr: "));
  auto json = JsonLog(full);
  // Meta line, then 3 iterations x 2 epochs: the 4 images in aspect-ratio groups, each padded
  // to whole batches of 2 (MMDetection's GroupSampler).
  ASSERT_EQ(json.size(), 7u);
  EXPECT_THAT(json[0], StartsWith("{\"env_info\": \""));
  EXPECT_THAT(json[0], HasSubstr("\"seed\": 0}"));
  EXPECT_THAT(json[1], StartsWith("{\"mode\": \"train\", \"epoch\": 1, \"iter\": 1, \"lr\": 2e-05, "
                                  "\"time\": "));
  for (const char* key : {"\"memory\": 0, \"loss_rpn_cls\": ", "\"loss_rpn_bbox\": ",
                          "\"loss_cls\": ", "\"acc\": ", "\"loss_bbox\": ", "\"loss\": "}) {
    EXPECT_THAT(json[6], HasSubstr(key));
  }
  EXPECT_THAT(json[6], HasSubstr("\"epoch\": 2, \"iter\": 3, "));
  auto ls = RunCli("/bin/sh", {"-c", "cd " + full + " && ls && readlink latest.pth"});
  EXPECT_THAT(ls.out, HasSubstr("epoch_1.pth\nepoch_2.pth\nfaster_rcnn_r18_fpn_shapes.pbtxt\n"
                                "latest.pth\nepoch_2.pth\n"));

  // Interrupted after epoch 1, resumed: epoch 2 logs what the uninterrupted run logged.
  const std::string first = Tmp() + "/first";
  ASSERT_EQ(Train(first, {}, {"total_epochs=1"}).exit_code, 0);
  const std::string resumed = Tmp() + "/resumed";
  r = Train(resumed, {"--resume-from", first + "/latest.pth"}, {"total_epochs=2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("resumed epoch 1, iter 3"));
  auto again = JsonLog(resumed);
  ASSERT_EQ(again.size(), 4u);
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(Untimed(again[i]), Untimed(json[3 + i])) << i;

  // load_from: the weights only, from epoch 1 again.
  const std::string loaded = Tmp() + "/loaded";
  r = Train(loaded, {}, {"total_epochs=1", "load_from=" + full + "/epoch_1.pth"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto from = JsonLog(loaded);
  ASSERT_EQ(from.size(), 4u);
  EXPECT_THAT(from[1], HasSubstr("\"epoch\": 1, \"iter\": 1, \"lr\": 2e-05, "));
}

// checkpoint_config.by_epoch false: iter_N.pth every `interval` iterations (mmcv's
// CheckpointHook.after_train_iter), max_keep_ckpts counted in saves, no epoch_N.pth.
TEST_F(TrainCliTest, IterationCheckpoints) {
  const std::string dir = Tmp() + "/by_iter";
  auto r = Train(dir, {}, {"total_epochs=2", "checkpoint_config.by_epoch=false",
                           "checkpoint_config.interval=2", "checkpoint_config.max_keep_ckpts=2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("Saving checkpoint at 2 iterations"));
  EXPECT_THAT(r.err, HasSubstr("Saving checkpoint at 6 iterations"));
  auto ls = RunCli("/bin/sh", {"-c", "cd " + dir + " && ls *.pth && readlink latest.pth"});
  EXPECT_EQ(ls.out, "iter_4.pth\niter_6.pth\nlatest.pth\niter_6.pth\n");
  // iter_4.pth was written in epoch 2 (3 iterations per epoch): 1 epoch finished, 4 iterations.
  const std::string resumed = Tmp() + "/by_iter_resumed";
  r = Train(resumed, {"--resume-from", dir + "/iter_4.pth"}, {"total_epochs=2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("resumed epoch 1, iter 4"));
  EXPECT_THAT(r.err, HasSubstr("Epoch [2][3/3]"));
}

// --channels-last --bf16: NHWC parameters and bfloat16 autocast in the backbone and neck.
// The losses change by bfloat16 rounding, and the checkpoint (NHWC strides, float32 values)
// resumes in a plain float32 run.
TEST_F(TrainCliTest, ChannelsLastBf16TrainsAndItsCheckpointResumesInFloat32) {
  const std::string plain = Tmp() + "/plain_fp32";
  ASSERT_EQ(Train(plain, {}, {"total_epochs=1"}).exit_code, 0);
  const std::string bf16 = Tmp() + "/bf16";
  auto r = Train(bf16, {"--channels-last", "--bf16"}, {"total_epochs=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, ContainsRegex("--channels-last: [1-9][0-9]* tensors NHWC; --bf16: backbone "
                                   "and neck under bfloat16 autocast"));
  auto fp32_log = JsonLog(plain), bf16_log = JsonLog(bf16);
  ASSERT_EQ(fp32_log.size(), 4u);
  ASSERT_EQ(bf16_log.size(), 4u);
  EXPECT_THAT(bf16_log[3], Not(HasSubstr("nan")));
  // Same seed, same data: only the arithmetic differs.
  EXPECT_NE(Untimed(bf16_log[1]), Untimed(fp32_log[1]));
  const std::string resumed = Tmp() + "/bf16_resumed_fp32";
  r = Train(resumed, {"--resume-from", bf16 + "/latest.pth"}, {"total_epochs=2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("resumed epoch 1, iter 3"));
  EXPECT_THAT(r.err, HasSubstr("Epoch [2][3/3]"));
}

TEST_F(TrainCliTest, ValidateWritesTheValLineAfterEachEvaluation) {
  const std::string dir = Tmp() + "/validate";
  auto r = Train(dir, {"--validate"}, {"total_epochs=2", "evaluation.interval=2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto json = JsonLog(dir);
  // Meta, 3 train lines per epoch, one val line after epoch 2 only (interval 2).
  ASSERT_EQ(json.size(), 8u);
  EXPECT_THAT(json[3], StartsWith("{\"mode\": \"train\", \"epoch\": 1, \"iter\": 3, "));
  EXPECT_THAT(json[7], StartsWith("{\"mode\": \"val\", \"epoch\": 2, \"iter\": 3, \"lr\": "));
  for (const char* key : {"\"bbox_mAP\": ", "\"bbox_mAP_50\": ", "\"bbox_mAP_75\": ",
                          "\"bbox_mAP_s\": ", "\"bbox_mAP_m\": ", "\"bbox_mAP_l\": ",
                          "\"bbox_mAP_copypaste\": \""}) {
    EXPECT_THAT(json[7], HasSubstr(key));
  }
  EXPECT_THAT(json[7], Not(HasSubstr("\"time\"")));
  // The text log: pycocotools' summary, then mmcv 0.5's line with the metrics.
  EXPECT_THAT(r.err, HasSubstr("Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | "
                               "maxDets=100 ] = "));
  EXPECT_THAT(r.err, ContainsRegex("mmdet - INFO - Epoch \\[2\\]\\[3/3\\]\tlr: [0-9.]+e-[0-9]+, "
                                   "bbox_mAP: [0-9.]+, bbox_mAP_50: "));
}

TEST_F(TrainCliTest, WorkflowValStageLogsTheValLosses) {
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  const std::string config = testing::WriteTempFile(
      "workflow_val.pbtxt", "_base_: [\"" + std::string(cwd) + "/" + kConfig +
                                "\"]\nworkflow { mode: train epochs: 1 }\n"
                                "workflow { mode: val epochs: 1 }\n");
  const std::string dir = Tmp() + "/workflow";
  auto r = RunCli(kTool, {config, "--work-dir", dir, "--seed", "0", "--no-validate", "--options",
                          "data.train.coco_dataset.data_root=" + Tmp() + "/shapes/",
                          "data.val.coco_dataset.data_root=" + Tmp() + "/shapes/",
                          "log_config.interval=1", "data.workers_per_gpu=1", "total_epochs=2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("workflow: [('train', 1), ('val', 1)]"));
  auto json = JsonLog(dir);
  // Meta, then per epoch 3 train lines and the val stage's line (2 val images, 1 batch).
  ASSERT_EQ(json.size(), 9u);
  for (int i : {4, 8}) {
    EXPECT_THAT(json[i], StartsWith(absl::StrCat("{\"mode\": \"val\", \"epoch\": ", i / 4,
                                                 ", \"iter\": 1, \"lr\": ")));
    EXPECT_THAT(json[i], HasSubstr("\"loss_rpn_cls\": "));
    EXPECT_THAT(json[i], HasSubstr("\"loss\": "));
    EXPECT_THAT(json[i], Not(HasSubstr("\"time\"")));
  }
  EXPECT_THAT(json[5], StartsWith("{\"mode\": \"train\", \"epoch\": 2, \"iter\": 1, "));
  EXPECT_THAT(r.err, HasSubstr("mmdet - INFO - Epoch(val) [1][1]\tloss_rpn_cls: "));
  EXPECT_EQ(RunCli("/bin/sh", {"-c", "ls " + dir + "/epoch_2.pth"}).exit_code, 0);
}

TEST_F(TrainCliTest, BadInputIsOneLineAndExitTwo) {
  struct Case {
    std::vector<std::string> extra, options;
    const char* message;
  } cases[] = {
      {{"--launcher", "slurm"}, {}, "SLURM_PROCID is not set"},
      {{}, {"model.faster_rcnn.neck.fpn.num_outs=4"},
       "model.faster_rcnn.rpn_head.rpn_head.anchor_generator.anchor_generator.strides has 5 "
       "levels but model.faster_rcnn.neck.fpn.num_outs is 4: they must be equal"},
      {{},
       {"model.faster_rcnn.roi_head.standard_roi_head.bbox_roi_extractor.single_roi_extractor."
        "featmap_strides=[4,8,16,32,64,128]"},
       "featmap_strides has 6 levels but model.faster_rcnn.neck.fpn.num_outs is 5"},
      {{"--launcher", "mpi"}, {}, "--launcher mpi: expected none, pytorch or slurm"},
      {{"--validate", "--no-validate"}, {}, "--validate and --no-validate: choose one"},
      {{"--validate"}, {"evaluation.metric=[mAP]"},
       "evaluation.metric: metric 'mAP' is not supported by data.val (allowed: bbox, segm, "
       "proposal, proposal_fast)"},
      {{"--resume-from", "/nonexistent.pth"}, {}, "/nonexistent.pth"},
      {{}, {"data.train.coco_dataset.ann_file=missing.json"}, "missing.json"},
      {{}, {"total_epochs=0"}, "total_epochs: must be >= 1"},
      {{"--gpus", "2"}, {}, "several GPUs in one process are not supported"},
      {{}, {"fp16.loss_scale=512"}, "fp16: float16 training needs a CUDA device"},
      {{"--bf16"}, {"fp16.loss_scale=512"}, "fp16: the config's fp16 section and --bf16"},
      {{}, {"fp16.loss_scale=0"}, "fp16.loss_scale: must be positive, got 0"},
      {{}, {"fp16.dynamic.growth_factor=1"}, "fp16.dynamic.growth_factor: must be above 1"},
  };
  for (const Case& c : cases) {
    auto r = Train(Tmp() + "/bad", c.extra, c.options);
    EXPECT_EQ(r.exit_code, 2) << c.message << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.message));
    EXPECT_THAT(r.err, HasSubstr("train: error: "));
  }
}

}  // namespace
}  // namespace mmdet
