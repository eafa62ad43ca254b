// DataLoader: a multi-threaded, prefetching batch loader over a Dataset and a Sampler
// (torch.utils.data.DataLoader as MMDetection's build_dataloader sets it up, with threads in
// place of worker processes).
//
//   LoaderConfig config;  // imgs_per_gpu 2, workers_per_gpu 2, shuffled
//   MMDET_ASSIGN_OR_RETURN(std::unique_ptr<DataLoader> loader, BuildDataLoader(dataset, config));
//   for (int epoch = 0; epoch < epochs; ++epoch) {
//     loader->StartEpoch(epoch);
//     while (true) {
//       MMDET_ASSIGN_OR_RETURN(std::optional<std::vector<Batch>> batch, loader->Next());
//       if (!batch) break;
//       ...  // (*batch)[0] in training; one Batch per test-time view in testing
//     }
//   }
//
// Determinism: sample k of an epoch is built with an Rng seeded from (seed, epoch, k), so
// batches are identical whatever the number of workers and whichever thread builds them.
// Workers run ahead of the consumer by at most `prefetch_batches` batches; Next returns
// batches in sampler order. The first error (a missing image...) is returned by Next and
// ends the epoch.
#ifndef MMDET_DATASETS_LOADER_DATA_LOADER_H_
#define MMDET_DATASETS_LOADER_DATA_LOADER_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/datasets/dataset.h"
#include "mmdet/datasets/loader/collate.h"
#include "mmdet/datasets/loader/sampler.h"

namespace mmdet::datasets {

struct DataLoaderOptions {
  size_t batch_size = 2;
  int num_workers = 2;  // 0: batches are built in the thread that calls Next
  uint64_t seed = 0;
  int prefetch_batches = 0;  // 0: 2 per worker
};

class DataLoader {
 public:
  DataLoader(std::shared_ptr<const Dataset> dataset, std::shared_ptr<const Sampler> sampler,
             DataLoaderOptions options);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  // Batches per epoch (the last one may be smaller).
  size_t num_batches() const;
  const Dataset& dataset() const { return *dataset_; }

  // Begins `epoch`, abandoning what is left of the previous one. Call it before Next.
  void StartEpoch(int64_t epoch);
  // The epoch's next batch, one Batch per view; nullopt once the epoch is over.
  absl::StatusOr<std::optional<std::vector<Batch>>> Next();

 private:
  using Slot = std::optional<absl::StatusOr<std::vector<Batch>>>;

  absl::StatusOr<std::vector<Batch>> LoadBatch(size_t k) const;
  void WorkerLoop();
  void StopWorkers();

  std::shared_ptr<const Dataset> dataset_;
  std::shared_ptr<const Sampler> sampler_;
  DataLoaderOptions options_;

  int64_t epoch_ = 0;
  std::vector<size_t> indices_;  // this epoch's sampler order
  size_t num_batches_ = 0;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Slot> slots_;
  size_t next_claim_ = 0;   // next batch a worker will build
  size_t next_return_ = 0;  // next batch Next returns
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

// MMDetection's build_dataloader: a GroupSampler (shuffle) or in-order sampling on one
// process; DistributedGroupSampler (shuffle) or DistributedSampler across `world_size` ranks.
struct LoaderConfig {
  int imgs_per_gpu = 2;
  int workers_per_gpu = 2;
  bool shuffle = true;
  bool distributed = false;
  int world_size = 1;
  int rank = 0;
  uint64_t seed = 0;
};
absl::StatusOr<std::unique_ptr<DataLoader>> BuildDataLoader(std::shared_ptr<const Dataset> dataset,
                                                            const LoaderConfig& config);

}  // namespace mmdet::datasets

#endif  // MMDET_DATASETS_LOADER_DATA_LOADER_H_
