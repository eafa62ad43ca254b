#include "mmdet/datasets/loader/sampler.h"

#include <algorithm>
#include <numeric>
#include <random>

namespace mmdet::datasets {

uint64_t MixSeed(std::initializer_list<uint64_t> values) {
  uint64_t state = 0x9E3779B97F4A7C15ULL;
  for (uint64_t v : values) {
    uint64_t z = (state += v + 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    state = z ^ (z >> 31);
  }
  return state;
}

namespace {

std::vector<std::vector<size_t>> GroupsOf(const Dataset& dataset) {
  std::vector<std::vector<size_t>> groups(2);
  for (size_t i = 0; i < dataset.size(); ++i) groups[dataset.group_flag(i) ? 1 : 0].push_back(i);
  return groups;
}

size_t RoundUp(size_t n, size_t multiple) { return (n + multiple - 1) / multiple * multiple; }

// Shuffles whole chunks of `chunk` consecutive indices (indices.size() is a multiple of it).
void ShuffleChunks(std::vector<size_t>& indices, size_t chunk, std::mt19937_64& rng) {
  std::vector<size_t> order(indices.size() / chunk);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<size_t> shuffled;
  shuffled.reserve(indices.size());
  for (size_t c : order) {
    shuffled.insert(shuffled.end(), indices.begin() + c * chunk, indices.begin() + (c + 1) * chunk);
  }
  indices = std::move(shuffled);
}

}  // namespace

std::vector<size_t> SequentialSampler::Indices(int64_t) const {
  std::vector<size_t> indices(n_);
  std::iota(indices.begin(), indices.end(), 0);
  return indices;
}

GroupSampler::GroupSampler(const Dataset& dataset, size_t samples_per_gpu, uint64_t seed)
    : groups_(GroupsOf(dataset)), samples_per_gpu_(samples_per_gpu), seed_(seed) {
  for (const auto& group : groups_) size_ += RoundUp(group.size(), samples_per_gpu_);
}

std::vector<size_t> GroupSampler::Indices(int64_t epoch) const {
  std::mt19937_64 rng(MixSeed({seed_, static_cast<uint64_t>(epoch)}));
  std::vector<size_t> indices;
  indices.reserve(size_);
  for (const auto& group : groups_) {
    if (group.empty()) continue;
    std::vector<size_t> g = group;
    std::shuffle(g.begin(), g.end(), rng);
    // Pad with images drawn from the group (np.random.choice) to whole batches.
    const size_t extra = RoundUp(g.size(), samples_per_gpu_) - g.size();
    std::uniform_int_distribution<size_t> pick(0, group.size() - 1);
    for (size_t e = 0; e < extra; ++e) g.push_back(group[pick(rng)]);
    indices.insert(indices.end(), g.begin(), g.end());
  }
  ShuffleChunks(indices, samples_per_gpu_, rng);
  return indices;
}

DistributedGroupSampler::DistributedGroupSampler(const Dataset& dataset, size_t samples_per_gpu,
                                                 int world_size, int rank, uint64_t seed)
    : groups_(GroupsOf(dataset)),
      samples_per_gpu_(samples_per_gpu),
      world_size_(world_size),
      rank_(rank),
      seed_(seed) {
  for (const auto& group : groups_) {
    num_samples_ += RoundUp(group.size(), samples_per_gpu_ * world_size_) / world_size_;
  }
}

std::vector<size_t> DistributedGroupSampler::Indices(int64_t epoch) const {
  // Every rank draws the same permutation (same seed and epoch) and takes its slice.
  std::mt19937_64 rng(MixSeed({seed_, static_cast<uint64_t>(epoch)}));
  std::vector<size_t> all;
  for (const auto& group : groups_) {
    if (group.empty()) continue;
    std::vector<size_t> g = group;
    std::shuffle(g.begin(), g.end(), rng);
    // Pad by repeating the shuffled group (MMDetection: indice * (extra // size) + head).
    const size_t total = RoundUp(g.size(), samples_per_gpu_ * world_size_);
    for (size_t k = group.size(); k < total; ++k) g.push_back(g[k % group.size()]);
    all.insert(all.end(), g.begin(), g.end());
  }
  ShuffleChunks(all, samples_per_gpu_, rng);
  const size_t offset = num_samples_ * static_cast<size_t>(rank_);
  return std::vector<size_t>(all.begin() + offset, all.begin() + offset + num_samples_);
}

DistributedSampler::DistributedSampler(size_t n, int world_size, int rank, bool shuffle,
                                       uint64_t seed)
    : n_(n), world_size_(world_size), rank_(rank), shuffle_(shuffle), seed_(seed) {
  num_samples_ = (n_ + world_size_ - 1) / world_size_;
}

std::vector<size_t> DistributedSampler::Indices(int64_t epoch) const {
  std::vector<size_t> all(n_);
  std::iota(all.begin(), all.end(), 0);
  if (shuffle_) {
    std::mt19937_64 rng(MixSeed({seed_, static_cast<uint64_t>(epoch)}));
    std::shuffle(all.begin(), all.end(), rng);
  }
  const size_t total = num_samples_ * static_cast<size_t>(world_size_);
  for (size_t k = n_; k < total && n_ > 0; ++k) all.push_back(all[k - n_]);
  std::vector<size_t> mine;
  mine.reserve(num_samples_);
  for (size_t k = static_cast<size_t>(rank_); k < total && k < all.size();
       k += static_cast<size_t>(world_size_)) {
    mine.push_back(all[k]);
  }
  return mine;
}

}  // namespace mmdet::datasets
