// Every checked-in config parses; the top-level ones load with their bases.
#include <dirent.h>

#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mmdet/config/loader.h"
#include "mmdet/datasets/pipelines/transform.h"

namespace mmdet {
namespace {

std::vector<std::string> ListConfigs(const std::string& dir) {
  std::vector<std::string> files;
  std::function<void(const std::string&)> walk = [&](const std::string& path) {
    DIR* handle = ::opendir(path.c_str());
    if (handle == nullptr) return;
    while (dirent* entry = ::readdir(handle)) {
      std::string name = entry->d_name;
      if (name == "." || name == "..") continue;
      std::string child = path + "/" + name;
      if (name.size() > 6 && name.substr(name.size() - 6) == ".pbtxt") {
        files.push_back(child);
      } else {
        walk(child);
      }
    }
    ::closedir(handle);
  };
  walk(dir);
  return files;
}

TEST(ConfigsTest, EveryConfigLoads) {
  std::vector<std::string> files = ListConfigs("configs");
  ASSERT_GE(files.size(), 5u);
  for (const std::string& file : files) {
    absl::StatusOr<config::Config> cfg = LoadConfig(file);
    EXPECT_TRUE(cfg.ok()) << cfg.status();
    if (!cfg.ok()) continue;
    // Every pipeline builds: each transform and its parameters are valid.
    for (const auto& [name, pipeline] :
         {std::pair{"train_pipeline", &cfg->data().train_pipeline()},
          std::pair{"test_pipeline", &cfg->data().test_pipeline()}}) {
      auto built = datasets::BuildPipeline(*pipeline, std::string("data.") + name);
      EXPECT_TRUE(built.ok()) << file << ": " << built.status();
    }
  }
}

TEST(ConfigsTest, DatasetConfigsMatchMmdetection) {
  absl::StatusOr<config::Config> voc = LoadConfig("configs/_base_/datasets/voc0712.pbtxt");
  ASSERT_TRUE(voc.ok()) << voc.status();
  const config::RepeatDataset& repeat = voc->data().train().repeat_dataset();
  EXPECT_EQ(repeat.times(), 3);
  ASSERT_EQ(repeat.dataset().concat_dataset().datasets_size(), 2);
  const config::VOCDataset& voc12 = repeat.dataset().concat_dataset().datasets(1).voc_dataset();
  EXPECT_EQ(voc12.ann_file(), "VOC2012/ImageSets/Main/trainval.txt");
  EXPECT_EQ(voc12.pipeline_size(), 8);  // the shared train pipeline reached the inner dataset
  EXPECT_EQ(voc->data().test().voc_dataset().ann_file(), "VOC2007/ImageSets/Main/test.txt");

  absl::StatusOr<config::Config> cityscapes =
      LoadConfig("configs/_base_/datasets/cityscapes_instance.pbtxt");
  ASSERT_TRUE(cityscapes.ok()) << cityscapes.status();
  EXPECT_EQ(cityscapes->data().train().repeat_dataset().times(), 8);
  EXPECT_EQ(cityscapes->data().imgs_per_gpu(), 1);
  EXPECT_EQ(cityscapes->data().train_pipeline(2).resize().img_scale_size(), 2);

  absl::StatusOr<config::Config> coco = LoadConfig("configs/_base_/datasets/coco_instance.pbtxt");
  ASSERT_TRUE(coco.ok()) << coco.status();
  EXPECT_TRUE(coco->data().train_pipeline(1).load_annotations().with_mask());
}

TEST(ConfigsTest, FasterRcnnMatchesMmdetection) {
  absl::StatusOr<config::Config> cfg =
      LoadConfig("configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  const config::FasterRCNN& model = cfg->model().faster_rcnn();
  EXPECT_EQ(model.backbone().resnet().depth(), 50);
  EXPECT_EQ(model.neck().fpn().in_channels_size(), 4);
  EXPECT_EQ(model.roi_head().standard_roi_head().bbox_head().shared2fc_bbox_head().num_classes(),
            80);
  EXPECT_FLOAT_EQ(cfg->train_cfg().rpn().assigner().max_iou_assigner().pos_iou_thr(), 0.7f);
  EXPECT_EQ(cfg->train_cfg().rcnn().sampler().random_sampler().num(), 512);
  EXPECT_FLOAT_EQ(cfg->test_cfg().rcnn().nms().iou_thr(), 0.5f);
  EXPECT_FLOAT_EQ(cfg->optimizer().sgd().lr(), 0.02f);
  EXPECT_EQ(cfg->lr_config().step().step_size(), 2);
  EXPECT_EQ(cfg->total_epochs(), 12);
  EXPECT_EQ(cfg->data().imgs_per_gpu(), 2);
  EXPECT_EQ(cfg->data().test().coco_dataset().pipeline_size(), 2);
  EXPECT_EQ(cfg->checkpoint_config().interval(), 1);
  EXPECT_EQ(cfg->workflow_size(), 1);
}

}  // namespace
}  // namespace mmdet
