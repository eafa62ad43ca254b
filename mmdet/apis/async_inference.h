// The asynchronous inference API (MMDetection v2.0's async_inference_detector with
// mmdet.utils.contextmanagers.concurrent): several images, or several models, in flight at
// once, each call answered by a future.
//
//   apis::InferencePool pool(4);  // the seed's streamqueue of size 4: 4 images at once
//   std::vector<std::future<absl::StatusOr<evaluation::DetectionResults>>> futures;
//   for (const cv::Mat& frame : frames) futures.push_back(apis::AsyncInferenceDetector(pool, *model, frame));
//   for (auto& f : futures) { auto result = f.get(); ... }
//
// The pool has `concurrency` worker threads. On a GPU detector each worker runs the model on
// its own CUDA stream from LibTorch's pool, and detects completion with a CUDA event recorded
// on that stream, so the calling thread never waits for the GPU; on the CPU the workers share
// the CPU. Results are those of InferenceDetector whatever the concurrency
// (tests/inference_test). Calls queue when every worker is busy; the pool's destructor waits
// for the queued calls.
#ifndef MMDET_APIS_ASYNC_INFERENCE_H_
#define MMDET_APIS_ASYNC_INFERENCE_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/apis/inference.h"
#include "mmdet/evaluation/results.h"
#include "opencv2/core.hpp"

namespace mmdet::apis {

class InferencePool {
 public:
  explicit InferencePool(int concurrency);
  ~InferencePool();
  InferencePool(const InferencePool&) = delete;
  InferencePool& operator=(const InferencePool&) = delete;

  int concurrency() const { return static_cast<int>(workers_.size()); }

  // Detects objects in `image` (8-bit BGR) with `detector` on a worker; `detector` must
  // outlive the future.
  std::future<absl::StatusOr<evaluation::DetectionResults>> Submit(Detector& detector,
                                                                   cv::Mat image);

 private:
  void WorkerLoop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

// async_inference_detector: `pool.Submit(detector, image)`.
std::future<absl::StatusOr<evaluation::DetectionResults>> AsyncInferenceDetector(
    InferencePool& pool, Detector& detector, const cv::Mat& image);

}  // namespace mmdet::apis

#endif  // MMDET_APIS_ASYNC_INFERENCE_H_
