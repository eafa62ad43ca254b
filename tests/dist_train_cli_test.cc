// Distributed training through the launch scripts, on 2 Gloo processes on the CPU:
// tools/dist_train.sh trains and logs once (rank 0), tools/slurm_train.sh hands srun
// MMDetection's arguments (a fake srun on PATH checks them and starts the tasks with Slurm's
// variables), and when a rank dies the other exits non-zero with a clear message within 60 s.
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli_util.h"

namespace mmdet {
namespace {

using ::mmdet::testing::FreePort;
using ::mmdet::testing::RunCli;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kConfig[] = "configs/shapes/faster_rcnn_r18_fpn_shapes.pbtxt";

std::string Tmp() { return std::getenv("TEST_TMPDIR"); }

std::vector<std::string> Ls(const std::string& pattern) {
  auto r = RunCli("/bin/sh", {"-c", "ls -d " + pattern + " 2>/dev/null"});
  std::vector<std::string> out;
  std::string line;
  for (char c : r.out) {
    if (c == '\n') {
      out.push_back(line);
      line.clear();
    } else {
      line += c;
    }
  }
  return out;
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The train flags every run here shares: the tiny data, one epoch, every iteration logged.
std::vector<std::string> Flags(const std::string& work_dir) {
  return {"--work-dir", work_dir, "--seed", "0", "--no-validate", "--options",
          "data.train.coco_dataset.data_root=" + Tmp() + "/shapes/", "log_config.interval=1",
          "data.workers_per_gpu=1", "total_epochs=1"};
}

class DistTrainCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto r = testing::MakeTinyShapes(Tmp() + "/shapes", 8, 2);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
};

TEST_F(DistTrainCliTest, DistTrainShTrainsOnTwoGlooProcessesAndLogsOnce) {
  const std::string work = Tmp() + "/dist";
  std::vector<std::string> args = {kConfig, "2"};
  for (const std::string& f : Flags(work)) args.push_back(f == "--no-validate" ? "--validate" : f);
  args.push_back("data.val.coco_dataset.data_root=" + Tmp() + "/shapes/");
  setenv("PORT", std::to_string(FreePort()).c_str(), 1);
  auto r = RunCli("tools/dist_train.sh", args);
  unsetenv("PORT");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("Distributed training: True (gloo, world size 2)"));
  // 8 images, 2 per rank and step, 2 ranks: 2 iterations (the group sampler pads groups to
  // whole rounds of 4, so 2 or 3), each logged once.
  const int logged = Count(r.err, ", data_time: ");  // train lines only
  EXPECT_GE(logged, 2);
  EXPECT_LE(logged, 3);
  EXPECT_EQ(Count(r.err, "mmdet - INFO - Epoch [1][1/"), 1);
  const auto logs = Ls(work + "/*.log.json");
  ASSERT_EQ(logs.size(), 1u);
  const auto json = testing::ReadLines(logs[0]);
  // The train lines, then one val line: both ranks tested their share of the 2 val images,
  // rank 0 evaluated the gathered results.
  ASSERT_EQ(json.size(), static_cast<size_t>(1 + logged + 1));
  EXPECT_THAT(json.back(), StartsWith("{\"mode\": \"val\", \"epoch\": 1, "));
  EXPECT_THAT(json.back(), HasSubstr("\"bbox_mAP\": "));
  EXPECT_EQ(Count(r.err, "bbox_mAP_copypaste: "), 1);
  EXPECT_THAT(json[0], StartsWith("{\"env_info\": "));
  EXPECT_THAT(json[1], StartsWith("{\"mode\": \"train\", \"epoch\": 1, \"iter\": 1, "));
  EXPECT_EQ(Ls(work + "/epoch_1.pth").size(), 1u);
  EXPECT_EQ(Ls(work + "/latest.pth").size(), 1u);
}

TEST_F(DistTrainCliTest, SlurmTrainShPassesMmdetectionsSrunArguments) {
  // A fake srun: records its arguments, then starts --ntasks copies of the command with the
  // variables srun sets.
  const std::string bin = Tmp() + "/fakebin";
  ASSERT_EQ(RunCli("/bin/mkdir", {"-p", bin}).exit_code, 0);
  const std::string srun = testing::WriteTempFile("fakebin/srun", R"(#!/usr/bin/env bash
echo "$@" > "$FAKE_SRUN_LOG"
ntasks=1
while [[ $# -gt 0 && "$1" == -* ]]; do
  case "$1" in
    --ntasks=*) ntasks=${1#--ntasks=} ;;
    -p) shift ;;
  esac
  shift
done
pids=()
for ((i = 0; i < ntasks; i++)); do
  SLURM_PROCID=$i SLURM_NTASKS=$ntasks SLURM_LOCALID=$i SLURM_NODELIST=localhost "$@" &
  pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=$?; done
exit $rc
)");
  ASSERT_EQ(RunCli("/bin/chmod", {"+x", srun}).exit_code, 0);
  const std::string work = Tmp() + "/slurm";
  const std::string log = Tmp() + "/srun_args.txt";
  const std::vector<std::string> flags = Flags(work);
  std::string command = "PATH=" + bin + ":$PATH FAKE_SRUN_LOG=" + log +
                        " GPUS_PER_NODE=2 SRUN_ARGS='--quotatype=auto' MASTER_PORT=" +
                        std::to_string(FreePort()) + " tools/slurm_train.sh dev job1 " + kConfig +
                        " " + work + " 2";
  // --work-dir comes from the script; the rest of the flags follow GPUS.
  for (size_t i = 2; i < flags.size(); ++i) command += " '" + flags[i] + "'";
  auto r = RunCli("/bin/bash", {"-c", command});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto args = testing::ReadLines(log);
  ASSERT_EQ(args.size(), 1u);
  EXPECT_THAT(args[0], StartsWith("-p dev --job-name=job1 --gres=gpu:2 --ntasks=2 "
                                  "--ntasks-per-node=2 --cpus-per-task=5 --kill-on-bad-exit=1 "
                                  "--quotatype=auto "));
  EXPECT_THAT(args[0], HasSubstr(std::string(kConfig) + " --work-dir=" + work +
                                 " --launcher=slurm --seed 0"));
  EXPECT_THAT(r.err, HasSubstr("Distributed training: True (gloo, world size 2)"));
  EXPECT_EQ(Ls(work + "/epoch_1.pth").size(), 1u);
  // Bad usage: one line, exit 2.
  auto usage = RunCli("tools/slurm_train.sh", {"dev", "job1"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_THAT(usage.err, HasSubstr("usage: "));
}

TEST_F(DistTrainCliTest, WhenARankDiesTheOtherExitsNonZeroWithinAMinute) {
  const std::string work = Tmp() + "/dead";
  std::string flags;
  for (const std::string& f : Flags(work)) flags += " '" + f + "'";
  const std::string port = std::to_string(FreePort());
  const std::string env = "WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + port +
                          " OMP_NUM_THREADS=1 ";
  const std::string script =
      "RANK=0 " + env + "tools/train " + kConfig + " --launcher pytorch" + flags + " total_epochs=50 2>" + Tmp() +
      "/r0.err & p0=$!\n"
      "RANK=1 " + env + "tools/train " + kConfig + " --launcher pytorch" + flags +
      " total_epochs=50 2>/dev/null & "
      "p1=$!\n"
      "for i in $(seq 1200); do grep -q 'Epoch \\[1\\]\\[1/' " + Tmp() +
      "/r0.err && break; sleep 0.1; done\n"
      "kill -9 $p1; start=$(date +%s)\n"
      "wait $p0; rc=$?; echo \"rc=$rc seconds=$(( $(date +%s) - start ))\"\n";
  auto r = RunCli("/bin/bash", {"-c", script});
  const std::string err = testing::ReadLines(Tmp() + "/r0.err").empty() ? "" : [&] {
    std::string all;
    for (const auto& l : testing::ReadLines(Tmp() + "/r0.err")) all += l + "\n";
    return all;
  }();
  ASSERT_THAT(r.out, StartsWith("rc=")) << r.err;
  const std::string tail = err.substr(err.size() > 2000 ? err.size() - 2000 : 0);
  EXPECT_THAT(r.out, Not(HasSubstr("rc=0 "))) << tail;
  const int seconds = std::stoi(r.out.substr(r.out.find("seconds=") + 8));
  EXPECT_LT(seconds, 60);
  EXPECT_THAT(tail, HasSubstr("failed (another rank died or timed out?)"));
  EXPECT_THAT(tail, HasSubstr("train: error: "));
}

}  // namespace
}  // namespace mmdet
