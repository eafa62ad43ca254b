#include "mmdet/ops/bbox_overlaps.h"

#include <vector>

#include "gtest/gtest.h"

namespace mmdet::ops {
namespace {

at::Tensor Boxes(std::vector<float> values) { return at::tensor(values).reshape({-1, 4}); }

// The example in MMDetection v2's bbox_overlaps docstring.
TEST(BboxOverlapsTest, MmdetectionDocstringExample) {
  at::Tensor a = Boxes({0, 0, 10, 10, 10, 10, 20, 20, 32, 32, 38, 42});
  at::Tensor b = Boxes({0, 0, 10, 20, 0, 10, 10, 19, 10, 10, 20, 20});
  at::Tensor expected = at::tensor({0.5f, 0.f, 0.f, 0.f, 0.f, 1.f, 0.f, 0.f, 0.f}).reshape({3, 3});
  EXPECT_TRUE(at::allclose(BboxOverlaps(a, b), expected, 1e-5, 1e-6));
}

TEST(BboxOverlapsTest, IofAlignedAndGiou) {
  at::Tensor a = Boxes({0, 0, 10, 10, 0, 0, 10, 10});
  at::Tensor b = Boxes({5, 0, 15, 10, 20, 0, 30, 10});
  // IoU = 50 / 150; IoF = 50 / 100.
  at::Tensor iou = BboxOverlaps(a, b);
  EXPECT_NEAR(iou[0][0].item<float>(), 1.0 / 3.0, 1e-6);
  EXPECT_NEAR(BboxOverlaps(a, b, OverlapMode::kIoF)[0][0].item<float>(), 0.5, 1e-6);
  at::Tensor aligned = BboxOverlaps(a, b, OverlapMode::kIoU, /*is_aligned=*/true);
  ASSERT_EQ(aligned.sizes(), (std::vector<int64_t>{2}));
  EXPECT_NEAR(aligned[0].item<float>(), 1.0 / 3.0, 1e-6);
  EXPECT_EQ(aligned[1].item<float>(), 0.f);
  // Disjoint: GIoU = 0 - (300 - 200) / 300; overlapping: 1/3 - (150 - 150) / 150.
  at::Tensor giou = BboxOverlaps(a, b, OverlapMode::kGIoU, true);
  EXPECT_NEAR(giou[1].item<float>(), -1.0 / 3.0, 1e-6);
  EXPECT_NEAR(giou[0].item<float>(), 1.0 / 3.0, 1e-6);
}

TEST(BboxOverlapsTest, EmptyInputsAndErrors) {
  EXPECT_EQ(BboxOverlaps(at::zeros({0, 4}), at::zeros({3, 4})).sizes(),
            (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(BboxOverlaps(at::zeros({2, 4}), at::zeros({0, 4})).sizes(),
            (std::vector<int64_t>{2, 0}));
  EXPECT_THROW(BboxOverlaps(at::zeros({2, 4}), at::zeros({3, 4}), OverlapMode::kIoU, true),
               c10::Error);
  EXPECT_THROW(BboxOverlaps(at::zeros({2, 3}), at::zeros({3, 4})), c10::Error);
}

}  // namespace
}  // namespace mmdet::ops
