#include "mmdet/runner/dist/dist_env.h"

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mmdet::runner {
namespace {

absl::StatusOr<int> IntVar(const EnvLookup& env, const std::string& name, bool required,
                           int fallback, int min_value) {
  const std::string v = env(name);
  if (v.empty()) {
    if (required) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, " is not set (the launcher sets it; see tools/dist_train.sh, tools/slurm_train.sh)"));
    }
    return fallback;
  }
  int value = 0;
  if (!absl::SimpleAtoi(v, &value) || value < min_value) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, "=", v, ": expected an integer >= ", min_value));
  }
  return value;
}

absl::Status CheckRank(const DistEnv& e) {
  if (e.rank >= e.world_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("rank ", e.rank, " is not below the world size ", e.world_size));
  }
  if (e.master_port <= 0 || e.master_port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("master port ", e.master_port, ": out of range"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string GetEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v == nullptr ? "" : v;
}

absl::StatusOr<std::string> FirstSlurmHost(const std::string& nodelist) {
  if (nodelist.empty()) return absl::InvalidArgumentError("SLURM_NODELIST is empty");
  // The first comma outside brackets ends the first item.
  size_t end = 0;
  int depth = 0;
  for (; end < nodelist.size(); ++end) {
    const char c = nodelist[end];
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (c == ',' && depth == 0) break;
  }
  // Each bracket group becomes the first number of its first range, zero padding kept:
  // node[03-05] -> node03, rack[1-2]n[01-04] -> rack1n01.
  std::string item = nodelist.substr(0, end), host;
  for (size_t i = 0; i < item.size();) {
    if (item[i] != '[') {
      host += item[i++];
      continue;
    }
    const size_t close = item.find(']', i);
    if (close == std::string::npos) {
      return absl::InvalidArgumentError("SLURM_NODELIST=" + nodelist + ": unbalanced '['");
    }
    const std::string range = item.substr(i + 1, close - i - 1);
    const std::string first = range.substr(0, range.find_first_of(",-"));
    if (first.empty()) {
      return absl::InvalidArgumentError("SLURM_NODELIST=" + nodelist + ": empty range");
    }
    host += first;
    i = close + 1;
  }
  return host;
}

absl::StatusOr<DistEnv> ReadDistEnv(const std::string& launcher, int default_port,
                                    int local_rank_flag, const EnvLookup& env) {
  DistEnv e;
  e.master_port = default_port;
  if (launcher == "none") return e;
  e.distributed = true;
  if (launcher == "pytorch") {
    auto rank = IntVar(env, "RANK", true, 0, 0);
    if (!rank.ok()) return rank.status();
    e.rank = *rank;
    auto world = IntVar(env, "WORLD_SIZE", true, 1, 1);
    if (!world.ok()) return world.status();
    e.world_size = *world;
    auto local = IntVar(env, "LOCAL_RANK", false, local_rank_flag >= 0 ? local_rank_flag : 0, 0);
    if (!local.ok()) return local.status();
    e.local_rank = *local;
    const std::string addr = env("MASTER_ADDR");
    if (!addr.empty()) e.master_addr = addr;
    auto port = IntVar(env, "MASTER_PORT", false, default_port, 1);
    if (!port.ok()) return port.status();
    e.master_port = *port;
  } else if (launcher == "slurm") {
    auto rank = IntVar(env, "SLURM_PROCID", true, 0, 0);
    if (!rank.ok()) return rank.status();
    e.rank = *rank;
    auto world = IntVar(env, "SLURM_NTASKS", true, 1, 1);
    if (!world.ok()) return world.status();
    e.world_size = *world;
    auto local = IntVar(env, "SLURM_LOCALID", false, 0, 0);
    if (!local.ok()) return local.status();
    e.local_rank = *local;
    std::string nodelist = env("SLURM_NODELIST");
    if (nodelist.empty()) nodelist = env("SLURM_JOB_NODELIST");
    if (nodelist.empty()) {
      return absl::InvalidArgumentError("SLURM_NODELIST is not set (run the job with srun)");
    }
    auto host = FirstSlurmHost(nodelist);
    if (!host.ok()) return host.status();
    e.master_addr = *host;
    auto port = IntVar(env, "MASTER_PORT", false, default_port, 1);
    if (!port.ok()) return port.status();
    e.master_port = *port;
  } else {
    return absl::InvalidArgumentError("--launcher " + launcher +
                                      ": expected none, pytorch or slurm");
  }
  auto ok = CheckRank(e);
  if (!ok.ok()) return ok;
  return e;
}

}  // namespace mmdet::runner
