// One rank of grad_sync_test: grad_sync_worker RANK WORLD PORT MODE OUT
//   MODE equal   trains TinyNet kSteps SGD steps on its half of each batch; rank 0 writes the
//                final parameters to OUT
//   MODE unused  one step where `side` is used only on rank 0; rank 0 writes side's grads
//   MODE die     rank 1 exits in the middle; rank 0 reports the failure (exit 3)
// Exit 0 on success, 1 on a failed status (printed).
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "mmdet/runner/dist/grad_sync.h"
#include "mmdet/runner/dist/process_group.h"
#include "mmdet/runner/dist/testing/tiny_net.h"
#include "torch/optim/sgd.h"
#include "torch/serialize.h"
#include "torch/utils.h"

using mmdet::runner::testing::TinyNet;

int main(int argc, char** argv) {
  if (argc != 6) return 2;
  const int rank = std::atoi(argv[1]), world = std::atoi(argv[2]), port = std::atoi(argv[3]);
  const std::string mode = argv[4], out = argv[5];
  torch::set_num_threads(1);
  const auto data = mmdet::runner::testing::Data();
  mmdet::runner::DistEnv env;
  env.distributed = true;
  env.rank = rank;
  env.world_size = world;
  env.master_port = port;
  auto pg = mmdet::runner::ProcessGroup::Init(env, "gloo", std::chrono::seconds(60));
  if (!pg.ok()) {
    std::cerr << pg.status() << "\n";
    return 1;
  }
  torch::manual_seed(100 + rank);  // different weights per rank: the broadcast must fix them
  TinyNet net;
  if (auto s = mmdet::runner::BroadcastModuleState(**pg, *net); !s.ok()) {
    std::cerr << s << "\n";
    return 1;
  }
  // A tiny bucket cap: several buckets, started during backward.
  mmdet::runner::GradientSync sync(*pg, *net, /*bucket_mb=*/0.0005);
  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  const int per_rank = mmdet::runner::testing::kBatch / world;
  const int steps = mode == "equal" ? mmdet::runner::testing::kSteps : mode == "die" ? 1000 : 1;
  for (int s = 0; s < steps; ++s) {
    const auto& [x, y] = data[s % data.size()];
    const torch::Tensor xs = x.narrow(0, rank * per_rank, per_rank);
    const torch::Tensor ys = y.narrow(0, rank * per_rank, per_rank);
    if (mode == "die" && rank == 1 && s == 3) _exit(9);
    sgd.zero_grad();
    sync.Prepare();
    torch::mse_loss(net->forward(xs, mode == "unused" ? rank == 0 : true), ys).backward();
    if (auto st = sync.Finish(); !st.ok()) {
      std::cerr << st << "\n";
      return mode == "die" ? 3 : 1;
    }
    if (mode == "unused") break;
    sgd.step();
  }
  if (rank == 0) {
    if (mode == "unused") {
      torch::save(std::vector<torch::Tensor>{net->side->weight.grad(), net->side->bias.grad(),
                                              net->fc1->weight.grad()},
                  out);
    } else {
      torch::save(std::vector<torch::Tensor>{mmdet::runner::testing::Flat(net)}, out);
    }
  }
  std::cerr << "rank " << rank << ": " << sync.num_buckets() << " buckets\n";
  return 0;
}
