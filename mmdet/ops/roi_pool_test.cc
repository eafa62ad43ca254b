#include "mmdet/ops/roi_pool.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace mmdet::ops {
namespace {

at::Tensor Rois(std::vector<double> values, at::ScalarType type = at::kFloat) {
  return at::tensor(values, at::kDouble).to(type).reshape({-1, 5});
}

// 4x4 map 0..15, RoI [0, 3] -> 4 cells (+1 extent), 2x2 bins of 2x2 cells.
TEST(RoiPoolTest, HandComputedMaxima) {
  at::Tensor input = at::arange(16, at::kFloat).reshape({1, 1, 4, 4});
  at::Tensor expected = at::tensor({5.f, 7.f, 13.f, 15.f}).reshape({1, 1, 2, 2});
  EXPECT_TRUE(at::equal(RoiPool(input, Rois({0, 0, 0, 3, 3}), 1.0, 2, 2), expected));
  // Corners are rounded to the grid first.
  EXPECT_TRUE(at::equal(RoiPool(input, Rois({0, 0.4, 0.4, 2.6, 2.6}), 1.0, 2, 2), expected));
  // spatial_scale 0.5: [0, 6] -> [0, 3].
  EXPECT_TRUE(at::equal(RoiPool(input, Rois({0, 0, 0, 6, 6}), 0.5, 2, 2), expected));
}

TEST(RoiPoolTest, EmptyWindowsAreZeroAndGetNoGradient) {
  at::Tensor input = (at::rand({1, 2, 4, 4}) - 2).requires_grad_(true);  // all negative
  at::Tensor out = RoiPool(input, Rois({0, 10, 10, 12, 12}), 1.0, 2, 2);
  EXPECT_EQ(out.abs().sum().item<float>(), 0.f);
  out.sum().backward();
  EXPECT_EQ(input.grad().abs().sum().item<float>(), 0.f);
}

// Reference: the maximum over each bin's window, computed from the definition.
TEST(RoiPoolTest, MatchesTheDefinitionAndGradientGoesToTheArgmax) {
  at::manual_seed(2);
  at::Tensor input = at::rand({2, 3, 9, 11}, at::kDouble).requires_grad_(true);
  at::Tensor rois = Rois({0, 1, 1, 7, 6, 1, -3, 2, 20, 8, 0, 4, 4, 4, 4}, at::kDouble);
  at::Tensor out = RoiPool(input, rois, 1.0, 3, 2);
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{3, 3, 3, 2}));
  auto in = input.detach();
  for (int n = 0; n < 3; ++n) {
    const int b = rois[n][0].item<int>();
    const int x1 = std::lround(rois[n][1].item<double>()), y1 = std::lround(rois[n][2].item<double>());
    const int x2 = std::lround(rois[n][3].item<double>()), y2 = std::lround(rois[n][4].item<double>());
    const double bh = std::max(y2 - y1 + 1, 1) / 3.0, bw = std::max(x2 - x1 + 1, 1) / 2.0;
    for (int ph = 0; ph < 3; ++ph) {
      for (int pw = 0; pw < 2; ++pw) {
        const int hs = std::clamp(int(std::floor(ph * bh)) + y1, 0, 9);
        const int he = std::clamp(int(std::ceil((ph + 1) * bh)) + y1, 0, 9);
        const int ws = std::clamp(int(std::floor(pw * bw)) + x1, 0, 11);
        const int we = std::clamp(int(std::ceil((pw + 1) * bw)) + x1, 0, 11);
        for (int c = 0; c < 3; ++c) {
          double expected = 0;
          if (he > hs && we > ws) {
            expected = in[b][c].slice(0, hs, he).slice(1, ws, we).max().item<double>();
          }
          EXPECT_DOUBLE_EQ(out[n][c][ph][pw].item<double>(), expected);
        }
      }
    }
  }
  // d sum(w * out) / d input = w scattered onto each bin's arg-max.
  at::Tensor weights = at::rand_like(out);
  (out * weights).sum().backward();
  at::Tensor expected_grad = at::zeros_like(in);
  for (int n = 0; n < 3; ++n) {
    const int b = rois[n][0].item<int>();
    for (int c = 0; c < 3; ++c) {
      for (int ph = 0; ph < 3; ++ph) {
        for (int pw = 0; pw < 2; ++pw) {
          at::Tensor match = (in[b][c] == out[n][c][ph][pw]).nonzero();
          if (match.size(0) == 0) continue;  // empty window
          expected_grad[b][c][match[0][0]][match[0][1]] += weights[n][c][ph][pw];
        }
      }
    }
  }
  EXPECT_TRUE(at::allclose(input.grad(), expected_grad));
}

TEST(RoiPoolTest, EmptyRoisAndErrors) {
  EXPECT_EQ(RoiPool(at::rand({1, 4, 5, 5}), at::zeros({0, 5}), 1.0, 7, 7).sizes(),
            (std::vector<int64_t>{0, 4, 7, 7}));
  try {
    RoiPool(at::rand({1, 4, 5, 5}), at::zeros({2, 4}), 1.0, 7, 7);
    ADD_FAILURE() << "expected an error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("roi_pool: rois must be [K, 5]"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace mmdet::ops
