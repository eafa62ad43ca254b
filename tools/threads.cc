#include "tools/threads.h"

#include <dlfcn.h>
#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "ATen/Parallel.h"
#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "glog/logging.h"
#include "opencv2/core.hpp"
#include "tools/tool_main.h"
#include "torch/types.h"

ABSL_FLAG(int, threads, 0,
          "Threads for LibTorch's ops, OpenBLAS and OpenCV; 0 = $OMP_NUM_THREADS if set, else "
          "the CPUs this process may use.");

namespace mmdet::tools {
namespace {

int applied = 0;

void ApplyThreads() {
  int n = absl::GetFlag(FLAGS_threads);
  if (n < 0) {
    // As InitTool's flag errors: one line, exit 2.
    std::fprintf(stderr, "%s: error: --threads must be 0 (automatic) or more, got %d\n",
                 program_invocation_short_name, n);
    std::exit(2);
  }
  if (n == 0) n = DefaultThreads();
  at::set_num_threads(n);
  // OpenBLAS (Debian's pthread build, behind LibTorch's matrix products) keeps its own pool,
  // sized at load from OMP_NUM_THREADS or the cores; it gets the same count.
  using SetThreads = void (*)(int);
  if (auto set_blas = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set_blas(n);
  }
  cv::setNumThreads(n);
  applied = n;
  VLOG(1) << "threads: " << n << " (LibTorch intra-op, OpenBLAS, OpenCV)";
}

const bool registered = AddStartupHook(&ApplyThreads);

}  // namespace

int DefaultThreads() {
  if (const char* omp = std::getenv("OMP_NUM_THREADS")) {
    int n = 0;
    if (absl::SimpleAtoi(omp, &n) && n > 0) return n;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

int ToolThreads() {
  (void)registered;
  return applied > 0 ? applied : DefaultThreads();
}

}  // namespace mmdet::tools
