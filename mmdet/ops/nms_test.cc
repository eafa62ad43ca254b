#include "mmdet/ops/nms.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace mmdet::ops {
namespace {

at::Tensor Boxes(std::vector<float> values) {
  return at::tensor(values).reshape({-1, 4});
}

std::vector<int64_t> ToVector(const at::Tensor& t) {
  at::Tensor c = t.contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

// [0,0,10,10] vs [1,1,11,11]: IoU = 81 / 119 = 0.6807 with offset 0 (MMDetection v2,
// torchvision) and 100 / 142 = 0.7042 with offset 1 (v1's "+1").
TEST(NmsTest, MatchesV2GeometryAndTheLegacyOffset) {
  at::Tensor boxes = Boxes({0, 0, 10, 10, 1, 1, 11, 11});
  at::Tensor scores = at::tensor({0.9f, 0.8f});
  EXPECT_EQ(ToVector(Nms(boxes, scores, 0.68)), (std::vector<int64_t>{0}));
  EXPECT_EQ(ToVector(Nms(boxes, scores, 0.69)), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(ToVector(Nms(boxes, scores, 0.69, /*offset=*/1)), (std::vector<int64_t>{0}));
  EXPECT_EQ(ToVector(Nms(boxes, scores, 0.71, /*offset=*/1)), (std::vector<int64_t>{0, 1}));
}

TEST(NmsTest, SuppressesOnlyStrictlyAboveTheThreshold) {
  // IoU exactly 0.5: [0,0,2,1] vs [0,0,1,1] -> 1 / 2.
  at::Tensor boxes = Boxes({0, 0, 2, 1, 0, 0, 1, 1});
  at::Tensor scores = at::tensor({0.9f, 0.8f});
  EXPECT_EQ(ToVector(Nms(boxes, scores, 0.5)).size(), 2u);
  EXPECT_EQ(ToVector(Nms(boxes, scores, 0.49)).size(), 1u);
}

TEST(NmsTest, OrdersByScoreAndKeepsInputOrderOnTies) {
  at::Tensor boxes = Boxes({0, 0, 1, 1, 10, 10, 11, 11, 20, 20, 21, 21, 30, 30, 31, 31});
  at::Tensor scores = at::tensor({0.5f, 0.9f, 0.5f, 0.7f});
  EXPECT_EQ(ToVector(Nms(boxes, scores, 0.5)), (std::vector<int64_t>{1, 3, 0, 2}));
}

// An independent reference: full IoU matrix in double, greedy by stable score order.
std::vector<int64_t> ReferenceNms(const std::vector<std::array<double, 4>>& boxes,
                                  const std::vector<double>& scores, double threshold) {
  std::vector<int64_t> order(boxes.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return scores[a] > scores[b]; });
  auto iou = [&](int64_t a, int64_t b) {
    double w = std::max(0.0, std::min(boxes[a][2], boxes[b][2]) -
                                 std::max(boxes[a][0], boxes[b][0]));
    double h = std::max(0.0, std::min(boxes[a][3], boxes[b][3]) -
                                 std::max(boxes[a][1], boxes[b][1]));
    double area = [&](int64_t i) {
      return (boxes[i][2] - boxes[i][0]) * (boxes[i][3] - boxes[i][1]);
    }(a) + (boxes[b][2] - boxes[b][0]) * (boxes[b][3] - boxes[b][1]);
    return w * h / (area - w * h);
  };
  std::vector<int64_t> keep;
  for (int64_t i : order) {
    bool ok = true;
    for (int64_t k : keep) ok = ok && iou(i, k) <= threshold;
    if (ok) keep.push_back(i);
  }
  return keep;
}

TEST(NmsTest, AgreesWithAReferenceOnRandomBoxes) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> pos(0, 100), size(1, 40), score(0, 1);
  for (int trial = 0; trial < 20; ++trial) {
    const int n = 50 + trial * 10;
    std::vector<std::array<double, 4>> boxes(n);
    std::vector<double> scores(n);
    std::vector<double> flat;
    for (int i = 0; i < n; ++i) {
      double x = pos(rng), y = pos(rng);
      boxes[i] = {x, y, x + size(rng), y + size(rng)};
      scores[i] = score(rng);
      flat.insert(flat.end(), boxes[i].begin(), boxes[i].end());
    }
    at::Tensor t_boxes = at::tensor(flat, at::kDouble).reshape({n, 4});
    at::Tensor t_scores = at::tensor(scores, at::kDouble);
    for (double thr : {0.3, 0.5, 0.7}) {
      EXPECT_EQ(ToVector(Nms(t_boxes, t_scores, thr)), ReferenceNms(boxes, scores, thr))
          << "trial " << trial << " thr " << thr;
    }
  }
}

TEST(NmsTest, EmptyInputAndShapeErrors) {
  EXPECT_EQ(Nms(at::zeros({0, 4}), at::zeros({0}), 0.5).numel(), 0);
  EXPECT_THROW(Nms(at::zeros({3, 5}), at::zeros({3}), 0.5), c10::Error);
  EXPECT_THROW(Nms(at::zeros({3, 4}), at::zeros({2}), 0.5), c10::Error);
}

TEST(BatchedNmsTest, NeverSuppressesAcrossClasses) {
  at::Tensor boxes = Boxes({0, 0, 10, 10, 1, 1, 11, 11, 0, 0, 10, 10});
  at::Tensor scores = at::tensor({0.9f, 0.8f, 0.7f});
  at::Tensor idxs = at::tensor({0, 0, 1}, at::kLong);
  auto [dets, keep] = BatchedNms(boxes, scores, idxs, NmsOptions{});
  EXPECT_EQ(ToVector(keep), (std::vector<int64_t>{0, 2}));
  ASSERT_EQ(dets.sizes(), (std::vector<int64_t>{2, 5}));
  EXPECT_TRUE(at::equal(dets.narrow(1, 0, 4), boxes.index_select(0, keep)));
  EXPECT_FLOAT_EQ(dets[1][4].item<float>(), 0.7f);

  NmsOptions agnostic;
  agnostic.class_agnostic = true;
  EXPECT_EQ(ToVector(std::get<1>(BatchedNms(boxes, scores, idxs, agnostic))),
            (std::vector<int64_t>{0}));
}

// MMDetection's batched_nms is one greedy pass over class-shifted boxes; the CPU path runs
// one pass per class over the same shifted boxes. Same survivors, same order, on random
// boxes with rounded coordinates (many exact ties and touching boxes), both offsets, float
// and double, few and many classes, empty classes.
TEST(BatchedNmsTest, PerClassPassesEqualMmdetectionsSinglePass) {
  at::manual_seed(3);
  for (at::ScalarType dtype : {at::kFloat, at::kDouble}) {
    for (int64_t classes : {1, 3, 80}) {
      for (int64_t offset : {0, 1}) {
        const int64_t n = 3000;
        at::Tensor xy = (at::rand({n, 2}) * 300).round();
        at::Tensor boxes = at::cat({xy, xy + (at::rand({n, 2}) * 60 + 1).round()}, 1).to(dtype);
        at::Tensor scores = (at::rand({n}) * 50).round().to(dtype) / 50;  // ties
        at::Tensor idxs = at::randint(0, classes, {n}, at::kLong) * 2;    // gaps
        NmsOptions options;
        options.offset = offset;
        options.iou_threshold = 0.5;
        auto [dets, keep] = BatchedNms(boxes, scores, idxs, options);
        const at::Tensor span = at::where(boxes.min() >= 0, boxes.max() + 1,
                                          boxes.max() - boxes.min() + 1);
        const at::Tensor shifted = boxes + (idxs.to(dtype) * span).unsqueeze(1);
        EXPECT_EQ(ToVector(keep), ToVector(Nms(shifted, scores, 0.5, offset)))
            << "classes " << classes << " offset " << offset << " dtype " << dtype;
        EXPECT_TRUE(at::equal(dets.select(1, 4), scores.index_select(0, keep)));
      }
    }
  }
}

TEST(BatchedNmsTest, SeparatesClassesWithNegativeCoordinates) {
  at::Tensor boxes = Boxes({-50, -50, -40, -40, -50, -50, -40, -40});
  at::Tensor scores = at::tensor({0.9f, 0.8f});
  auto [dets, keep] = BatchedNms(boxes, scores, at::tensor({0, 1}, at::kLong), NmsOptions{});
  EXPECT_EQ(ToVector(keep), (std::vector<int64_t>{0, 1}));
}

// A, B overlap with IoU 0.6807; C is apart.
TEST(SoftNmsTest, LinearGaussianAndMinScore) {
  at::Tensor boxes = Boxes({0, 0, 10, 10, 1, 1, 11, 11, 20, 20, 30, 30});
  at::Tensor scores = at::tensor({0.9f, 0.8f, 0.7f});
  const double iou = 81.0 / 119.0;

  auto [dets, keep] = SoftNms(boxes, scores, 0.3, 0.5, 1e-3, SoftNmsMethod::kLinear);
  EXPECT_EQ(ToVector(keep), (std::vector<int64_t>{0, 2, 1}));
  EXPECT_NEAR(dets[2][4].item<float>(), 0.8 * (1 - iou), 1e-6);
  EXPECT_TRUE(at::equal(dets.narrow(1, 0, 4), boxes.index_select(0, keep)));

  auto [gdets, gkeep] = SoftNms(boxes, scores, 0.3, 0.5, 1e-3, SoftNmsMethod::kGaussian);
  EXPECT_EQ(ToVector(gkeep), (std::vector<int64_t>{0, 2, 1}));
  EXPECT_NEAR(gdets[2][4].item<float>(), 0.8 * std::exp(-iou * iou / 0.5), 1e-6);

  // Linear decay below min_score drops B.
  auto [mdets, mkeep] = SoftNms(boxes, scores, 0.3, 0.5, 0.3, SoftNmsMethod::kLinear);
  EXPECT_EQ(ToVector(mkeep), (std::vector<int64_t>{0, 2}));

  // Below the threshold, linear leaves scores alone; naive is hard NMS.
  EXPECT_EQ(ToVector(std::get<1>(SoftNms(boxes, scores, 0.7))),
            (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(ToVector(std::get<1>(SoftNms(boxes, scores, 0.3, 0.5, 1e-3, SoftNmsMethod::kNaive))),
            (std::vector<int64_t>{0, 2}));
}

TEST(SoftNmsTest, ThroughBatchedNmsReturnsDecayedScores) {
  at::Tensor boxes = Boxes({0, 0, 10, 10, 1, 1, 11, 11});
  NmsOptions soft;
  soft.soft = true;
  soft.iou_threshold = 0.3;
  auto [dets, keep] =
      BatchedNms(boxes, at::tensor({0.9f, 0.8f}), at::tensor({0, 0}, at::kLong), soft);
  EXPECT_EQ(ToVector(keep), (std::vector<int64_t>{0, 1}));
  EXPECT_NEAR(dets[1][4].item<float>(), 0.8 * (1 - 81.0 / 119.0), 1e-6);
  EXPECT_TRUE(at::equal(dets.narrow(1, 0, 4), boxes));
}

}  // namespace
}  // namespace mmdet::ops
