// What train and test do first (mmcv's init_dist and the device choice): the launcher's
// environment (dist_env.h), the device (one process: the GPU `gpu_id` when CUDA is available,
// else the CPU; distributed: GPU rank % GPUs, or the CPU) and, distributed, the process group
// (dist_params.backend on GPUs, Gloo on the CPU).
#ifndef MMDET_RUNNER_DIST_INIT_DIST_H_
#define MMDET_RUNNER_DIST_INIT_DIST_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "mmdet/config/config.pb.h"
#include "mmdet/runner/dist/dist_env.h"
#include "mmdet/runner/dist/process_group.h"
#include "torch/types.h"

namespace mmdet::runner {

// A rank that dies closes its sockets and the others fail at their next collective at once;
// the timeout only bounds a rank that hangs (rank 0 evaluating while the others wait is
// legitimately long).
constexpr std::chrono::milliseconds kDistTimeout = std::chrono::minutes(30);

struct DistContext {
  DistEnv env;
  torch::Device device = torch::kCPU;
  std::shared_ptr<ProcessGroup> pg;  // null with --launcher none
};

absl::StatusOr<DistContext> InitDist(const std::string& launcher,
                                     const config::DistParams& params, int local_rank_flag,
                                     int gpu_id);

}  // namespace mmdet::runner

#endif  // MMDET_RUNNER_DIST_INIT_DIST_H_
