// Samplers: the order in which a loader visits a dataset in one epoch (MMDetection's
// mmdet/datasets/samplers), deterministic for a given (seed, epoch).
//
//   GroupSampler              one process, shuffled: batches never mix aspect-ratio groups.
//   DistributedGroupSampler   the same across `world` processes; each rank gets its share.
//   DistributedSampler        rank-interleaved, unshuffled by default (distributed testing).
//   SequentialSampler         0, 1, ..., n - 1 (single-process testing).
//
// As MMDetection's, the group samplers pad every group to a whole number of batches (of all
// ranks' batches, when distributed) with extra images drawn from the group, so an epoch may
// visit an image twice; DistributedSampler pads with the first images. The random streams
// are our own (std::mt19937_64), not numpy's or torch's: the same seed gives the same order
// here on every run and machine, not the order MMDetection would give.
#ifndef MMDET_DATASETS_LOADER_SAMPLER_H_
#define MMDET_DATASETS_LOADER_SAMPLER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/datasets/dataset.h"

namespace mmdet::datasets {

class Sampler {
 public:
  virtual ~Sampler() = default;
  // This rank's dataset indices for `epoch`, in visiting order; size() of them.
  virtual std::vector<size_t> Indices(int64_t epoch) const = 0;
  virtual size_t size() const = 0;
};

class SequentialSampler : public Sampler {
 public:
  explicit SequentialSampler(size_t n) : n_(n) {}
  std::vector<size_t> Indices(int64_t epoch) const override;
  size_t size() const override { return n_; }

 private:
  size_t n_;
};

class GroupSampler : public Sampler {
 public:
  GroupSampler(const Dataset& dataset, size_t samples_per_gpu, uint64_t seed);
  std::vector<size_t> Indices(int64_t epoch) const override;
  size_t size() const override { return size_; }

 private:
  std::vector<std::vector<size_t>> groups_;
  size_t samples_per_gpu_;
  uint64_t seed_;
  size_t size_ = 0;
};

class DistributedGroupSampler : public Sampler {
 public:
  DistributedGroupSampler(const Dataset& dataset, size_t samples_per_gpu, int world_size,
                          int rank, uint64_t seed);
  std::vector<size_t> Indices(int64_t epoch) const override;
  size_t size() const override { return num_samples_; }

 private:
  std::vector<std::vector<size_t>> groups_;
  size_t samples_per_gpu_;
  int world_size_, rank_;
  uint64_t seed_;
  size_t num_samples_ = 0;  // per rank
};

class DistributedSampler : public Sampler {
 public:
  DistributedSampler(size_t n, int world_size, int rank, bool shuffle, uint64_t seed);
  std::vector<size_t> Indices(int64_t epoch) const override;
  size_t size() const override { return num_samples_; }

 private:
  size_t n_;
  int world_size_, rank_;
  bool shuffle_;
  uint64_t seed_;
  size_t num_samples_ = 0;
};

// A well-mixed 64-bit seed from several values (SplitMix64 over each in turn).
uint64_t MixSeed(std::initializer_list<uint64_t> values);

}  // namespace mmdet::datasets

#endif  // MMDET_DATASETS_LOADER_SAMPLER_H_
