// Launch shape shared by the elementwise-style CUDA kernels of mmdet/ops: grid-stride loops
// over `n` work items with kThreads threads a block and at most 4096 blocks.
#ifndef MMDET_OPS_CUDA_LAUNCH_H_
#define MMDET_OPS_CUDA_LAUNCH_H_

#include <algorithm>
#include <cstdint>

namespace mmdet::ops::detail {

constexpr int kThreads = 512;

inline int64_t NumBlocks(int64_t n) {
  return std::min<int64_t>((n + kThreads - 1) / kThreads, 4096);
}

}  // namespace mmdet::ops::detail

#endif  // MMDET_OPS_CUDA_LAUNCH_H_
