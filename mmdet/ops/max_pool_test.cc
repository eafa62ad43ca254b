#include "mmdet/ops/max_pool.h"

#include <gtest/gtest.h>

#include <limits>
#include <tuple>

namespace mmdet::ops {
namespace {

// Same shape, same NaNs, the same value everywhere else.
void ExpectSameAsAten(const at::Tensor& x, int64_t k, int64_t s, int64_t p) {
  const at::Tensor ours = MaxPool2d(x, k, s, p);
  const at::Tensor aten = at::max_pool2d(x, {k, k}, {s, s}, {p, p});
  ASSERT_EQ(ours.sizes(), aten.sizes()) << k << " " << s << " " << p;
  EXPECT_TRUE(at::equal(at::isnan(ours), at::isnan(aten))) << k << " " << s << " " << p;
  EXPECT_TRUE(at::equal(at::nan_to_num(ours, 0.0), at::nan_to_num(aten, 0.0)))
      << k << " " << s << " " << p;
}

TEST(MaxPoolTest, MatchesAtenOverKernelsStridesPaddingsAndOddSizes) {
  at::manual_seed(0);
  for (auto [h, w] : {std::tuple<int64_t, int64_t>{17, 23}, {8, 8}, {1, 5}, {40, 61}}) {
    const at::Tensor x = at::randn({2, 3, h, w});
    for (int64_t k : {1, 2, 3, 5}) {
      for (int64_t s : {1, 2, 3}) {
        for (int64_t p = 0; 2 * p <= k; ++p) {
          if (h + 2 * p < k || w + 2 * p < k) continue;
          ExpectSameAsAten(x, k, s, p);
        }
      }
    }
  }
}

TEST(MaxPoolTest, ResNetStemShapeNegativeValuesInfinitiesAndNans) {
  at::manual_seed(1);
  at::Tensor x = -at::rand({1, 4, 50, 76}) - 1;  // all negative: padding must not count as 0
  x[0][0][0][0] = std::numeric_limits<float>::quiet_NaN();
  x[0][1][7][9] = std::numeric_limits<float>::quiet_NaN();
  x[0][2][49][75] = -std::numeric_limits<float>::infinity();
  x[0][3][10][10] = std::numeric_limits<float>::infinity();
  ExpectSameAsAten(x, 3, 2, 1);
  const at::Tensor y = MaxPool2d(x, 3, 2, 1);
  EXPECT_TRUE(std::isnan(y[0][0][0][0].item<float>()));
  EXPECT_TRUE(std::isnan(y[0][1][4][5].item<float>()));
}

TEST(MaxPoolTest, OtherInputsTakeAtensPath) {
  at::manual_seed(2);
  const at::Tensor x = at::randn({1, 8, 12, 14});
  // Channels-last, double, a strided view and a tensor that needs a gradient: ATen's result.
  for (const at::Tensor& input :
       {x.contiguous(at::MemoryFormat::ChannelsLast), x.to(at::kDouble),
        x.slice(3, 1, 13)}) {
    EXPECT_TRUE(
        at::equal(MaxPool2d(input, 3, 2, 1), at::max_pool2d(input, {3, 3}, {2, 2}, {1, 1})));
  }
  const at::Tensor leaf = x.clone().requires_grad_(true);
  at::Tensor y = MaxPool2d(leaf, 3, 2, 1);
  ASSERT_TRUE(y.requires_grad());
  y.sum().backward();
  EXPECT_TRUE(at::equal(leaf.grad().sum(), at::full({}, static_cast<float>(y.numel()))));
}

}  // namespace
}  // namespace mmdet::ops
