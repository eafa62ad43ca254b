// The CPU kernels' vectorised loops are compiled for baseline x86-64 (SSE2) and cloned for
// wider vector units, the clone chosen at load time by the CPU it runs on (GCC's
// target_clones, ifunc): one binary for every x86-64 machine, the same results on each (the
// loops do the same float operations in the same order per element; only the vector width
// changes). Elsewhere (nvcc's host pass, other architectures) it is a plain function.
#ifndef MMDET_OPS_CPU_VECTOR_CLONES_H_
#define MMDET_OPS_CPU_VECTOR_CLONES_H_

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#define MMDET_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MMDET_VECTOR_CLONES
#endif

#endif  // MMDET_OPS_CPU_VECTOR_CLONES_H_
