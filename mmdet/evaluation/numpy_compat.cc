#include "mmdet/evaluation/numpy_compat.h"

#include <algorithm>
#include <cmath>

namespace mmdet::evaluation {

std::vector<double> Linspace(double start, double stop, int num) {
  std::vector<double> out;
  if (num <= 0) return out;
  if (num == 1) return {start};
  const double delta = stop - start;
  const double step = delta / (num - 1);
  for (int i = 0; i < num; ++i) {
    // numpy: arange(0, num) * step + start (step != 0), then y[-1] = stop.
    out.push_back(step != 0 ? i * step + start : i / static_cast<double>(num - 1) * delta + start);
  }
  out.back() = stop;
  return out;
}

std::vector<double> Arange(double start, double stop, double step) {
  std::vector<double> out;
  const double len = std::ceil((stop - start) / step);
  if (!(len > 0)) return out;
  const size_t n = static_cast<size_t>(len);
  out.push_back(start);
  if (n > 1) out.push_back(start + step);
  const double delta = n > 1 ? out[1] - out[0] : 0;
  for (size_t i = 2; i < n; ++i) out.push_back(start + static_cast<double>(i) * delta);
  return out;
}

double PairwiseSum(const double* a, size_t n) {
  if (n < 8) {
    double res = 0.;
    for (size_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    size_t i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    }
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  size_t n2 = n / 2;
  n2 -= n2 % 8;
  return PairwiseSum(a, n2) + PairwiseSum(a + n2, n - n2);
}

double ReduceSum(const double* values, size_t n) {
  // The reduction starts from the identity 0 and adds each buffer's pairwise sum in turn.
  double sum = 0.0;
  for (size_t start = 0; start < n; start += kReduceBufferSize) {
    sum += PairwiseSum(values + start, std::min(kReduceBufferSize, n - start));
  }
  return sum;
}

double Mean(const std::vector<double>& values) {
  return ReduceSum(values.data(), values.size()) / static_cast<double>(values.size());
}

}  // namespace mmdet::evaluation
