#include "mmdet/config/loader.h"

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "mmdet/core/file_io.h"

namespace mmdet {
namespace {

// Writes `text` to $TEST_TMPDIR/<name> (creating folders) and returns the path.
std::string Write(const std::string& name, const std::string& text) {
  const std::string root = std::getenv("TEST_TMPDIR") != nullptr ? std::getenv("TEST_TMPDIR")
                                                                  : "/tmp";
  const std::string path = root + "/" + name;
  EXPECT_TRUE(MakeDirs(Dirname(path)).ok());
  EXPECT_TRUE(WriteFileAtomically(path, text).ok());
  return path;
}

TEST(LoaderTest, MergesBasesInOrderRelativeToTheFile) {
  Write("inherit/_base_/model.pbtxt", R"pb(
    model { faster_rcnn { backbone { resnet { depth: 50 frozen_stages: 1 } } } }
    total_epochs: 12
  )pb");
  Write("inherit/_base_/schedule.pbtxt", R"pb(
    _base_: "runtime.pbtxt"
    lr_config { step { step: [ 8, 11 ] } }
    total_epochs: 20
  )pb");
  Write("inherit/_base_/runtime.pbtxt", "seed: 7 total_epochs: 1\n");
  std::string child = Write("inherit/exp/child.pbtxt", R"pb(
    _base_: [ "../_base_/model.pbtxt", "../_base_/schedule.pbtxt" ]
    model { faster_rcnn { backbone { resnet { depth: 101 } } } }
    lr_config { step { step: [ 16 ] } }
  )pb");
  absl::StatusOr<config::Config> cfg = LoadConfig(child, {"seed=9"});
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->_base__size(), 0);
  EXPECT_EQ(cfg->model().faster_rcnn().backbone().resnet().depth(), 101);
  EXPECT_EQ(cfg->model().faster_rcnn().backbone().resnet().frozen_stages(), 1);
  // Later bases override earlier ones; a base's own base is overridden by it.
  EXPECT_EQ(cfg->total_epochs(), 20);
  ASSERT_EQ(cfg->lr_config().step().step_size(), 1);
  EXPECT_EQ(cfg->lr_config().step().step(0), 16);
  EXPECT_EQ(cfg->seed(), 9);
}

TEST(LoaderTest, MisspelledFieldGivesFileLineColumn) {
  std::string path = Write("typo.pbtxt",
                           "model {\n  faster_rcnn {\n    backbone { resnet { dpeth: 50 } }\n"
                           "  }\n}\n");
  absl::StatusOr<config::Config> cfg = LoadConfig(path);
  EXPECT_EQ(cfg.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(cfg.status().message()),
            path + ":3:30: Message type \"mmdet.config.ResNet\" has no field named \"dpeth\".");
}

TEST(LoaderTest, BadValueAndSyntaxErrorsGiveFileLineColumn) {
  std::string bad_value = Write("bad_value.pbtxt", "\ntotal_epochs: \"many\"\n");
  EXPECT_EQ(std::string(LoadConfig(bad_value).status().message()),
            bad_value + ":2:15: Expected integer, got: \"many\"");
  std::string unclosed = Write("unclosed.pbtxt", "optimizer { sgd { lr: 0.1 }\n");
  absl::Status status = LoadConfig(unclosed).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message().rfind(unclosed + ":2:", 0), 0u) << status;
}

TEST(LoaderTest, MissingBaseFileNamesTheLineThatNamesIt) {
  std::string path = Write("missing_base/child.pbtxt",
                           "total_epochs: 3\n_base_: \"../_base_/nope.pbtxt\"\n");
  absl::Status status = LoadConfig(path).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(std::string(status.message()), path + ":2:1: base file '../_base_/nope.pbtxt' not found (" +
                                  Dirname(Dirname(path)) + "/_base_/nope.pbtxt)");
}

TEST(LoaderTest, ErrorsInsideABaseNameTheBase) {
  std::string base = Write("bad_base/base.pbtxt", "seed: x\n");
  std::string child = Write("bad_base/child.pbtxt", "_base_: \"base.pbtxt\"\n");
  EXPECT_EQ(std::string(LoadConfig(child).status().message()), base + ":1:7: Expected integer, got: x");
}

TEST(LoaderTest, BaseCyclesAreReported) {
  std::string a = Write("cycle/a.pbtxt", "_base_: \"b.pbtxt\"\n");
  std::string b = Write("cycle/b.pbtxt", "_base_: \"a.pbtxt\"\n");
  absl::Status status = LoadConfig(a).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(status.message()),
            b + ":1:1: _base_ cycle: " + a + " -> " + b + " -> " + a);
}

TEST(LoaderTest, MissingConfigFileIsNotFound) {
  absl::Status status = LoadConfig("/nonexistent/x.pbtxt").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(status.message().find("/nonexistent/x.pbtxt"), std::string::npos);
}

TEST(LoaderTest, BadOverrideIsInvalidArgument) {
  std::string path = Write("ok.pbtxt", "total_epochs: 3\n");
  absl::Status status = LoadConfig(path, {"total_epochs=2", "optimizer.sgd.lrr=1"}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message().rfind("--options optimizer.sgd.lrr=1: mmdet.config.SGD has no "
                                   "field 'lrr'", 0),
            0u)
      << status;
}

TEST(LoaderTest, SharedPipelinesFillDatasetsWithoutOne) {
  std::string path = Write("pipelines.pbtxt", R"pb(
    data {
      train_pipeline { load_image_from_file {} }
      train_pipeline { load_annotations {} }
      test_pipeline { load_image_from_file {} }
      train { coco_dataset { ann_file: "a.json" } }
      val { coco_dataset { ann_file: "b.json" pipeline { load_annotations {} } } }
      test { coco_dataset { ann_file: "c.json" } }
    }
  )pb");
  absl::StatusOr<config::Config> cfg = LoadConfig(path);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->data().train().coco_dataset().pipeline_size(), 2);
  ASSERT_EQ(cfg->data().val().coco_dataset().pipeline_size(), 1);
  EXPECT_TRUE(cfg->data().val().coco_dataset().pipeline(0).has_load_annotations());
  ASSERT_EQ(cfg->data().test().coco_dataset().pipeline_size(), 1);
  EXPECT_TRUE(cfg->data().test().coco_dataset().pipeline(0).has_load_image_from_file());
}

// A dataset configured through `custom` gets the shared pipeline too: the packed message is
// filled (here a CustomDataset packed as a user's message would be) and packed again.
TEST(LoaderTest, SharedPipelinesFillCustomDatasets) {
  std::string path = Write("custom_pipelines.pbtxt", R"pb(
    data {
      train_pipeline { load_image_from_file {} }
      train_pipeline { load_annotations {} }
      train { custom { [type.googleapis.com/mmdet.config.CustomDataset] { ann_file: "a.json" } } }
      test {
        repeat_dataset {
          times: 2
          dataset { custom { [type.googleapis.com/mmdet.config.CocoDataset] { ann_file: "b.json" } } }
        }
      }
      test_pipeline { load_image_from_file {} }
    }
  )pb");
  absl::StatusOr<config::Config> cfg = LoadConfig(path);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  config::CustomDataset train;
  ASSERT_TRUE(cfg->data().train().custom().UnpackTo(&train));
  EXPECT_EQ(train.ann_file(), "a.json");
  EXPECT_EQ(train.pipeline_size(), 2);
  config::CocoDataset test;
  ASSERT_TRUE(cfg->data().test().repeat_dataset().dataset().custom().UnpackTo(&test));
  ASSERT_EQ(test.pipeline_size(), 1);
  EXPECT_TRUE(test.pipeline(0).has_load_image_from_file());
}

TEST(LoaderTest, PrintedConfigParsesBackToTheSameMessage) {
  std::string path = Write("round_trip.pbtxt", R"pb(
    model { faster_rcnn { backbone { resnet { depth: 18 } } } }
    lr_config { step { step: [ 1, 2 ] } warmup: linear }
    work_dir: "w \"quoted\""
  )pb");
  absl::StatusOr<config::Config> cfg = LoadConfig(path);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  config::Config reparsed;
  ASSERT_TRUE(ParseTextProto(ConfigToText(*cfg), "printed", &reparsed).ok());
  EXPECT_EQ(reparsed.SerializeAsString(), cfg->SerializeAsString());
}

}  // namespace
}  // namespace mmdet
