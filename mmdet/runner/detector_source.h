// The runner's TrainSource for a detector: batches from a DataLoader (images moved to
// `device`), forward_train and parse_losses (mmdet's batch_processor). Distributed (a process
// group given), the logged values are averaged over the ranks as _parse_losses does
// (each divided by the world size, then all-reduced), so every rank logs and checks the same
// numbers.
#ifndef MMDET_RUNNER_DETECTOR_SOURCE_H_
#define MMDET_RUNNER_DETECTOR_SOURCE_H_

#include <memory>
#include <optional>
#include <vector>

#include "mmdet/datasets/loader/data_loader.h"
#include "mmdet/models/detectors/detector.h"
#include "mmdet/runner/dist/process_group.h"
#include "mmdet/runner/runner.h"

namespace mmdet::runner {

// The model's ground truth from a loader batch.
models::GroundTruth BatchGroundTruth(const datasets::Batch& batch, const torch::Device& device);

class DetectorTrainSource : public TrainSource {
 public:
  DetectorTrainSource(models::DetectorImpl& model, datasets::DataLoader& loader,
                      torch::Device device, ProcessGroup* pg = nullptr)
      : model_(model), loader_(loader), device_(device), pg_(pg) {}
  size_t num_batches() const override { return loader_.num_batches(); }
  void StartEpoch(int64_t epoch) override { loader_.StartEpoch(epoch); }
  absl::StatusOr<bool> NextBatch() override;
  absl::StatusOr<StepOutput> TrainStep() override;

 private:
  models::DetectorImpl& model_;
  datasets::DataLoader& loader_;
  torch::Device device_;
  ProcessGroup* pg_;
  std::optional<datasets::Batch> batch_;
};

}  // namespace mmdet::runner

#endif  // MMDET_RUNNER_DETECTOR_SOURCE_H_
