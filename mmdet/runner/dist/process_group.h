// The one place that touches c10d (PyTorch's distributed engine): a process group over a
// TCPStore rendezvous, ProcessGroupGloo on the CPU and ProcessGroupNCCL on GPUs (when the
// LibTorch has CUDA), behind an interface that is the same for LibTorch 1.13 (CI; c10d's
// groups are ProcessGroups) and 2.x (GPU machines; they are Backends).
//
//   MMDET_ASSIGN_OR_RETURN(auto pg, ProcessGroup::Init(env, "gloo", std::chrono::minutes(30)));
//   MMDET_RETURN_IF_ERROR(pg->AllReduceSum(tensor));
//
// Every collective must be called by every rank in the same order. A failure (a rank that
// died: its sockets close and Gloo fails at once; a timeout) becomes a Status naming the
// operation, never an exception.
#ifndef MMDET_RUNNER_DIST_PROCESS_GROUP_H_
#define MMDET_RUNNER_DIST_PROCESS_GROUP_H_

#include <ATen/core/Tensor.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mmdet/runner/dist/dist_env.h"

namespace mmdet::runner {

class ProcessGroup {
 public:
  // An asynchronous collective in flight.
  class Pending {
   public:
    virtual ~Pending() = default;
    virtual absl::Status Wait() = 0;
  };

  // Joins the group described by `env` (rank 0 serves the store at master_addr:master_port).
  // `backend`: "gloo" or "nccl" (CUDA LibTorch only). `timeout` bounds rendezvous and each
  // collective.
  static absl::StatusOr<std::shared_ptr<ProcessGroup>> Init(const DistEnv& env,
                                                            const std::string& backend,
                                                            std::chrono::milliseconds timeout);
  // Whether this LibTorch has the backend.
  static bool Available(const std::string& backend);

  virtual ~ProcessGroup() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  virtual const std::string& backend() const = 0;

  // In-place sum over the ranks of one dense contiguous tensor.
  virtual absl::Status AllReduceSum(at::Tensor tensor) = 0;
  virtual absl::StatusOr<std::unique_ptr<Pending>> AllReduceSumAsync(at::Tensor tensor) = 0;
  // Rank `root`'s values into every rank's tensor (same shape and dtype everywhere).
  virtual absl::Status Broadcast(at::Tensor tensor, int root) = 0;
  virtual absl::Status Barrier() = 0;
  // Every rank's bytes, by rank.
  absl::StatusOr<std::vector<std::string>> AllGatherBytes(const std::string& mine);

 protected:
  virtual absl::Status AllGather(std::vector<at::Tensor>& outputs, at::Tensor input) = 0;
};

}  // namespace mmdet::runner

#endif  // MMDET_RUNNER_DIST_PROCESS_GROUP_H_
