// MMDetection's collect_results_gpu for distributed testing: every rank's share of a test
// (its results and their dataset indices) gathered to rank 0 over the process group (the
// shares travel as results JSON, which keeps float32 values exactly), merged in dataset order.
#ifndef MMDET_RUNNER_DIST_COLLECT_RESULTS_H_
#define MMDET_RUNNER_DIST_COLLECT_RESULTS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/evaluation/results.h"
#include "mmdet/runner/dist/process_group.h"

namespace mmdet::runner {

// Called by every rank. Rank 0 gets the `total` images' results in dataset order (an error
// when one is missing); the others get empty results.
absl::StatusOr<evaluation::DetectionResults> CollectResults(
    ProcessGroup& pg, const evaluation::DetectionResults& shard, const std::vector<size_t>& indices,
    size_t total);

// collect_results_cpu: every rank writes its share as part_<rank>.json into `dir` (empty:
// rank 0 makes a fresh folder under .dist_test and removes it afterwards), rank 0 merges the
// parts. Rank 0 gets the results in dataset order, the others empty results.
absl::StatusOr<evaluation::DetectionResults> CollectResultsThroughFiles(
    ProcessGroup& pg, const evaluation::DetectionResults& shard, const std::vector<size_t>& indices,
    size_t total, std::string dir);

// The merge alone: shards[r] with indices[r]. The kind is the first non-empty shard's (an
// empty share reads back as boxes).
absl::StatusOr<evaluation::DetectionResults> MergeShards(
    std::vector<evaluation::DetectionResults> shards, const std::vector<std::vector<size_t>>& indices,
    size_t total);

}  // namespace mmdet::runner

#endif  // MMDET_RUNNER_DIST_COLLECT_RESULTS_H_
