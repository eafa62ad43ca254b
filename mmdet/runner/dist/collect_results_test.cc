#include "mmdet/runner/dist/collect_results.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "torch/types.h"

namespace mmdet::runner {
namespace {

using ::testing::HasSubstr;

evaluation::DetectionResults Boxes(const std::vector<float>& firsts) {
  evaluation::DetectionResults r;
  for (float v : firsts) r.bboxes.push_back({torch::full({1, 5}, v)});
  return r;
}

TEST(CollectResultsTest, MergeShardsPutsEveryImageAtItsDatasetIndex) {
  // DistributedSampler's interleaving (rank r gets r, r + 2, ...) with rank 1 padded by
  // image 0 again: the repeat is dropped.
  auto merged = MergeShards({Boxes({0, 2, 4}), Boxes({1, 3, 0.5})}, {{0, 2, 4}, {1, 3, 0}}, 5);
  ASSERT_TRUE(merged.ok()) << merged.status();
  ASSERT_EQ(merged->bboxes.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(merged->bboxes[i][0][0][0].item<float>(), i);
}

TEST(CollectResultsTest, AnEmptyShareTakesTheKindOfTheOthers) {
  // A rank with no images reads back as boxes; the merge keeps the masks kind.
  evaluation::DetectionResults masks = Boxes({0});
  masks.kind = evaluation::DetectionResults::kMasks;
  masks.segms.push_back({{}});
  auto merged = MergeShards({Boxes({}), masks}, {{}, {0}}, 1);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->kind, evaluation::DetectionResults::kMasks);
  EXPECT_EQ(merged->segms.size(), 1u);
}

TEST(CollectResultsTest, MissingImageIsAnError) {
  auto merged = MergeShards({Boxes({0}), Boxes({2})}, {{0}, {2}}, 3);
  ASSERT_FALSE(merged.ok());
  EXPECT_THAT(std::string(merged.status().message()), HasSubstr("no rank tested image 1"));
}

}  // namespace
}  // namespace mmdet::runner
