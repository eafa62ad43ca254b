// The inference API on a GPU (tag gpu: run by the GPU script, never by CI): the asynchronous
// pool's CUDA streams give the synchronous results at concurrency 1 and 4, and the CUDA
// results match the CPU ones within float tolerance. Random weights (seeded), so no training
// is needed; the shapes config and a generated image.
#include <future>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mmdet/apis/async_inference.h"
#include "mmdet/apis/inference.h"
#include "mmdet/config/loader.h"
#include "opencv2/imgproc.hpp"
#include "torch/cuda.h"
#include "torch/utils.h"

namespace mmdet {
namespace {

std::shared_ptr<apis::Detector> Make(const std::string& device) {
  auto cfg = LoadConfig("configs/shapes/mask_rcnn_r18_fpn_shapes.pbtxt",
                        {"test_cfg.rcnn.score_thr=0.0"});
  EXPECT_TRUE(cfg.ok()) << cfg.status();
  torch::manual_seed(0);
  auto d = apis::InitDetector(*cfg, "", device);
  EXPECT_TRUE(d.ok()) << d.status();
  return d.ok() ? *d : nullptr;
}

cv::Mat Image(int seed) {
  cv::Mat img(200, 240, CV_8UC3, cv::Scalar(30, 30, 30));
  cv::rectangle(img, {20 + seed * 10, 30, 80, 60}, cv::Scalar(0, 200, 255), cv::FILLED);
  cv::circle(img, {170, 120 - seed * 5}, 40, cv::Scalar(255, 80, 0), cv::FILLED);
  return img;
}

TEST(InferenceGpuTest, StreamPoolMatchesSyncAndCpu) {
  ASSERT_TRUE(torch::cuda::is_available());
  auto gpu = Make("cuda:0");
  auto cpu = Make("cpu");
  ASSERT_NE(gpu, nullptr);
  ASSERT_NE(cpu, nullptr);
  const std::vector<cv::Mat> images = {Image(0), Image(1), Image(2)};
  auto sync = apis::InferenceDetector(*gpu, images);
  ASSERT_TRUE(sync.ok()) << sync.status();
  auto on_cpu = apis::InferenceDetector(*cpu, images);
  ASSERT_TRUE(on_cpu.ok()) << on_cpu.status();
  for (size_t i = 0; i < images.size(); ++i) {
    for (size_t c = 0; c < sync->bboxes[i].size(); ++c) {
      const torch::Tensor& g = sync->bboxes[i][c];
      const torch::Tensor& h = on_cpu->bboxes[i][c];
      if (g.size(0) == h.size(0) && g.size(0) > 0) {
        EXPECT_TRUE(torch::allclose(g, h, 1e-3, 1e-2)) << "image " << i << " class " << c;
      }
    }
  }
  for (const int concurrency : {1, 4}) {
    apis::InferencePool pool(concurrency);
    std::vector<std::future<absl::StatusOr<evaluation::DetectionResults>>> futures;
    for (int round = 0; round < 3; ++round) {
      for (const cv::Mat& img : images) futures.push_back(apis::AsyncInferenceDetector(pool, *gpu, img));
    }
    for (size_t k = 0; k < futures.size(); ++k) {
      auto r = futures[k].get();
      ASSERT_TRUE(r.ok()) << r.status();
      const size_t i = k % images.size();
      for (size_t c = 0; c < r->bboxes[0].size(); ++c) {
        EXPECT_TRUE(torch::equal(r->bboxes[0][c], sync->bboxes[i][c]))
            << "concurrency " << concurrency << " call " << k << " class " << c;
      }
    }
  }
}

}  // namespace
}  // namespace mmdet
