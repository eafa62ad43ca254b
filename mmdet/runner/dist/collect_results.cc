#include "mmdet/runner/dist/collect_results.h"

#include <stdlib.h>

#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/status_macros.h"

namespace mmdet::runner {
namespace {

// A share as bytes: "<index,index,...>\n<results JSON>" (the JSON keeps float32 exactly).
std::string EncodeShard(const evaluation::DetectionResults& shard,
                        const std::vector<size_t>& indices) {
  return absl::StrCat(absl::StrJoin(indices, ","), "\n", evaluation::ResultsToJson(shard));
}

absl::Status DecodeShard(absl::string_view bytes, const std::string& source,
                         std::vector<evaluation::DetectionResults>* shards,
                         std::vector<std::vector<size_t>>* indices) {
  const size_t nl = bytes.find('\n');
  if (nl == absl::string_view::npos) return absl::InternalError(source + ": malformed results");
  std::vector<size_t> ids;
  for (absl::string_view w : absl::StrSplit(bytes.substr(0, nl), ',', absl::SkipEmpty())) {
    size_t v = 0;
    if (!absl::SimpleAtoi(w, &v)) return absl::InternalError(source + ": malformed indices");
    ids.push_back(v);
  }
  auto parsed = evaluation::ParseResultsJson(bytes.substr(nl + 1), source);
  if (!parsed.ok()) return parsed.status();
  shards->push_back(std::move(*parsed));
  indices->push_back(std::move(ids));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<evaluation::DetectionResults> MergeShards(
    std::vector<evaluation::DetectionResults> shards,
    const std::vector<std::vector<size_t>>& indices, size_t total) {
  evaluation::DetectionResults merged;
  for (const auto& s : shards) {
    if (!s.bboxes.empty()) {
      merged.kind = s.kind;
      break;
    }
  }
  std::vector<std::optional<std::pair<size_t, size_t>>> where(total);
  for (size_t r = 0; r < shards.size(); ++r) {
    if (shards[r].bboxes.size() != indices[r].size()) {
      return absl::InternalError(absl::StrCat("rank ", r, " sent ", shards[r].bboxes.size(),
                                              " results for ", indices[r].size(), " images"));
    }
    for (size_t k = 0; k < indices[r].size(); ++k) {
      const size_t i = indices[r][k];
      if (i >= total) return absl::InternalError(absl::StrCat("rank ", r, ": image ", i, " out of range"));
      if (!where[i]) where[i] = std::make_pair(r, k);
    }
  }
  for (size_t i = 0; i < total; ++i) {
    if (!where[i]) return absl::InternalError(absl::StrCat("no rank tested image ", i));
    const auto [r, k] = *where[i];
    merged.bboxes.push_back(std::move(shards[r].bboxes[k]));
    if (merged.kind == evaluation::DetectionResults::kMasks) {
      merged.segms.push_back(std::move(shards[r].segms[k]));
      if (!shards[r].mask_scores.empty()) {
        merged.mask_scores.push_back(std::move(shards[r].mask_scores[k]));
      }
    }
  }
  return merged;
}

absl::StatusOr<evaluation::DetectionResults> CollectResults(
    ProcessGroup& pg, const evaluation::DetectionResults& shard, const std::vector<size_t>& indices,
    size_t total) {
  auto all = pg.AllGatherBytes(EncodeShard(shard, indices));
  if (!all.ok()) return all.status();
  if (pg.rank() != 0) return evaluation::DetectionResults{};
  std::vector<evaluation::DetectionResults> shards;
  std::vector<std::vector<size_t>> idx;
  for (size_t r = 0; r < all->size(); ++r) {
    absl::Status s = DecodeShard((*all)[r], absl::StrCat("rank ", r, "'s results"), &shards, &idx);
    if (!s.ok()) return s;
  }
  return MergeShards(std::move(shards), idx, total);
}

absl::StatusOr<evaluation::DetectionResults> CollectResultsThroughFiles(
    ProcessGroup& pg, const evaluation::DetectionResults& shard, const std::vector<size_t>& indices,
    size_t total, std::string dir) {
  // Rank 0 makes the folder and tells the others where it is.
  bool made = false;
  if (pg.rank() == 0 && dir.empty()) {
    MMDET_RETURN_IF_ERROR(MakeDirs(".dist_test"));
    std::string pattern = ".dist_test/tmpXXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      return absl::InternalError("cannot make a folder under .dist_test");
    }
    dir = pattern;
    made = true;
  }
  MMDET_ASSIGN_OR_RETURN(std::vector<std::string> dirs, pg.AllGatherBytes(dir));
  dir = dirs[0];
  MMDET_RETURN_IF_ERROR(MakeDirs(dir));
  const auto part = [&](int r) { return JoinPath(dir, absl::StrCat("part_", r, ".json")); };
  MMDET_RETURN_IF_ERROR(WriteFileAtomically(part(pg.rank()), EncodeShard(shard, indices)));
  MMDET_RETURN_IF_ERROR(pg.Barrier());
  evaluation::DetectionResults merged;
  if (pg.rank() == 0) {
    std::vector<evaluation::DetectionResults> shards;
    std::vector<std::vector<size_t>> idx;
    for (int r = 0; r < pg.world_size(); ++r) {
      MMDET_ASSIGN_OR_RETURN(std::string text, ReadFile(part(r)));
      MMDET_RETURN_IF_ERROR(DecodeShard(text, part(r), &shards, &idx));
    }
    MMDET_ASSIGN_OR_RETURN(merged, MergeShards(std::move(shards), idx, total));
    std::error_code ec;
    if (made) std::filesystem::remove_all(dir, ec);
  }
  MMDET_RETURN_IF_ERROR(pg.Barrier());
  return merged;
}

}  // namespace mmdet::runner
