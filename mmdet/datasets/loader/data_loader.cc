#include "mmdet/datasets/loader/data_loader.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "mmdet/core/status_macros.h"

namespace mmdet::datasets {

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset,
                       std::shared_ptr<const Sampler> sampler, DataLoaderOptions options)
    : dataset_(std::move(dataset)), sampler_(std::move(sampler)), options_(options) {
  options_.batch_size = std::max<size_t>(options_.batch_size, 1);
  options_.num_workers = std::max(options_.num_workers, 0);
  if (options_.prefetch_batches <= 0) options_.prefetch_batches = 2 * options_.num_workers;
  options_.prefetch_batches = std::max(options_.prefetch_batches, options_.num_workers);
}

DataLoader::~DataLoader() { StopWorkers(); }

size_t DataLoader::num_batches() const {
  return (sampler_->size() + options_.batch_size - 1) / options_.batch_size;
}

void DataLoader::StopWorkers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
}

void DataLoader::StartEpoch(int64_t epoch) {
  StopWorkers();
  epoch_ = epoch;
  indices_ = sampler_->Indices(epoch);
  num_batches_ = (indices_.size() + options_.batch_size - 1) / options_.batch_size;
  slots_.assign(num_batches_, Slot());
  next_claim_ = next_return_ = 0;
  stop_ = false;
  for (int w = 0; w < options_.num_workers; ++w) workers_.emplace_back([this] { WorkerLoop(); });
}

absl::StatusOr<std::vector<Batch>> DataLoader::LoadBatch(size_t k) const {
  const size_t begin = k * options_.batch_size;
  const size_t end = std::min(begin + options_.batch_size, indices_.size());
  std::vector<std::vector<Results>> views;  // [view][image]
  std::vector<size_t> batch_indices;
  for (size_t position = begin; position < end; ++position) {
    const size_t index = indices_[position];
    Rng rng(MixSeed({options_.seed, static_cast<uint64_t>(epoch_), position}));
    // A pipeline that throws (an OpenCV error, out of memory) fails this batch with the
    // image's name instead of ending the process from a worker thread.
    absl::StatusOr<std::vector<Results>> got;
    try {
      got = dataset_->Get(index, rng);
    } catch (const std::exception& e) {
      got = absl::InternalError(absl::StrCat(dataset_->name(), ": image ", index, " (",
                                             dataset_->image_info(index).filename, "): ",
                                             e.what()));
    }
    MMDET_ASSIGN_OR_RETURN(std::vector<Results> samples, std::move(got));
    if (views.empty()) views.resize(samples.size());
    if (samples.size() != views.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          dataset_->name(), ": image ", index, " gave ", samples.size(),
          " test-time views, the batch's first image ", views.size()));
    }
    for (size_t v = 0; v < samples.size(); ++v) views[v].push_back(std::move(samples[v]));
    batch_indices.push_back(index);
  }
  std::vector<Batch> batches;
  for (auto& view : views) {
    MMDET_ASSIGN_OR_RETURN(Batch batch, Collate(std::move(view), batch_indices));
    batches.push_back(std::move(batch));
  }
  return batches;
}

void DataLoader::WorkerLoop() {
  while (true) {
    size_t k = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] {
        return stop_ || next_claim_ >= num_batches_ ||
               next_claim_ < next_return_ + static_cast<size_t>(options_.prefetch_batches);
      });
      if (stop_ || next_claim_ >= num_batches_) return;
      k = next_claim_++;
    }
    absl::StatusOr<std::vector<Batch>> batch = LoadBatch(k);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      slots_[k] = std::move(batch);
    }
    changed_.notify_all();
  }
}

absl::StatusOr<std::optional<std::vector<Batch>>> DataLoader::Next() {
  if (next_return_ >= num_batches_) return std::nullopt;
  absl::StatusOr<std::vector<Batch>> batch;
  if (options_.num_workers == 0) {
    batch = LoadBatch(next_return_);
    ++next_return_;
  } else {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return slots_[next_return_].has_value(); });
    batch = std::move(*slots_[next_return_]);
    slots_[next_return_].reset();
    ++next_return_;
    lock.unlock();
    changed_.notify_all();
  }
  if (!batch.ok()) {
    StopWorkers();
    next_return_ = num_batches_;
    return batch.status();
  }
  return std::optional<std::vector<Batch>>(*std::move(batch));
}

absl::StatusOr<std::unique_ptr<DataLoader>> BuildDataLoader(std::shared_ptr<const Dataset> dataset,
                                                            const LoaderConfig& config) {
  if (config.imgs_per_gpu < 1) {
    return absl::InvalidArgumentError("data.imgs_per_gpu: must be >= 1");
  }
  if (config.workers_per_gpu < 0) {
    return absl::InvalidArgumentError("data.workers_per_gpu: must be >= 0");
  }
  if (config.world_size < 1 || config.rank < 0 || config.rank >= config.world_size) {
    return absl::InvalidArgumentError(absl::StrCat("rank ", config.rank, " of world size ",
                                                   config.world_size));
  }
  if (dataset->size() == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        dataset->name(), ": no images", dataset->test_mode() ? "" : " left after filtering"));
  }
  const auto batch = static_cast<size_t>(config.imgs_per_gpu);
  std::shared_ptr<const Sampler> sampler;
  if (config.distributed) {
    if (config.shuffle) {
      sampler = std::make_shared<DistributedGroupSampler>(*dataset, batch, config.world_size,
                                                          config.rank, config.seed);
    } else {
      sampler = std::make_shared<DistributedSampler>(dataset->size(), config.world_size,
                                                     config.rank, false, config.seed);
    }
  } else if (config.shuffle) {
    sampler = std::make_shared<GroupSampler>(*dataset, batch, config.seed);
  } else {
    sampler = std::make_shared<SequentialSampler>(dataset->size());
  }
  DataLoaderOptions options;
  options.batch_size = batch;
  options.num_workers = config.workers_per_gpu;
  options.seed = config.seed;
  return std::make_unique<DataLoader>(std::move(dataset), std::move(sampler), options);
}

}  // namespace mmdet::datasets
