// Every checked-in config parses; the top-level ones load with their bases.
#include <dirent.h>

#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mmdet/config/loader.h"

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
  }
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
