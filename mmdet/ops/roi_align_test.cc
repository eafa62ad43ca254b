#include "mmdet/ops/roi_align.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "mmdet/ops/cpu/roi_align_kernel.h"

namespace mmdet::ops {
namespace {

// A literal transcription of RoIAlign's definition (torchvision / MMDetection v2), in double,
// one output value at a time.
double ReferenceValue(const at::Tensor& input, const at::Tensor& roi_t, int c, int ph, int pw,
                      double scale, int out_h, int out_w, int sampling, bool aligned) {
  auto roi = roi_t.accessor<double, 1>();
  auto in = input.accessor<double, 4>();
  const int b = static_cast<int>(roi[0]);
  const int height = input.size(2), width = input.size(3);
  const double shift = aligned ? 0.5 : 0.0;
  const double x1 = roi[1] * scale - shift, y1 = roi[2] * scale - shift;
  double rw = roi[3] * scale - shift - x1, rh = roi[4] * scale - shift - y1;
  if (!aligned) rw = std::max(rw, 1.0), rh = std::max(rh, 1.0);
  const double bh = rh / out_h, bw = rw / out_w;
  const int gh = sampling > 0 ? sampling : static_cast<int>(std::ceil(rh / out_h));
  const int gw = sampling > 0 ? sampling : static_cast<int>(std::ceil(rw / out_w));
  auto sample = [&](double y, double x) {
    if (y < -1 || y > height || x < -1 || x > width) return 0.0;
    y = std::min(std::max(y, 0.0), height - 1.0);
    x = std::min(std::max(x, 0.0), width - 1.0);
    const int y0 = static_cast<int>(std::floor(y)), x0 = static_cast<int>(std::floor(x));
    const int y1i = std::min(y0 + 1, height - 1), x1i = std::min(x0 + 1, width - 1);
    const double ly = y - y0, lx = x - x0;
    return (1 - ly) * (1 - lx) * in[b][c][y0][x0] + (1 - ly) * lx * in[b][c][y0][x1i] +
           ly * (1 - lx) * in[b][c][y1i][x0] + ly * lx * in[b][c][y1i][x1i];
  };
  double sum = 0;
  for (int iy = 0; iy < gh; ++iy) {
    for (int ix = 0; ix < gw; ++ix) {
      sum += sample(y1 + ph * bh + (iy + 0.5) * bh / gh, x1 + pw * bw + (ix + 0.5) * bw / gw);
    }
  }
  return sum / std::max(gh * gw, 1);
}

// f(y, x) = x on a 1x1x6x6 map; RoI [0, 0, 4, 4], 2x2 output, one sample per bin.
// aligned: the RoI starts at -0.5, bins are 2 wide -> samples at x = 0.5 and 2.5.
// not aligned: it starts at 0 -> samples at x = 1 and 3.
TEST(RoiAlignTest, AlignedShiftsByHalfAPixel) {
  at::Tensor ramp = at::arange(6, at::kFloat).repeat({6, 1}).reshape({1, 1, 6, 6});
  at::Tensor rois = at::tensor({0.f, 0.f, 0.f, 4.f, 4.f}).reshape({1, 5});
  at::Tensor aligned = RoiAlign(ramp, rois, 1.0, 2, 2, 1, true);
  at::Tensor legacy = RoiAlign(ramp, rois, 1.0, 2, 2, 1, false);
  EXPECT_TRUE(at::allclose(aligned, at::tensor({0.5f, 2.5f, 0.5f, 2.5f}).reshape({1, 1, 2, 2})));
  EXPECT_TRUE(at::allclose(legacy, at::tensor({1.f, 3.f, 1.f, 3.f}).reshape({1, 1, 2, 2})));
}

TEST(RoiAlignTest, MatchesTheDefinitionOnRandomInputs) {
  at::manual_seed(3);
  at::Tensor input = at::rand({2, 3, 13, 17}, at::kDouble);
  // Inside, crossing the border, tiny, and on the second image.
  at::Tensor rois = at::tensor({0., 1., 2., 20., 18., 1., -6., -3., 9., 40., 0., 5., 5., 5.4,
                                5.2, 1., 10., 0., 33., 25.},
                               at::kDouble)
                        .reshape({4, 5});
  for (bool aligned : {true, false}) {
    for (int sampling : {0, 1, 2}) {
      for (double scale : {1.0, 0.5}) {
        at::Tensor out = RoiAlign(input, rois, scale, 3, 4, sampling, aligned);
        ASSERT_EQ(out.sizes(), (std::vector<int64_t>{4, 3, 3, 4}));
        auto acc = out.accessor<double, 4>();
        for (int n = 0; n < 4; ++n) {
          for (int c = 0; c < 3; ++c) {
            for (int ph = 0; ph < 3; ++ph) {
              for (int pw = 0; pw < 4; ++pw) {
                EXPECT_NEAR(acc[n][c][ph][pw],
                            ReferenceValue(input, rois[n], c, ph, pw, scale, 3, 4, sampling,
                                           aligned),
                            1e-12)
                    << "roi " << n << " aligned " << aligned << " sampling " << sampling;
              }
            }
          }
        }
      }
    }
  }
}

TEST(RoiAlignTest, GradientMatchesFiniteDifferences) {
  at::manual_seed(5);
  at::Tensor input = at::rand({2, 2, 7, 8}, at::kDouble).requires_grad_(true);
  at::Tensor rois =
      at::tensor({0., 0.5, 1., 6., 5.5, 1., -1., 2., 9., 9., 0., 2., 2., 3., 3.}, at::kDouble)
          .reshape({3, 5});
  at::Tensor weights = at::rand({3, 2, 2, 3}, at::kDouble);
  for (bool aligned : {true, false}) {
    if (input.grad().defined()) input.mutable_grad().zero_();
    (RoiAlign(input, rois, 1.0, 2, 3, 0, aligned) * weights).sum().backward();
    at::Tensor analytic = input.grad().clone();
    // The output is linear in the input, so central differences are exact up to rounding.
    at::Tensor flat = input.detach().clone().reshape({-1});
    auto loss = [&](const at::Tensor& x) {
      return (RoiAlign(x.reshape(input.sizes()), rois, 1.0, 2, 3, 0, aligned) * weights)
          .sum()
          .item<double>();
    };
    for (int64_t i = 0; i < flat.numel(); i += 3) {
      at::Tensor plus = flat.clone(), minus = flat.clone();
      plus[i] += 1e-3;
      minus[i] -= 1e-3;
      const double numeric = (loss(plus) - loss(minus)) / 2e-3;
      EXPECT_NEAR(analytic.reshape({-1})[i].item<double>(), numeric, 1e-9) << "element " << i;
    }
  }
}

// The CPU kernel's two layouts (channel-major, and channels-last with vectorised channel
// loops) add the same products in the same order: forward outputs and input gradients are
// bit-identical, in float, with a channel count that leaves vector tails and with RoIs
// crossing the border, tiny and large.
TEST(RoiAlignTest, ChannelsLastPathIsBitIdenticalToChannelMajor) {
  at::manual_seed(11);
  const at::Tensor input = at::randn({2, 33, 23, 31});
  at::Tensor xy = at::rand({60, 2}) * 140 - 10;
  at::Tensor rois = at::cat({at::randint(0, 2, {60, 1}).to(at::kFloat), xy,
                             xy + at::rand({60, 2}) * 90 + 0.5},
                            1);
  const at::Tensor weights = at::randn({60, 33, 7, 7});
  for (bool aligned : {true, false}) {
    for (int sampling : {0, 2}) {
      std::vector<at::Tensor> outs, grads;
      for (RoiAlignCpuLayout layout :
           {RoiAlignCpuLayout::kChannelMajor, RoiAlignCpuLayout::kChannelsLast}) {
        SetRoiAlignCpuLayoutForTesting(layout);
        at::Tensor x = input.clone().requires_grad_(true);
        at::Tensor out = RoiAlign(x, rois, 0.25, 7, 7, sampling, aligned);
        (out * weights).sum().backward();
        outs.push_back(out.detach());
        grads.push_back(x.grad());
      }
      SetRoiAlignCpuLayoutForTesting(RoiAlignCpuLayout::kAuto);
      EXPECT_TRUE(at::equal(outs[0], outs[1])) << "aligned " << aligned << " sampling " << sampling;
      EXPECT_TRUE(at::equal(grads[0], grads[1]))
          << "aligned " << aligned << " sampling " << sampling;
      EXPECT_GT(outs[0].abs().sum().item<float>(), 0);
    }
  }
  // A channels-last input takes the channels-last path by itself.
  const at::Tensor out = RoiAlign(input.contiguous(at::MemoryFormat::ChannelsLast), rois, 0.25,
                                  7, 7, 0, true);
  SetRoiAlignCpuLayoutForTesting(RoiAlignCpuLayout::kChannelMajor);
  EXPECT_TRUE(at::equal(out, RoiAlign(input, rois, 0.25, 7, 7, 0, true)));
  SetRoiAlignCpuLayoutForTesting(RoiAlignCpuLayout::kAuto);
}

// The input gradient comes back in the input's layout (autograd sums it with the feature
// map's other gradients, which are NHWC for an NHWC map), with the NCHW input's values, from
// either kernel and with no RoIs.
TEST(RoiAlignTest, ChannelsLastInputGetsAChannelsLastGradient) {
  at::manual_seed(12);
  const at::Tensor input = at::randn({2, 8, 19, 27});
  const at::Tensor rois =
      at::tensor({0.f, 1.f, 2.f, 60.f, 50.f, 1.f, 10.f, 5.f, 90.f, 70.f}).reshape({2, 5});
  const at::Tensor weights = at::randn({2, 8, 7, 7});
  for (RoiAlignCpuLayout layout : {RoiAlignCpuLayout::kAuto, RoiAlignCpuLayout::kChannelMajor}) {
    SetRoiAlignCpuLayoutForTesting(layout);
    at::Tensor nchw = input.clone().requires_grad_(true);
    (RoiAlign(nchw, rois, 0.25, 7, 7, 2, true) * weights).sum().backward();
    at::Tensor nhwc = input.contiguous(at::MemoryFormat::ChannelsLast).requires_grad_(true);
    (RoiAlign(nhwc, rois, 0.25, 7, 7, 2, true) * weights).sum().backward();
    EXPECT_TRUE(nchw.grad().is_contiguous());
    EXPECT_TRUE(nhwc.grad().is_contiguous(at::MemoryFormat::ChannelsLast));
    EXPECT_TRUE(at::equal(nchw.grad(), nhwc.grad()));
    at::Tensor none = input.contiguous(at::MemoryFormat::ChannelsLast).requires_grad_(true);
    RoiAlign(none, at::zeros({0, 5}), 0.25, 7, 7, 2, true).sum().backward();
    EXPECT_TRUE(none.grad().is_contiguous(at::MemoryFormat::ChannelsLast));
  }
  SetRoiAlignCpuLayoutForTesting(RoiAlignCpuLayout::kAuto);
}

TEST(RoiAlignTest, EmptyRoisAndErrors) {
  at::Tensor input = at::rand({1, 4, 5, 5}).requires_grad_(true);
  at::Tensor out = RoiAlign(input, at::zeros({0, 5}), 1.0, 7, 7, 2, true);
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{0, 4, 7, 7}));
  out.sum().backward();
  EXPECT_EQ(input.grad().abs().sum().item<float>(), 0.f);
  EXPECT_THROW(RoiAlign(at::rand({4, 5, 5}), at::zeros({1, 5}), 1.0, 7, 7, 2, true), c10::Error);
  EXPECT_THROW(RoiAlign(at::rand({1, 4, 5, 5}), at::zeros({1, 4}), 1.0, 7, 7, 2, true),
               c10::Error);
  EXPECT_THROW(RoiAlign(at::rand({1, 4, 5, 5}), at::zeros({1, 5}, at::kDouble), 1.0, 7, 7, 2,
                        true),
               c10::Error);
}

}  // namespace
}  // namespace mmdet::ops
