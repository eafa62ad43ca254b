#include "mmdet/apis/async_inference.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "mmdet/apis/test.h"
#include "mmdet/core/status_macros.h"
#include "torch/utils.h"

#ifdef MMDET_WITH_CUDA_STREAMS
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace mmdet::apis {

namespace {

// The model's work for one image; on a CUDA device inside this worker's stream, waited for
// through an event recorded on it.
absl::StatusOr<evaluation::DetectionResults> Detect(Detector& detector, cv::Mat image) {
  if (image.type() != CV_8UC3) {
    return absl::InvalidArgumentError(
        "expected an 8-bit 3-channel BGR cv::Mat (as mmcv.imread gives)");
  }
  MMDET_ASSIGN_OR_RETURN(const PreparedImage prepared, PrepareImage(detector, std::move(image)));
  evaluation::DetectionResults results;
  results.kind = ResultsKind(*detector.model);
#ifdef MMDET_WITH_CUDA_STREAMS
  if (detector.device.is_cuda()) {
    // One stream per worker thread and device, kept for the thread's life.
    thread_local std::vector<std::unique_ptr<c10::cuda::CUDAStream>> streams;
    const size_t index = static_cast<size_t>(detector.device.index());
    if (streams.size() <= index) streams.resize(index + 1);
    if (!streams[index]) {
      streams[index] = std::make_unique<c10::cuda::CUDAStream>(
          c10::cuda::getStreamFromPool(/*isHighPriority=*/false, detector.device.index()));
    }
    c10::cuda::CUDAStreamGuard guard(*streams[index]);
    MMDET_ASSIGN_OR_RETURN(const models::ImageResult out, RunModel(detector, prepared));
    at::cuda::CUDAEvent done;
    done.record(*streams[index]);
    done.synchronize();  // this worker waits; the caller holds a future
    AppendImageResult(out, &results);
    return results;
  }
#endif
  MMDET_ASSIGN_OR_RETURN(const models::ImageResult out, RunModel(detector, prepared));
  AppendImageResult(out, &results);
  return results;
}

}  // namespace

InferencePool::InferencePool(int concurrency) {
  for (int i = 0; i < std::max(1, concurrency); ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
}

InferencePool::~InferencePool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void InferencePool::WorkerLoop() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping, and every queued call is done
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

std::future<absl::StatusOr<evaluation::DetectionResults>> InferencePool::Submit(Detector& detector,
                                                                               cv::Mat image) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<evaluation::DetectionResults>>>();
  auto future = promise->get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back([promise, &detector, image = std::move(image)]() mutable {
      try {
        torch::NoGradGuard no_grad;
        promise->set_value(Detect(detector, std::move(image)));
      } catch (const std::exception& e) {
        promise->set_value(absl::InternalError(absl::StrCat("async inference: ", e.what())));
      }
    });
  }
  cv_.notify_one();
  return future;
}

std::future<absl::StatusOr<evaluation::DetectionResults>> AsyncInferenceDetector(
    InferencePool& pool, Detector& detector, const cv::Mat& image) {
  return pool.Submit(detector, image.clone());
}

}  // namespace mmdet::apis
