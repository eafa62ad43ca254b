// Data-parallel training over a ProcessGroup, as MMDetection's MMDistributedDataParallel
// (DDP with broadcast_buffers=False) does it:
//
//   BroadcastModuleState(pg, model)  at start: rank 0's parameters and buffers everywhere
//   GradientSync                     gradients averaged over the ranks, bucketed (DDP's 25 MB
//                                    buckets, in reverse parameter order, the order backward
//                                    produces them) and overlapped with backward: a hook on
//                                    each parameter copies its gradient into its bucket, and a
//                                    full bucket starts its asynchronous all-reduce while
//                                    backward goes on. Buckets start in index order on every
//                                    rank (collectives must match); a parameter without a
//                                    gradient this step contributes zeros.
//
//   sync.Prepare();  loss.backward();  MMDET_RETURN_IF_ERROR(sync.Finish());  optimizer.step();
#ifndef MMDET_RUNNER_DIST_GRAD_SYNC_H_
#define MMDET_RUNNER_DIST_GRAD_SYNC_H_

#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/status.h"
#include "mmdet/runner/dist/process_group.h"
#include "mmdet/runner/hooks/standard_hooks.h"
#include "torch/nn/module.h"
#include "torch/types.h"

namespace mmdet::runner {

absl::Status BroadcastModuleState(ProcessGroup& pg, torch::nn::Module& module, int root = 0);

class GradientSync : public GradReducer {
 public:
  GradientSync(std::shared_ptr<ProcessGroup> pg, torch::nn::Module& module,
               double bucket_mb = 25.0);
  ~GradientSync() override;
  GradientSync(const GradientSync&) = delete;
  GradientSync& operator=(const GradientSync&) = delete;

  // Before backward.
  void Prepare() override;
  // After backward: starts the buckets still waiting, waits for all, and sets every
  // parameter's grad to the ranks' mean.
  absl::Status Finish() override;

  size_t num_buckets() const { return buckets_.size(); }
  // Seconds Finish spent waiting for all-reduces since construction (the part not hidden
  // behind backward).
  double wait_seconds() const { return wait_seconds_; }

 private:
  struct Bucket {
    std::vector<size_t> params;   // indices into params_
    std::vector<int64_t> offsets;  // of each param in flat
    torch::Tensor flat;
    size_t ready = 0;
    std::vector<bool> has_grad;
    std::unique_ptr<ProcessGroup::Pending> pending;
    bool launched = false;
  };
  void OnGrad(size_t param, const torch::Tensor& grad);
  void LaunchReady();  // under mutex_
  void Launch(Bucket& b);

  std::shared_ptr<ProcessGroup> pg_;
  std::vector<torch::Tensor> params_;
  std::vector<unsigned> hook_ids_;
  std::vector<std::pair<size_t, size_t>> where_;  // param -> (bucket, slot)
  std::vector<Bucket> buckets_;
  size_t next_launch_ = 0;
  absl::Status launch_error_;
  std::mutex mutex_;
  double wait_seconds_ = 0;
};

}  // namespace mmdet::runner

#endif  // MMDET_RUNNER_DIST_GRAD_SYNC_H_
