// CPU-versus-CUDA parity of the ops. Tagged `gpu`: run it on a GPU machine with
//   bazel test --config=cuda --test_tag_filters=gpu //mmdet/ops:ops_gpu_parity_test
// It fails (rather than skips) without a usable GPU, so a green run means it ran.
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "mmdet/ops/focal_loss.h"
#include "mmdet/ops/nms.h"
#include "mmdet/ops/roi_align.h"
#include "mmdet/ops/roi_pool.h"

namespace mmdet::ops {
namespace {

class GpuParityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(at::hasCUDA()) << "no CUDA device (or a CPU-only LibTorch)";
    at::manual_seed(11);
  }
};

at::Tensor RandomBoxes(int64_t n, at::ScalarType type) {
  at::Tensor xy = at::rand({n, 2}, type) * 500;
  at::Tensor wh = at::rand({n, 2}, type) * 120 + 1;
  return at::cat({xy, xy + wh}, 1);
}

TEST_F(GpuParityTest, NmsKeepsTheSameBoxes) {
  for (at::ScalarType type : {at::kFloat, at::kDouble}) {
    for (int64_t n : {0, 1, 63, 64, 65, 1000, 5000}) {
      at::Tensor boxes = RandomBoxes(n, type);
      at::Tensor scores = at::rand({n}, type);
      for (double thr : {0.3, 0.5, 0.7}) {
        for (int64_t offset : {0, 1}) {
          at::Tensor cpu = Nms(boxes, scores, thr, offset);
          at::Tensor gpu = Nms(boxes.cuda(), scores.cuda(), thr, offset);
          ASSERT_TRUE(gpu.is_cuda());
          EXPECT_TRUE(at::equal(cpu, gpu.cpu())) << "n " << n << " thr " << thr;
        }
      }
    }
  }
}

TEST_F(GpuParityTest, BatchedNmsKeepsTheSameBoxes) {
  at::Tensor boxes = RandomBoxes(3000, at::kFloat);
  at::Tensor scores = at::rand({3000});
  at::Tensor idxs = at::randint(0, 80, {3000}, at::kLong);
  auto [cpu_dets, cpu_keep] = BatchedNms(boxes, scores, idxs, NmsOptions{});
  auto [gpu_dets, gpu_keep] = BatchedNms(boxes.cuda(), scores.cuda(), idxs.cuda(), NmsOptions{});
  EXPECT_TRUE(at::equal(cpu_keep, gpu_keep.cpu()));
  EXPECT_TRUE(at::allclose(cpu_dets, gpu_dets.cpu()));
}

TEST_F(GpuParityTest, RoiAlignForwardAndBackward) {
  for (at::ScalarType type : {at::kFloat, at::kDouble}) {
    at::Tensor input = at::rand({2, 16, 50, 68}, type);
    at::Tensor boxes = RandomBoxes(300, type) / 8;
    at::Tensor batch = at::randint(0, 2, {300, 1}, type);
    at::Tensor rois = at::cat({batch, boxes}, 1);
    for (bool aligned : {true, false}) {
      for (int64_t sampling : {0, 2}) {
        at::Tensor x_cpu = input.clone().requires_grad_(true);
        at::Tensor x_gpu = input.cuda().requires_grad_(true);
        at::Tensor out_cpu = RoiAlign(x_cpu, rois, 0.25, 7, 7, sampling, aligned);
        at::Tensor out_gpu = RoiAlign(x_gpu, rois.cuda(), 0.25, 7, 7, sampling, aligned);
        EXPECT_TRUE(at::allclose(out_cpu, out_gpu.cpu(), 1e-5, 1e-5));
        at::Tensor weights = at::rand_like(out_cpu);
        (out_cpu * weights).sum().backward();
        (out_gpu * weights.cuda()).sum().backward();
        EXPECT_TRUE(at::allclose(x_cpu.grad(), x_gpu.grad().cpu(), 1e-4, 1e-5));
      }
    }
  }
  at::Tensor empty = RoiAlign(at::rand({1, 4, 8, 8}).cuda(), at::zeros({0, 5}).cuda(), 1.0, 7,
                              7, 0, true);
  EXPECT_EQ(empty.size(0), 0);
}

TEST_F(GpuParityTest, RoiPoolForwardAndBackward) {
  at::Tensor input = at::rand({2, 16, 50, 68}, at::kDouble);
  at::Tensor rois = at::cat({at::randint(0, 2, {300, 1}, at::kDouble),
                             RandomBoxes(300, at::kDouble) / 8},
                            1);
  at::Tensor x_cpu = input.clone().requires_grad_(true);
  at::Tensor x_gpu = input.cuda().requires_grad_(true);
  at::Tensor out_cpu = RoiPool(x_cpu, rois, 0.25, 7, 7);
  at::Tensor out_gpu = RoiPool(x_gpu, rois.cuda(), 0.25, 7, 7);
  EXPECT_TRUE(at::equal(out_cpu, out_gpu.cpu()));
  at::Tensor weights = at::rand_like(out_cpu);
  (out_cpu * weights).sum().backward();
  (out_gpu * weights.cuda()).sum().backward();
  EXPECT_TRUE(at::allclose(x_cpu.grad(), x_gpu.grad().cpu(), 1e-9, 1e-12));
}

TEST_F(GpuParityTest, SigmoidFocalLossForwardAndBackward) {
  at::Tensor logits = at::randn({4000, 80}) * 4;
  at::Tensor labels = at::randint(0, 81, {4000}, at::kLong);
  at::Tensor x_cpu = logits.clone().requires_grad_(true);
  at::Tensor x_gpu = logits.cuda().requires_grad_(true);
  at::Tensor cpu = SigmoidFocalLoss(x_cpu, labels, 2.0, 0.25);
  at::Tensor gpu = SigmoidFocalLoss(x_gpu, labels.cuda(), 2.0, 0.25);
  EXPECT_TRUE(at::allclose(cpu, gpu.cpu(), 1e-5, 1e-6));
  cpu.sum().backward();
  gpu.sum().backward();
  EXPECT_TRUE(at::allclose(x_cpu.grad(), x_gpu.grad().cpu(), 1e-5, 1e-6));
}

}  // namespace
}  // namespace mmdet::ops
