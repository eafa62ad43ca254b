#include "mmdet/runner/dist/init_dist.h"

#include "absl/strings/str_cat.h"
#include "torch/cuda.h"

namespace mmdet::runner {

absl::StatusOr<DistContext> InitDist(const std::string& launcher,
                                     const config::DistParams& params, int local_rank_flag,
                                     int gpu_id) {
  DistContext c;
  auto env = ReadDistEnv(launcher, params.port(), local_rank_flag);
  if (!env.ok()) return env.status();
  c.env = *env;
  if (torch::cuda::is_available()) {
    const int gpus = static_cast<int>(torch::cuda::device_count());
    // mmcv: torch.cuda.set_device(rank % num_gpus).
    const int index = c.env.distributed ? c.env.rank % gpus : gpu_id;
    if (index >= gpus) {
      return absl::InvalidArgumentError(absl::StrCat("--gpu-ids ", index, ": only ", gpus, " GPUs"));
    }
    c.device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  if (c.env.distributed) {
    std::string backend = params.backend();
    if (!c.device.is_cuda() && backend == "nccl") backend = "gloo";
    auto pg = ProcessGroup::Init(c.env, backend, kDistTimeout);
    if (!pg.ok()) return pg.status();
    c.pg = *pg;
  }
  return c;
}

}  // namespace mmdet::runner
