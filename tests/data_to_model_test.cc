// The data side feeds the models: generated shapes data -> CocoDataset with the shapes config's
// pipeline -> DataLoader batches -> Mask R-CNN / RetinaNet ForwardTrain and SimpleTest.
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "mmdet/config/loader.h"
#include "mmdet/datasets/dataset.h"
#include "mmdet/datasets/loader/data_loader.h"
#include "mmdet/datasets/shapes/shapes_dataset.h"
#include "mmdet/models/detectors/detector.h"

namespace mmdet {
namespace {

models::GroundTruth ToGroundTruth(const datasets::Batch& batch) {
  models::GroundTruth gt;
  gt.bboxes = batch.gt_bboxes;
  gt.labels = batch.gt_labels;
  gt.bboxes_ignore = batch.gt_bboxes_ignore;
  gt.masks = batch.gt_masks;
  return gt;
}

class DataToModelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new std::string(std::string(std::getenv("TEST_TMPDIR")) + "/shapes");
    datasets::ShapesOptions options;
    options.out_dir = *root_;
    options.num_train = 4;
    options.num_val = 2;
    options.min_size = 96;
    options.max_size = 128;
    ASSERT_TRUE(datasets::GenerateShapesDataset(options).ok());
  }
  static std::string* root_;
};
std::string* DataToModelTest::root_ = nullptr;

TEST_F(DataToModelTest, LoaderBatchesTrainAndTestTheShapesModels) {
  for (const char* path : {"configs/shapes/mask_rcnn_r18_fpn_shapes.pbtxt",
                           "configs/shapes/retinanet_r18_fpn_shapes.pbtxt"}) {
    const std::string root = *root_ + "/";
    // score_thr 0: an untrained model still gives detections, so the checks below run.
    auto cfg = LoadConfig(path, {"data.train.coco_dataset.data_root=" + root,
                                 "data.test.coco_dataset.data_root=" + root,
                                 "test_cfg.rcnn.score_thr=0.0",
                                 "test_cfg.single_stage.score_thr=0.0"});
    ASSERT_TRUE(cfg.ok()) << cfg.status();
    auto model = models::BuildDetector(*cfg);
    ASSERT_TRUE(model.ok()) << model.status();
    auto train_set = datasets::BuildDataset(cfg->data().train(), "data.train");
    ASSERT_TRUE(train_set.ok()) << train_set.status();
    ASSERT_EQ((*train_set)->classes().size(), 3u);
    datasets::LoaderConfig loader_cfg;
    loader_cfg.imgs_per_gpu = 2;
    loader_cfg.workers_per_gpu = 1;
    auto loader = datasets::BuildDataLoader(*train_set, loader_cfg);
    ASSERT_TRUE(loader.ok()) << loader.status();
    (*loader)->StartEpoch(0);
    auto batch = (*loader)->Next();
    ASSERT_TRUE(batch.ok() && batch->has_value()) << batch.status();
    const datasets::Batch& b = (**batch)[0];
    (*model)->train();
    auto losses = (*model)->ForwardTrain(b.img, b.img_metas, ToGroundTruth(b));
    ASSERT_TRUE(losses.ok()) << path << ": " << losses.status();
    const torch::Tensor total = models::TotalLoss(*losses);
    EXPECT_TRUE(std::isfinite(total.item<double>())) << path;
    total.backward();

    auto test_set = datasets::BuildDataset(cfg->data().test(), "data.test");
    ASSERT_TRUE(test_set.ok()) << test_set.status();
    datasets::LoaderConfig test_cfg;
    test_cfg.imgs_per_gpu = 1;
    test_cfg.workers_per_gpu = 0;
    test_cfg.shuffle = false;
    auto test_loader = datasets::BuildDataLoader(*test_set, test_cfg);
    ASSERT_TRUE(test_loader.ok());
    (*test_loader)->StartEpoch(0);
    auto test_batch = (*test_loader)->Next();
    ASSERT_TRUE(test_batch.ok() && test_batch->has_value());
    const datasets::Batch& t = (**test_batch)[0];
    (*model)->eval();
    auto results = (*model)->SimpleTest(t.img, t.img_metas, /*rescale=*/true);
    ASSERT_TRUE(results.ok()) << results.status();
    ASSERT_EQ(results->size(), 1u);
    const models::ImageResult& r = (*results)[0];
    ASSERT_EQ(r.bboxes.size(), 3u);
    int64_t num_dets = 0;
    for (const auto& boxes : r.bboxes) num_dets += boxes.size(0);
    ASSERT_GT(num_dets, 0) << path << ": no detections, nothing below would be checked";
    if ((*model)->with_mask()) {
      // One binary mask of the original image per detection, class by class.
      ASSERT_EQ(r.masks.size(), 3u);
      int64_t num_masks = 0;
      for (size_t c = 0; c < r.masks.size(); ++c) {
        ASSERT_EQ(static_cast<int64_t>(r.masks[c].size()), r.bboxes[c].size(0)) << "class " << c;
        for (const auto& m : r.masks[c]) {
          ++num_masks;
          EXPECT_EQ(m.size(0), t.img_metas[0].ori_shape[0]);
          EXPECT_EQ(m.size(1), t.img_metas[0].ori_shape[1]);
          EXPECT_LE(m.max().item<int64_t>(), 1);
          EXPECT_GE(m.min().item<int64_t>(), 0);
        }
      }
      EXPECT_EQ(num_masks, num_dets);
    }
  }
}

}  // namespace
}  // namespace mmdet
