#include <algorithm>
#include <cmath>
#include "mmdet/ops/mask_util.h"

#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace mmdet::ops {
namespace {

Rle MakeRle(int64_t h, int64_t w, std::vector<uint32_t> counts) {
  Rle rle;
  rle.h = h;
  rle.w = w;
  rle.counts = std::move(counts);
  return rle;
}

at::Tensor RandomMask(std::mt19937* rng, int64_t h, int64_t w) {
  // Blocky random masks: a few rectangles, so runs are long and varied.
  at::Tensor mask = at::zeros({h, w}, at::kByte);
  std::uniform_int_distribution<int64_t> ry(0, h - 1), rx(0, w - 1);
  for (int r = 0; r < 3; ++r) {
    int64_t y0 = ry(*rng), y1 = ry(*rng), x0 = rx(*rng), x1 = rx(*rng);
    mask.slice(0, std::min(y0, y1), std::max(y0, y1) + 1)
        .slice(1, std::min(x0, x1), std::max(x0, x1) + 1)
        .fill_(1);
  }
  return mask;
}

// [[0,1],[1,1],[0,0]] read column by column: 0,1,0 | 1,1,0 -> runs 1,1,1,2,1.
TEST(MaskUtilTest, EncodeIsColumnMajorStartingWithZeros) {
  at::Tensor mask = at::tensor({0, 1, 1, 1, 0, 0}, at::kByte).reshape({3, 2});
  Rle rle = Encode(mask);
  EXPECT_EQ(rle, MakeRle(3, 2, {1, 1, 1, 2, 1}));
  EXPECT_TRUE(at::equal(Decode(rle), mask));
  EXPECT_EQ(Area(rle), 3u);
  EXPECT_EQ(ToBbox(rle), (std::array<double, 4>{0, 0, 2, 2}));
  // A mask starting with foreground opens with an empty zeros-run.
  EXPECT_EQ(Encode(at::ones({2, 2}, at::kByte)), MakeRle(2, 2, {0, 4}));
}

// Hand-derived from pycocotools' rleToString: counts from index 3 on are stored as the
// difference to the count two before; 5 bits a character, 0x20 = more, +48.
TEST(MaskUtilTest, CompressedStringsMatchPycocotools) {
  EXPECT_EQ(ToString(MakeRle(3, 2, {1, 1, 1, 2, 1})), "11110");
  EXPECT_EQ(ToString(MakeRle(7, 1, {3, 2, 1, 1})), "321O");  // 1 - 2 = -1 -> 'O'
  EXPECT_EQ(ToString(MakeRle(100, 1, {100})), "T3");        // 100 = 4 + 3 * 32
  for (const auto& [text, h, w] : std::vector<std::tuple<std::string, int, int>>{
           {"11110", 3, 2}, {"321O", 7, 1}, {"T3", 100, 1}}) {
    Rle rle;
    ASSERT_TRUE(FromString(text, h, w, &rle)) << text;
    EXPECT_EQ(ToString(rle), text);
  }
  Rle bad;
  EXPECT_FALSE(FromString("11110", 4, 4, &bad));  // covers 6 pixels, not 16
  EXPECT_FALSE(FromString("1\x01", 1, 1, &bad));  // not an encoding character
  EXPECT_FALSE(FromString("T", 100, 1, &bad));    // truncated
}

TEST(MaskUtilTest, RandomRoundTripsMergeAndIouAgreeWithBitmaps) {
  std::mt19937 rng(1);
  for (int trial = 0; trial < 30; ++trial) {
    const int64_t h = 5 + trial, w = 40 - trial;
    at::Tensor a = RandomMask(&rng, h, w), b = RandomMask(&rng, h, w);
    Rle ra = Encode(a), rb = Encode(b);
    EXPECT_TRUE(at::equal(Decode(ra), a));
    Rle parsed;
    ASSERT_TRUE(FromString(ToString(ra), h, w, &parsed));
    EXPECT_EQ(parsed, ra);
    EXPECT_EQ(Area(ra), static_cast<uint64_t>(a.sum().item<int64_t>()));
    EXPECT_EQ(Merge({ra, rb}), Encode(a.logical_or(b)));
    EXPECT_EQ(Merge({ra, rb}, /*intersect=*/true), Encode(a.logical_and(b)));

    const double inter = a.logical_and(b).sum().item<double>();
    const double uni = a.logical_or(b).sum().item<double>();
    auto ious = Iou({ra}, {rb, rb}, {false, true});
    EXPECT_NEAR(ious[0][0], inter > 0 ? inter / uni : 0.0, 1e-12);
    EXPECT_NEAR(ious[0][1], inter > 0 ? inter / a.sum().item<double>() : 0.0, 1e-12);

    // toBbox against the bitmap's extent.
    at::Tensor ys = a.any(1).nonzero(), xs = a.any(0).nonzero();
    if (ys.numel() > 0) {
      const double y0 = ys.min().item<double>(), y1 = ys.max().item<double>();
      const double x0 = xs.min().item<double>(), x1 = xs.max().item<double>();
      EXPECT_EQ(ToBbox(ra), (std::array<double, 4>{x0, y0, x1 - x0 + 1, y1 - y0 + 1}));
    }
  }
  EXPECT_EQ(Merge({MakeRle(2, 2, {4}), MakeRle(3, 2, {6})}).h, 0);  // size mismatch
}

// pycocotools rasterises [0,0 4,0 4,4 0,4] to pixels 0..3 x 0..3 (worked through its frPoly).
TEST(MaskUtilTest, PolygonsRasteriseAsPycocotools) {
  Rle square = FromPolygon({0, 0, 4, 0, 4, 4, 0, 4}, 6, 6);
  EXPECT_EQ(square, MakeRle(6, 6, {0, 4, 2, 4, 2, 4, 2, 4, 14}));
  at::Tensor expected = at::zeros({6, 6}, at::kByte);
  expected.slice(0, 0, 4).slice(1, 0, 4).fill_(1);
  EXPECT_TRUE(at::equal(Decode(square), expected));
  // Two polygons of one object are merged; the part outside the image is clipped.
  Rle two = FromPolygons({{0, 0, 4, 0, 4, 4, 0, 4}, {4, 4, 9, 4, 9, 9, 4, 9}}, 6, 6);
  expected.slice(0, 4, 6).slice(1, 4, 6).fill_(1);
  EXPECT_TRUE(at::equal(Decode(two), expected));
  // Right triangle x + y < 20: frPoly keeps column k's rows 0 .. 18 - k, the pixels whose
  // centres (x + 0.5, y + 0.5) are strictly inside; 190 pixels.
  Rle triangle = FromPolygon({0, 0, 20, 0, 0, 20}, 30, 30);
  EXPECT_EQ(Area(triangle), 190u);
  at::Tensor inside = (at::arange(30).unsqueeze(0) + at::arange(30).unsqueeze(1) + 1 < 20)
                          .to(at::kByte);
  EXPECT_TRUE(at::equal(Decode(triangle), inside));
}

TEST(MaskUtilTest, PasteMasksLikeMmdetection) {
  at::Tensor masks = at::ones({1, 28, 28});
  at::Tensor boxes = at::tensor({2.f, 2.f, 6.f, 6.f}).reshape({1, 4});
  at::Tensor pasted = PasteMasks(masks, boxes, 10, 10, 0.5);
  ASSERT_EQ(pasted.sizes(), (std::vector<int64_t>{1, 10, 10}));
  at::Tensor expected = at::zeros({1, 10, 10}, at::kBool);
  expected.slice(1, 2, 6).slice(2, 2, 6).fill_(true);  // pixel centres 2.5 .. 5.5
  EXPECT_TRUE(at::equal(pasted, expected));
  at::Tensor soft = PasteMasks(masks * 0.5, boxes, 10, 10, -1);
  EXPECT_EQ(soft.scalar_type(), at::kByte);
  EXPECT_EQ(soft[0][3][3].item<uint8_t>(), 127);
  EXPECT_EQ(PasteMasks(at::zeros({0, 28, 28}), at::zeros({0, 4}), 7, 9).sizes(),
            (std::vector<int64_t>{0, 7, 9}));
  EXPECT_THROW(PasteMasks(masks, at::zeros({2, 4}), 7, 9), c10::Error);
}

// The whole-image paste (MMDetection's GPU path, skip_empty=False), written out here as the
// reference: binary masks agree with the per-box-region paste everywhere, since outside the
// box grown by a pixel every sample is below half the edge value.
at::Tensor FullImagePaste(const at::Tensor& masks, const at::Tensor& boxes, int64_t h, int64_t w) {
  const int64_t n = masks.size(0);
  at::Tensor x0 = boxes.select(1, 0).unsqueeze(1), y0 = boxes.select(1, 1).unsqueeze(1);
  at::Tensor x1 = boxes.select(1, 2).unsqueeze(1), y1 = boxes.select(1, 3).unsqueeze(1);
  at::Tensor iy = (at::arange(h, at::kFloat) + 0.5 - y0) / (y1 - y0) * 2 - 1;
  at::Tensor ix = (at::arange(w, at::kFloat) + 0.5 - x0) / (x1 - x0) * 2 - 1;
  at::Tensor grid = at::stack({ix.unsqueeze(1).expand({n, h, w}), iy.unsqueeze(2).expand({n, h, w})}, 3);
  return at::grid_sampler(masks.unsqueeze(1), grid, 0, 0, false).squeeze(1);
}

TEST(MaskUtilTest, PasteMasksByBoxRegionEqualsTheWholeImagePaste) {
  at::manual_seed(3);
  const int64_t n = 40, h = 90, w = 130;
  // Saturated and soft probabilities, boxes of every size, some beyond the image.
  at::Tensor masks = at::rand({n, 28, 28});
  masks.slice(0, 0, 10).fill_(1.0);
  at::Tensor xy = at::rand({n, 2}) * at::tensor({150.f, 110.f}) - 10;
  at::Tensor wh = at::rand({n, 2}) * at::tensor({120.f, 80.f}) + 0.5;
  at::Tensor boxes = at::cat({xy, xy + wh}, 1);
  const at::Tensor full = FullImagePaste(masks, boxes, h, w);
  EXPECT_TRUE(at::equal(PasteMasks(masks, boxes, h, w, 0.5), full >= 0.5));
  EXPECT_TRUE(at::equal(PasteMasks(masks, boxes, h, w, 0.3), full >= 0.3));
  // Soft masks: equal inside each box's region (v2.0's CPU path crops the rest to zero).
  const at::Tensor soft = PasteMasks(masks, boxes, h, w, -1);
  const at::Tensor expected = (full * 255).to(at::kByte);
  for (int64_t i = 0; i < n; ++i) {
    const auto b = boxes[i];
    const int64_t rx0 = std::max<int64_t>(0, static_cast<int64_t>(std::floor(b[0].item<float>())) - 1);
    const int64_t ry0 = std::max<int64_t>(0, static_cast<int64_t>(std::floor(b[1].item<float>())) - 1);
    const int64_t rx1 = std::min<int64_t>(w, static_cast<int64_t>(std::ceil(b[2].item<float>())) + 1);
    const int64_t ry1 = std::min<int64_t>(h, static_cast<int64_t>(std::ceil(b[3].item<float>())) + 1);
    if (rx1 <= rx0 || ry1 <= ry0) continue;
    EXPECT_TRUE(at::equal(soft[i].slice(0, ry0, ry1).slice(1, rx0, rx1),
                          expected[i].slice(0, ry0, ry1).slice(1, rx0, rx1)))
        << i;
  }
}

}  // namespace
}  // namespace mmdet::ops
