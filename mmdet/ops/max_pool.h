// Max pooling for inference on the CPU (ResNet's stem: 3x3, stride 2, padding 1 over a
// 64 x H/2 x W/2 map). ATen 1.13's NCHW max_pool2d always computes the argmax indices too and
// reads its windows element by element; on the 2-core VM it took 48 ms of Faster R-CNN's
// 1.57 s inference. Here each output row is the max of its k input rows (a vectorised
// pass over contiguous rows), then of k columns per output: the same maxima (max is exact,
// NaN propagates as ATen's), about 5x faster (ops_benchmark BM_MaxPool2d).
#ifndef MMDET_OPS_MAX_POOL_H_
#define MMDET_OPS_MAX_POOL_H_

#include <ATen/ATen.h>

namespace mmdet::ops {

// at::max_pool2d(x, kernel, stride, padding) (dilation 1, floor mode). Takes the fast path
// for a CPU float32 NCHW-contiguous 4-d input that needs no gradient (inference, or a frozen
// stem); otherwise calls at::max_pool2d.
at::Tensor MaxPool2d(const at::Tensor& x, int64_t kernel, int64_t stride, int64_t padding);

}  // namespace mmdet::ops

#endif  // MMDET_OPS_MAX_POOL_H_
