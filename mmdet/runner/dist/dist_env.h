// Where a distributed process is (mmcv 0.5's init_dist / get_dist_info), from the launcher's
// environment:
//
//   pytorch  torch.distributed.launch / torchrun: RANK, WORLD_SIZE, LOCAL_RANK (or the
//            --local_rank flag of the old launcher), MASTER_ADDR, MASTER_PORT (default: the
//            config's dist_params.port)
//   slurm    srun: SLURM_PROCID (rank), SLURM_NTASKS (world size), SLURM_LOCALID (local
//            rank), master = the first host of SLURM_NODELIST (what `scontrol show hostname`
//            prints first), MASTER_PORT if set, else dist_params.port; as mmcv's
//            _init_dist_slurm, which also exports them for child processes
//   none     one process (rank 0 of 1)
#ifndef MMDET_RUNNER_DIST_DIST_ENV_H_
#define MMDET_RUNNER_DIST_DIST_ENV_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"

namespace mmdet::runner {

struct DistEnv {
  bool distributed = false;
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
};

// Reads a variable; empty when unset (tests pass their own).
using EnvLookup = std::function<std::string(const std::string& name)>;
std::string GetEnv(const std::string& name);

// `launcher`: none, pytorch or slurm. `local_rank_flag`: the --local_rank flag (-1: unset).
// Errors name the variable that is missing or malformed.
absl::StatusOr<DistEnv> ReadDistEnv(const std::string& launcher, int default_port,
                                    int local_rank_flag = -1, const EnvLookup& env = GetEnv);

// The first host of a Slurm node list: "node[03-05,7],gpu1" -> "node03"; "a,b" -> "a".
absl::StatusOr<std::string> FirstSlurmHost(const std::string& nodelist);

}  // namespace mmdet::runner

#endif  // MMDET_RUNNER_DIST_DIST_ENV_H_
