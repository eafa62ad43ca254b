#include "mmdet/runner/dist/collect_results.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace mmdet::runner {

absl::StatusOr<evaluation::DetectionResults> MergeShards(
    std::vector<evaluation::DetectionResults> shards,
    const std::vector<std::vector<size_t>>& indices, size_t total) {
  evaluation::DetectionResults merged;
  if (!shards.empty()) merged.kind = shards[0].kind;
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
  // "<index,index,...>\n<results json>"
  const std::string mine =
      absl::StrCat(absl::StrJoin(indices, ","), "\n", evaluation::ResultsToJson(shard));
  auto all = pg.AllGatherBytes(mine);
  if (!all.ok()) return all.status();
  if (pg.rank() != 0) return evaluation::DetectionResults{};
  std::vector<evaluation::DetectionResults> shards;
  std::vector<std::vector<size_t>> idx;
  for (size_t r = 0; r < all->size(); ++r) {
    const std::string& bytes = (*all)[r];
    const size_t nl = bytes.find('\n');
    if (nl == std::string::npos) return absl::InternalError(absl::StrCat("rank ", r, ": malformed results"));
    std::vector<size_t> ids;
    for (absl::string_view w : absl::StrSplit(bytes.substr(0, nl), ',', absl::SkipEmpty())) {
      size_t v = 0;
      if (!absl::SimpleAtoi(w, &v)) return absl::InternalError(absl::StrCat("rank ", r, ": bad index"));
      ids.push_back(v);
    }
    auto parsed = evaluation::ParseResultsJson(absl::string_view(bytes).substr(nl + 1),
                                               absl::StrCat("rank ", r, "'s results"));
    if (!parsed.ok()) return parsed.status();
    // An empty share parses as boxes; keep the kind of the others.
    shards.push_back(std::move(*parsed));
    idx.push_back(std::move(ids));
  }
  for (auto& s : shards) {
    if (!s.bboxes.empty()) {
      for (auto& t : shards) {
        if (t.bboxes.empty()) t.kind = s.kind;
      }
      break;
    }
  }
  return MergeShards(std::move(shards), idx, total);
}

}  // namespace mmdet::runner
