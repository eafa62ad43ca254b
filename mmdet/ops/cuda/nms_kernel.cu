// CUDA kernel of mmdet::nms: each 64x64 tile of the (sorted) IoU matrix becomes 64-bit
// suppression masks in parallel (torchvision's scheme); the greedy pass over the masks runs
// on the host.
#include <ATen/ATen.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <torch/library.h>

#include <vector>

#include "mmdet/ops/kernel_common.h"

namespace mmdet::ops {
namespace {

constexpr int kThreadsPerBlock = sizeof(unsigned long long) * 8;

template <typename T>
__global__ void NmsMaskKernel(int n, double iou_threshold, T offset, const T* boxes,
                              unsigned long long* mask) {
  const int row_start = blockIdx.y;
  const int col_start = blockIdx.x;
  if (row_start > col_start) return;
  const int row_size = min(n - row_start * kThreadsPerBlock, kThreadsPerBlock);
  const int col_size = min(n - col_start * kThreadsPerBlock, kThreadsPerBlock);

  __shared__ T block_boxes[kThreadsPerBlock * 4];
  if (threadIdx.x < col_size) {
    for (int k = 0; k < 4; ++k) {
      block_boxes[threadIdx.x * 4 + k] =
          boxes[(kThreadsPerBlock * col_start + threadIdx.x) * 4 + k];
    }
  }
  __syncthreads();

  if (threadIdx.x < row_size) {
    const int cur = kThreadsPerBlock * row_start + threadIdx.x;
    const T* cur_box = boxes + cur * 4;
    unsigned long long bits = 0;
    const int start = row_start == col_start ? threadIdx.x + 1 : 0;
    for (int i = start; i < col_size; ++i) {
      if (detail::BoxIoU(cur_box, block_boxes + i * 4, offset) > iou_threshold) {
        bits |= 1ULL << i;
      }
    }
    const int col_blocks = (n + kThreadsPerBlock - 1) / kThreadsPerBlock;
    mask[static_cast<int64_t>(cur) * col_blocks + col_start] = bits;
  }
}

at::Tensor NmsCuda(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold,
                   int64_t offset) {
  TORCH_CHECK(boxes.is_cuda() && scores.is_cuda(), "nms: boxes and scores must be CUDA tensors");
  TORCH_CHECK(boxes.dim() == 2 && boxes.size(1) == 4, "nms: boxes must be [N, 4], got ",
              boxes.sizes());
  TORCH_CHECK(scores.dim() == 1 && scores.size(0) == boxes.size(0),
              "nms: scores must be [N] with N = ", boxes.size(0), ", got ", scores.sizes());
  TORCH_CHECK(offset == 0 || offset == 1, "nms: offset must be 0 or 1, got ", offset);
  at::cuda::CUDAGuard guard(boxes.device());
  if (boxes.numel() == 0) return at::empty({0}, boxes.options().dtype(at::kLong));

  at::Tensor order = std::get<1>(scores.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
  at::Tensor sorted = boxes.index_select(0, order).contiguous();
  const int n = static_cast<int>(boxes.size(0));
  const int col_blocks = (n + kThreadsPerBlock - 1) / kThreadsPerBlock;
  at::Tensor mask = at::empty({n * col_blocks}, boxes.options().dtype(at::kLong));

  cudaStream_t stream = at::cuda::getCurrentCUDAStream();
  const dim3 blocks(col_blocks, col_blocks);
  const dim3 threads(kThreadsPerBlock);
  AT_DISPATCH_FLOATING_TYPES(sorted.scalar_type(), "nms_cuda", [&] {
    NmsMaskKernel<scalar_t><<<blocks, threads, 0, stream>>>(
        n, iou_threshold, static_cast<scalar_t>(offset), sorted.data_ptr<scalar_t>(),
        reinterpret_cast<unsigned long long*>(mask.data_ptr<int64_t>()));
  });
  AT_CUDA_CHECK(cudaGetLastError());

  at::Tensor mask_cpu = mask.to(at::kCPU);
  const auto* bits = reinterpret_cast<const unsigned long long*>(mask_cpu.data_ptr<int64_t>());
  std::vector<unsigned long long> removed(col_blocks, 0);
  at::Tensor keep = at::empty({n}, boxes.options().dtype(at::kLong).device(at::kCPU));
  int64_t* keep_out = keep.data_ptr<int64_t>();
  int64_t num_kept = 0;
  for (int i = 0; i < n; ++i) {
    const int block = i / kThreadsPerBlock;
    const int bit = i % kThreadsPerBlock;
    if (removed[block] & (1ULL << bit)) continue;
    keep_out[num_kept++] = i;
    const unsigned long long* row = bits + static_cast<int64_t>(i) * col_blocks;
    for (int j = block; j < col_blocks; ++j) removed[j] |= row[j];
  }
  return order.index_select(0, keep.narrow(0, 0, num_kept).to(order.device()));
}

}  // namespace

TORCH_LIBRARY_IMPL(mmdet, CUDA, m) { m.impl("nms", TORCH_FN(NmsCuda)); }

}  // namespace mmdet::ops
