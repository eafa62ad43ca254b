#include "mmdet/config/overrides.h"

#include <string>

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "mmdet/config/config.pb.h"

namespace mmdet {
namespace {

config::Config Base() {
  config::Config cfg;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(R"pb(
    model {
      faster_rcnn {
        backbone { resnet { depth: 50 } }
        roi_head {
          standard_roi_head { bbox_head { shared2fc_bbox_head { num_classes: 80 } } }
        }
      }
    }
    optimizer { sgd { lr: 0.02 } }
    lr_config { step { step: [ 8, 11 ] } }
    data {
      train_pipeline { load_image_from_file {} }
      train_pipeline { resize { keep_ratio: true } }
    }
  )pb", &cfg));
  return cfg;
}

absl::Status Apply(config::Config* cfg, const std::string& spec) {
  return ApplyOverride(spec, cfg);
}

TEST(OverridesTest, ScalarsByFullPath) {
  config::Config cfg = Base();
  ASSERT_TRUE(Apply(&cfg, "total_epochs=24").ok());
  ASSERT_TRUE(Apply(&cfg, "optimizer.sgd.lr=0.01").ok());
  ASSERT_TRUE(Apply(&cfg, "work_dir=work_dirs/x y").ok());
  ASSERT_TRUE(Apply(&cfg, "load_from='a.pth'").ok());
  ASSERT_TRUE(Apply(&cfg, "deterministic=true").ok());
  EXPECT_EQ(cfg.total_epochs(), 24);
  EXPECT_FLOAT_EQ(cfg.optimizer().sgd().lr(), 0.01f);
  EXPECT_EQ(cfg.work_dir(), "work_dirs/x y");
  EXPECT_EQ(cfg.load_from(), "a.pth");
  EXPECT_TRUE(cfg.deterministic());
}

TEST(OverridesTest, PathsMaySkipTheChosenOneofMember) {
  config::Config cfg = Base();
  ASSERT_TRUE(Apply(&cfg, "model.backbone.depth=101").ok());
  ASSERT_TRUE(Apply(&cfg, "model.roi_head.bbox_head.num_classes=20").ok());
  ASSERT_TRUE(Apply(&cfg, "optimizer.lr=0.005").ok());
  const auto& frcnn = cfg.model().faster_rcnn();
  EXPECT_EQ(frcnn.backbone().resnet().depth(), 101);
  EXPECT_EQ(frcnn.roi_head().standard_roi_head().bbox_head().shared2fc_bbox_head().num_classes(),
            20);
  EXPECT_FLOAT_EQ(cfg.optimizer().sgd().lr(), 0.005f);
}

TEST(OverridesTest, EnumsListsAndRepeatedElements) {
  config::Config cfg = Base();
  ASSERT_TRUE(Apply(&cfg, "lr_config.warmup=linear").ok());
  ASSERT_TRUE(Apply(&cfg, "lr_config.step.step=[16,22]").ok());
  ASSERT_TRUE(Apply(&cfg, "evaluation.metric=bbox,segm").ok());
  ASSERT_TRUE(Apply(&cfg, "data.train_pipeline.1.resize.keep_ratio=false").ok());
  EXPECT_EQ(cfg.lr_config().warmup(), config::LrConfig::linear);
  ASSERT_EQ(cfg.lr_config().step().step_size(), 2);
  EXPECT_EQ(cfg.lr_config().step().step(0), 16);
  EXPECT_EQ(cfg.lr_config().step().step(1), 22);
  ASSERT_EQ(cfg.evaluation().metric_size(), 2);
  EXPECT_EQ(cfg.evaluation().metric(1), "segm");
  EXPECT_FALSE(cfg.data().train_pipeline(1).resize().keep_ratio());
}

TEST(OverridesTest, MessagesFromTextReplaceTheOldValue) {
  config::Config cfg = Base();
  ASSERT_TRUE(Apply(&cfg, "optimizer={adam {lr: 0.001}}").ok());
  EXPECT_TRUE(cfg.optimizer().has_adam());
  EXPECT_FALSE(cfg.optimizer().has_sgd());
}

TEST(OverridesTest, ErrorsNameTheOverrideAndLeaveTheConfigAlone) {
  config::Config cfg = Base();
  const std::string before = cfg.SerializeAsString();
  struct Case {
    std::string spec;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"total_epochs", "--options total_epochs: expected KEY=VALUE"},
           {"=3", "--options =3: expected KEY=VALUE"},
           {"total_epochs=abc",
            "--options total_epochs=abc: invalid value 'abc' for int32 field 'total_epochs'"},
           {"model.backbone.dpeth=101",
            "--options model.backbone.dpeth=101: mmdet.config.ResNet has no field 'dpeth' "
            "(fields: depth, in_channels, num_stages, strides, dilations, out_indices, style, "
            "frozen_stages, norm_cfg, norm_eval, zero_init_residual, deep_stem, avg_down, "
            "with_cp)"},
           {"total_epochs.x=1", "--options total_epochs.x=1: 'total_epochs' is a int32 field, "
                                "not a message"},
           {"lr_config.warmup=cubic",
            "--options lr_config.warmup=cubic: invalid value 'cubic' for enum field 'warmup'"},
           {"lr_config.step.step=[1,x]",
            "--options lr_config.step.step=[1,x]: invalid value 'x' for int32 field 'step'"},
           {"lr_config.step.step=[1,2", "--options lr_config.step.step=[1,2: unbalanced '['"},
           {"data.train_pipeline.5.resize.keep_ratio=false",
            "--options data.train_pipeline.5.resize.keep_ratio=false: 'train_pipeline' is a "
            "repeated field with 2 element(s); expected train_pipeline.<index>.<field> with "
            "index 0..1"},
           {"data.train_pipeline=x",
            "--options data.train_pipeline=x: 'train_pipeline' is a repeated message; select "
            "an element: train_pipeline.0.<field>=..."},
       }) {
    absl::Status status = Apply(&cfg, c.spec);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.spec;
    EXPECT_EQ(std::string(status.message()), c.message) << c.spec;
    EXPECT_EQ(cfg.SerializeAsString(), before) << c.spec;
  }
  absl::Status bad_message = Apply(&cfg, "optimizer={sgd {lr: x}}");
  EXPECT_EQ(bad_message.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad_message.message().find("invalid mmdet.config.Optimizer"), std::string::npos)
      << bad_message;
}

}  // namespace
}  // namespace mmdet
