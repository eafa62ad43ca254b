// numpy's floating-point semantics where pycocotools' results depend on them, so a port gives
// the same doubles: linspace (the thresholds), pairwise summation (np.mean) and spacing.
#ifndef MMDET_EVALUATION_NUMPY_COMPAT_H_
#define MMDET_EVALUATION_NUMPY_COMPAT_H_

#include <cstddef>
#include <vector>

namespace mmdet::evaluation {

// np.linspace(start, stop, num): start + i * ((stop - start) / (num - 1)), the last value
// set to stop. np.linspace(.5, .95, 10)[8] is 0.8999999999999999 and
// np.linspace(0, 1, 101)[35] is 0.35000000000000003.
std::vector<double> Linspace(double start, double stop, int num);

// np.add.reduce over a contiguous float64 array: numpy's pairwise summation (blocks of 8
// accumulators up to 128 elements, halves split at multiples of 8 above).
double PairwiseSum(const double* values, size_t n);

// np.arange(start, stop, step) for floats: ceil((stop - start) / step) values, the first
// start, then start + i * delta with delta = (start + step) - start (numpy's DOUBLE_fill), so
// np.arange(0.5, 0.96, 0.05)[2] is 0.6000000000000001.
std::vector<double> Arange(double start, double stop, double step);

// np.add.reduce of a 1-d float64 array as numpy runs it on pycocotools' s[s > -1]: from 0,
// adding the PairwiseSum of each buffer of 8192 elements in turn (verified against numpy
// 1.24 on 80,800-value precision arrays, where one pairwise sum over all of them differs in
// the last bit).
constexpr size_t kReduceBufferSize = 8192;
double ReduceSum(const double* values, size_t n);

// np.mean of a 1-d float64 array: ReduceSum / n.
double Mean(const std::vector<double>& values);

// np.spacing(1.0): the distance from 1.0 to the next double, 2^-52.
constexpr double kSpacingOfOne = 2.220446049250313e-16;

}  // namespace mmdet::evaluation

#endif  // MMDET_EVALUATION_NUMPY_COMPAT_H_
