// MMDetection v2.0's mmdet/apis/test.py: a detector over a test loader, collecting each
// image's result in dataset order (single_gpu_test), for the EvalHook and the test tool.
//
//   loader: BuildDataLoader(val_dataset, {imgs_per_gpu 1, shuffle false})
//   MMDET_ASSIGN_OR_RETURN(DetectionResults results, SingleGpuTest(*model, *loader, device));
//
// Boxes stay float32 [n, 5] per class; Mask R-CNN's masks become pycocotools RLEs (the
// encode_mask_results of later MMDetection versions: the same values, smaller in memory);
// an RPN's single class is its proposals. Multi-view batches (MultiScaleFlipAug with several
// scales or flip) go through the detector's AugTest, one image at a time, as MMDetection's
// aug_test; single-stage detectors refuse them with an error.
#ifndef MMDET_APIS_TEST_H_
#define MMDET_APIS_TEST_H_

#include <cstddef>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/datasets/loader/data_loader.h"
#include "mmdet/evaluation/results.h"
#include "mmdet/models/detectors/detector.h"
#include "torch/types.h"

namespace mmdet::apis {

// Called after each batch with (batches done, batches in the loader).
using TestProgress = std::function<void(size_t done, size_t total)>;

// The results kind of `model`'s outputs: masks with a mask head, proposals for an RPN, else
// boxes.
evaluation::DetectionResults::Kind ResultsKind(const models::DetectorImpl& model);

// Appends one image's result to `results` (at the end).
void AppendImageResult(const models::ImageResult& result, evaluation::DetectionResults* results);

// One process's share of a test: results[k] belongs to dataset image indices[k] (loader order,
// each image once: a sampler's padding repeats are dropped).
struct TestShard {
  evaluation::DetectionResults results;
  std::vector<size_t> indices;
};

// Runs `model` (set to eval mode, no grad) over every batch of `loader` (epoch 0) on `device`
// with rescale to the original images. Errors name the image. `progress` counts this shard.
absl::StatusOr<TestShard> TestLoader(models::DetectorImpl& model, datasets::DataLoader& loader,
                                     const torch::Device& device,
                                     const TestProgress& progress = nullptr);

// TestLoader over a loader that visits the whole dataset; results[i] is dataset image i.
absl::StatusOr<evaluation::DetectionResults> SingleGpuTest(models::DetectorImpl& model,
                                                           datasets::DataLoader& loader,
                                                           const torch::Device& device,
                                                           const TestProgress& progress = nullptr);

}  // namespace mmdet::apis

#endif  // MMDET_APIS_TEST_H_
