#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "mmdet/datasets/dataset.h"
#include "mmdet/datasets/loader/collate.h"
#include "mmdet/datasets/loader/data_loader.h"
#include "mmdet/datasets/loader/sampler.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace mmdet::datasets {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr char kTrainPipeline[] = R"(
  transforms { load_image_from_file { to_float32: true } }
  transforms { load_annotations {} }
  transforms { resize { img_scale { w: 96 h: 64 } keep_ratio: true } }
  transforms { random_flip { flip_ratio: 0.5 } }
  transforms { photo_metric_distortion {} }
  transforms { normalize { mean: 123.675 mean: 116.28 mean: 103.53
                           std: 58.395 std: 57.12 std: 57.375 } }
  transforms { pad { size_divisor: 32 } }
  transforms { default_format_bundle {} }
  transforms { collect { keys: "img" keys: "gt_bboxes" keys: "gt_labels" } }
)";

constexpr char kTestPipeline[] = R"(
  transforms { load_image_from_file {} }
  transforms { multi_scale_flip_aug {
    img_scale { w: 96 h: 64 } img_scale { w: 48 h: 32 } flip: false
    transforms { resize { keep_ratio: true } }
    transforms { normalize { mean: 0 mean: 0 mean: 0 std: 1 std: 1 std: 1 } }
    transforms { pad { size_divisor: 32 } }
    transforms { image_to_tensor { keys: "img" } }
    transforms { collect { keys: "img" } }
  } }
)";

Pipeline MakePipeline(const std::string& text) {
  config::MultiScaleFlipAug holder;  // any message with `repeated Transform transforms`
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &holder)) << text;
  auto pipeline = BuildPipeline(holder.transforms(), "pipeline");
  EXPECT_TRUE(pipeline.ok()) << pipeline.status();
  return pipeline.ok() ? *pipeline : Pipeline();
}

// Ten images of varied sizes, six landscape and four portrait, each with one box.
class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::path(::testing::TempDir()) / "loader_test").string();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (int i = 0; i < 10; ++i) {
      const bool landscape = i < 6;
      const int w = landscape ? 80 + 8 * i : 48 + 4 * i, h = landscape ? 60 : 90 + 2 * i;
      cv::Mat img(h, w, CV_8UC3, cv::Scalar(20 * i, 100, 200 - 10 * i));
      cv::rectangle(img, cv::Rect(5, 5, 30, 30), cv::Scalar(255, 255, 255), cv::FILLED);
      const std::string name = "im" + std::to_string(i) + ".png";
      ASSERT_TRUE(cv::imwrite(dir_ + "/" + name, img));
      images_.push_back({name, w, h, i});
      AnnInfo ann;
      ann.bboxes = {{5, 5, 35, 35}};
      ann.labels = {i % 3};
      anns_.push_back(ann);
    }
  }

  std::shared_ptr<Dataset> MakeDataset(const std::string& pipeline, bool test_mode = false) {
    DatasetOptions options;
    options.ann_file = "loader_test.json";
    options.img_prefix = dir_;
    options.test_mode = test_mode;
    options.pipeline = MakePipeline(pipeline);
    auto dataset = InMemoryDataset::Create(options, images_, anns_, {"a", "b", "c"},
                                           std::vector<bool>(images_.size(), true));
    EXPECT_TRUE(dataset.ok()) << dataset.status();
    return dataset.ok() ? *dataset : nullptr;
  }

  std::string dir_;
  std::vector<ImageInfo> images_;
  std::vector<AnnInfo> anns_;
};

// Checks that every batch of `batch` consecutive indices lies in one group.
void ExpectGroupedBatches(const Dataset& dataset, const std::vector<size_t>& indices,
                          size_t batch) {
  ASSERT_EQ(indices.size() % batch, 0u);
  for (size_t b = 0; b < indices.size(); b += batch) {
    for (size_t j = 1; j < batch; ++j) {
      EXPECT_EQ(dataset.group_flag(indices[b + j]), dataset.group_flag(indices[b]))
          << "batch at " << b;
    }
  }
}

TEST_F(LoaderTest, GroupSamplerPadsEachGroupAndNeverMixesThem) {
  auto dataset = MakeDataset(kTrainPipeline);
  ASSERT_NE(dataset, nullptr);
  GroupSampler sampler(*dataset, 4, /*seed=*/3);
  // 6 landscape -> 8, 4 portrait -> 4.
  EXPECT_EQ(sampler.size(), 12u);
  const std::vector<size_t> epoch0 = sampler.Indices(0);
  ASSERT_EQ(epoch0.size(), 12u);
  ExpectGroupedBatches(*dataset, epoch0, 4);
  EXPECT_EQ(std::set<size_t>(epoch0.begin(), epoch0.end()).size(), 10u);  // all visited
  EXPECT_EQ(sampler.Indices(0), epoch0);                                  // deterministic
  EXPECT_NE(sampler.Indices(1), epoch0);                                  // reshuffled
  EXPECT_NE(GroupSampler(*dataset, 4, 4).Indices(0), epoch0);
}

TEST_F(LoaderTest, DistributedGroupSamplerSplitsOnePermutationAcrossRanks) {
  auto dataset = MakeDataset(kTrainPipeline);
  ASSERT_NE(dataset, nullptr);
  const int world = 3;
  std::multiset<size_t> all;
  std::vector<size_t> sizes;
  for (int rank = 0; rank < world; ++rank) {
    DistributedGroupSampler sampler(*dataset, 2, world, rank, /*seed=*/0);
    // Landscape 6 -> 6, portrait 4 -> 6 (multiples of 2 x 3): 12 in all, 4 per rank.
    EXPECT_EQ(sampler.size(), 4u);
    const std::vector<size_t> mine = sampler.Indices(5);
    ASSERT_EQ(mine.size(), 4u);
    ExpectGroupedBatches(*dataset, mine, 2);
    EXPECT_EQ(sampler.Indices(5), mine);
    all.insert(mine.begin(), mine.end());
  }
  EXPECT_EQ(all.size(), 12u);
  for (size_t i = 0; i < 10; ++i) EXPECT_GE(all.count(i), 1u) << i;
}

TEST(SamplerTest, DistributedSamplerInterleavesRanksAndPadsFromTheStart) {
  EXPECT_EQ(DistributedSampler(5, 2, 0, false, 0).Indices(0), (std::vector<size_t>{0, 2, 4}));
  EXPECT_EQ(DistributedSampler(5, 2, 1, false, 0).Indices(0), (std::vector<size_t>{1, 3, 0}));
  EXPECT_EQ(SequentialSampler(3).Indices(7), (std::vector<size_t>{0, 1, 2}));
  std::vector<size_t> shuffled = DistributedSampler(6, 1, 0, true, 1).Indices(0);
  std::sort(shuffled.begin(), shuffled.end());
  EXPECT_EQ(shuffled, (std::vector<size_t>{0, 1, 2, 3, 4, 5}));
}

TEST(CollateTest, PadsImagesToTheLargestAndRecordsBatchInputShape) {
  std::vector<Results> samples(2);
  samples[0].img_tensor = torch::ones({3, 32, 64});
  samples[1].img_tensor = torch::full({3, 64, 32}, 2.0);
  for (auto& r : samples) {
    r.gt_bboxes_tensor = torch::zeros({1, 4});
    r.gt_labels_tensor = torch::zeros({1}, torch::kInt64);
  }
  samples[1].meta.ori_filename = "b.jpg";
  auto batch = Collate(samples, {4, 7});
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->img.sizes(), (std::vector<int64_t>{2, 3, 64, 64}));
  EXPECT_EQ(batch->img[0].sum().item<float>(), 3 * 32 * 64);      // zeros below
  EXPECT_EQ(batch->img[1].sum().item<float>(), 2 * 3 * 64 * 32);  // zeros to the right
  EXPECT_EQ(batch->img_metas[1].batch_input_shape, (std::array<int64_t, 2>{64, 64}));
  EXPECT_EQ(batch->gt_bboxes.size(), 2u);
  EXPECT_EQ(batch->indices, (std::vector<size_t>{4, 7}));

  samples[1].gt_labels_tensor = torch::Tensor();
  auto mismatch = Collate(samples, {4, 7});
  ASSERT_FALSE(mismatch.ok());
  EXPECT_THAT(std::string(mismatch.status().message()),
              HasSubstr("sample 1 (b.jpg) and sample 0 disagree on 'gt_labels'"));
}

// Flattens an epoch to compare runs.
std::vector<torch::Tensor> RunEpoch(DataLoader& loader, int64_t epoch) {
  std::vector<torch::Tensor> out;
  loader.StartEpoch(epoch);
  while (true) {
    auto batch = loader.Next();
    EXPECT_TRUE(batch.ok()) << batch.status();
    if (!batch.ok() || !batch->has_value()) break;
    const Batch& b = (**batch)[0];
    out.push_back(b.img);
    for (const auto& t : b.gt_bboxes) out.push_back(t);
  }
  return out;
}

TEST_F(LoaderTest, BatchesDoNotDependOnTheNumberOfWorkers) {
  auto dataset = MakeDataset(kTrainPipeline);
  ASSERT_NE(dataset, nullptr);
  std::vector<std::vector<torch::Tensor>> runs;
  for (int workers : {0, 1, 3}) {
    LoaderConfig config;
    config.imgs_per_gpu = 3;
    config.workers_per_gpu = workers;
    config.seed = 11;
    auto loader = BuildDataLoader(dataset, config);
    ASSERT_TRUE(loader.ok()) << loader.status();
    EXPECT_EQ((*loader)->num_batches(), 4u);  // 6 + 6 (4 padded to 6) = 12 images
    runs.push_back(RunEpoch(**loader, 2));
  }
  ASSERT_EQ(runs[0].size(), 4u * 4u);  // per batch: img + 3 box tensors
  for (size_t r = 1; r < runs.size(); ++r) {
    ASSERT_EQ(runs[r].size(), runs[0].size());
    for (size_t t = 0; t < runs[0].size(); ++t) {
      EXPECT_TRUE(torch::equal(runs[r][t], runs[0][t])) << "run " << r << " tensor " << t;
    }
  }
  // The batch is padded to a multiple of 32 (Pad) and stacked.
  EXPECT_EQ(runs[0][0].size(0), 3);
  EXPECT_EQ(runs[0][0].size(2) % 32, 0);
}

TEST_F(LoaderTest, TestLoaderYieldsOneBatchPerViewInOrder) {
  auto dataset = MakeDataset(kTestPipeline, /*test_mode=*/true);
  ASSERT_NE(dataset, nullptr);
  LoaderConfig config;
  config.imgs_per_gpu = 1;
  config.workers_per_gpu = 2;
  config.shuffle = false;
  auto loader = BuildDataLoader(dataset, config);
  ASSERT_TRUE(loader.ok()) << loader.status();
  (*loader)->StartEpoch(0);
  size_t seen = 0;
  while (true) {
    auto batch = (*loader)->Next();
    ASSERT_TRUE(batch.ok()) << batch.status();
    if (!batch->has_value()) break;
    ASSERT_EQ((*batch)->size(), 2u);  // two scales
    EXPECT_EQ((**batch)[0].indices, (std::vector<size_t>{seen}));
    EXPECT_GT((**batch)[0].img.size(3), (**batch)[1].img.size(3));
    ++seen;
  }
  EXPECT_EQ(seen, 10u);
}

TEST_F(LoaderTest, FirstErrorNamesTheImageAndEndsTheEpoch) {
  fs::remove(dir_ + "/im4.png");
  auto dataset = MakeDataset(kTrainPipeline);
  ASSERT_NE(dataset, nullptr);
  LoaderConfig config;
  config.imgs_per_gpu = 1;
  config.shuffle = false;
  auto loader = BuildDataLoader(dataset, config);
  ASSERT_TRUE(loader.ok());
  (*loader)->StartEpoch(0);
  absl::Status error;
  int batches = 0;
  while (true) {
    auto batch = (*loader)->Next();
    if (!batch.ok()) {
      error = batch.status();
      break;
    }
    if (!batch->has_value()) break;
    ++batches;
  }
  EXPECT_EQ(batches, 4);
  EXPECT_THAT(std::string(error.message()), HasSubstr("image 4 (im4.png)"));
  auto after = (*loader)->Next();
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->has_value());
}

// A dataset whose pipeline throws for one image (as cv::Mat operations or an allocation can).
class ThrowingDataset : public Dataset {
 public:
  explicit ThrowingDataset(std::shared_ptr<Dataset> inner) : inner_(std::move(inner)) {}
  size_t size() const override { return inner_->size(); }
  const std::vector<std::string>& classes() const override { return inner_->classes(); }
  const ImageInfo& image_info(size_t i) const override { return inner_->image_info(i); }
  int group_flag(size_t i) const override { return inner_->group_flag(i); }
  absl::StatusOr<AnnInfo> ann_info(size_t i) const override { return inner_->ann_info(i); }
  absl::StatusOr<std::vector<Results>> Get(size_t i, Rng& rng) const override {
    if (i == 2) throw std::bad_alloc();
    return inner_->Get(i, rng);
  }
  bool test_mode() const override { return inner_->test_mode(); }
  std::string name() const override { return inner_->name(); }

 private:
  std::shared_ptr<Dataset> inner_;
};

TEST_F(LoaderTest, AnExceptionInAWorkerIsAnErrorNamingTheImage) {
  auto inner = MakeDataset(kTrainPipeline);
  ASSERT_NE(inner, nullptr);
  for (int workers : {0, 2}) {
    LoaderConfig config;
    config.imgs_per_gpu = 1;
    config.workers_per_gpu = workers;
    config.shuffle = false;
    auto loader = BuildDataLoader(std::make_shared<ThrowingDataset>(inner), config);
    ASSERT_TRUE(loader.ok());
    (*loader)->StartEpoch(0);
    absl::Status error;
    while (true) {
      auto batch = (*loader)->Next();
      if (!batch.ok()) {
        error = batch.status();
        break;
      }
      if (!batch->has_value()) break;
    }
    EXPECT_THAT(std::string(error.message()), HasSubstr("image 2 (im2.png): std::bad_alloc"))
        << workers;
  }
}

TEST_F(LoaderTest, DistributedLoadersSplitTheEpoch) {
  auto dataset = MakeDataset(kTrainPipeline);
  ASSERT_NE(dataset, nullptr);
  std::set<size_t> seen;
  for (int rank = 0; rank < 2; ++rank) {
    LoaderConfig config;
    config.imgs_per_gpu = 2;
    config.workers_per_gpu = 1;
    config.distributed = true;
    config.world_size = 2;
    config.rank = rank;
    auto loader = BuildDataLoader(dataset, config);
    ASSERT_TRUE(loader.ok());
    EXPECT_EQ((*loader)->num_batches(), 3u);  // 12 images / 2 ranks / 2 per batch
    (*loader)->StartEpoch(0);
    while (true) {
      auto batch = (*loader)->Next();
      ASSERT_TRUE(batch.ok()) << batch.status();
      if (!batch->has_value()) break;
      for (size_t i : (**batch)[0].indices) seen.insert(i);
    }
  }
  EXPECT_EQ(seen.size(), 10u);
  LoaderConfig bad;
  bad.world_size = 2;
  bad.rank = 2;
  EXPECT_FALSE(BuildDataLoader(dataset, bad).ok());
}

}  // namespace
}  // namespace mmdet::datasets
