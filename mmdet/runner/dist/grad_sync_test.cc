// Two Gloo processes (grad_sync_worker) against one process on the whole batch: the same
// parameters after training (broadcast + bucketed gradient averaging are right), DDP's zeros
// for a parameter one rank did not use, and a clear error when a rank dies.
#include "mmdet/runner/dist/grad_sync.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mmdet/runner/dist/testing/tiny_net.h"
#include "tests/cli_util.h"
#include "torch/optim/sgd.h"
#include "torch/serialize.h"
#include "torch/utils.h"

extern char** environ;

namespace mmdet::runner {
namespace {

using testing::TinyNet;

std::string Worker() {
  return std::string(std::getenv("TEST_SRCDIR")) + "/mmdet_cpp/mmdet/runner/grad_sync_worker";
}

// Runs both ranks; their exit codes.
std::vector<int> RunRanks(const std::string& mode, const std::string& out) {
  const std::string port = std::to_string(mmdet::testing::FreePort());
  std::vector<pid_t> pids;
  for (int rank = 0; rank < 2; ++rank) {
    std::vector<std::string> words = {Worker(), std::to_string(rank), "2", port, mode, out};
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    EXPECT_EQ(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
    pids.push_back(pid);
  }
  std::vector<int> codes;
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
  return codes;
}

std::vector<torch::Tensor> Load(const std::string& path) {
  std::vector<torch::Tensor> v;
  torch::load(v, path);
  return v;
}

TEST(GradSyncTest, TwoProcessesEqualOneOnTheWholeBatch) {
  const std::string out = std::string(std::getenv("TEST_TMPDIR")) + "/equal.pt";
  const std::vector<int> codes = RunRanks("equal", out);
  ASSERT_EQ(codes, (std::vector<int>{0, 0}));

  // One process, rank 0's initial weights, the whole batch.
  const auto data = testing::Data();
  torch::manual_seed(100);
  TinyNet net;
  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  for (int s = 0; s < testing::kSteps; ++s) {
    sgd.zero_grad();
    torch::mse_loss(net->forward(data[s].first, true), data[s].second).backward();
    sgd.step();
  }
  const torch::Tensor expected = testing::Flat(net);
  const torch::Tensor got = Load(out)[0];
  ASSERT_EQ(got.sizes(), expected.sizes());
  EXPECT_LT((got - expected).abs().max().item<float>(), 1e-5);
  // And training moved the weights (the test would pass trivially otherwise).
  torch::manual_seed(100);
  TinyNet fresh;
  EXPECT_GT((testing::Flat(fresh) - expected).abs().max().item<float>(), 1e-2);
}

TEST(GradSyncTest, ParameterUnusedOnOneRankAveragesWithZeros) {
  const std::string out = std::string(std::getenv("TEST_TMPDIR")) + "/unused.pt";
  ASSERT_EQ(RunRanks("unused", out), (std::vector<int>{0, 0}));
  const auto grads = Load(out);

  // Rank 0's gradient of `side` over its half, halved (rank 1 contributes zeros).
  const auto data = testing::Data();
  torch::manual_seed(100);
  TinyNet net;
  const torch::Tensor x = data[0].first.narrow(0, 0, testing::kBatch / 2);
  const torch::Tensor y = data[0].second.narrow(0, 0, testing::kBatch / 2);
  torch::mse_loss(net->forward(x, true), y).backward();
  EXPECT_LT((grads[0] - net->side->weight.grad() / 2).abs().max().item<float>(), 1e-6);
  EXPECT_LT((grads[1] - net->side->bias.grad() / 2).abs().max().item<float>(), 1e-6);
  EXPECT_GT(grads[0].abs().max().item<float>(), 1e-4);
}

TEST(GradSyncTest, DeadRankIsReportedQuickly) {
  const std::string out = std::string(std::getenv("TEST_TMPDIR")) + "/die.pt";
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<int> codes = RunRanks("die", out);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(codes, (std::vector<int>{3, 9}));
  EXPECT_LT(seconds, 60.0);
}

}  // namespace
}  // namespace mmdet::runner
