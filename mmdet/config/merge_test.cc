#include "mmdet/config/merge.h"

#include <string>

#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "mmdet/config/config.pb.h"

namespace mmdet {
namespace {

config::Config Parse(const std::string& text) {
  config::Config cfg;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &cfg)) << text;
  return cfg;
}

void ExpectMerged(const std::string& base, const std::string& child, const std::string& want) {
  config::Config merged = Parse(base);
  MergeConfig(Parse(child), &merged);
  config::Config expected = Parse(want);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(merged, expected))
      << "got:\n" << merged.DebugString() << "want:\n" << expected.DebugString();
}

TEST(MergeConfigTest, ScalarsReplaceAndMessagesMerge) {
  ExpectMerged(R"pb(total_epochs: 12 optimizer { sgd { lr: 0.02 momentum: 0.9 } })pb",
               R"pb(total_epochs: 24 optimizer { sgd { lr: 0.01 } })pb",
               R"pb(total_epochs: 24 optimizer { sgd { lr: 0.01 momentum: 0.9 } })pb");
}

TEST(MergeConfigTest, RepeatedFieldsAreReplacedNotAppended) {
  ExpectMerged(R"pb(lr_config { step { step: [ 8, 11 ] } warmup: linear }
                    evaluation { metric: "bbox" metric: "segm" })pb",
               R"pb(lr_config { step { step: [ 16, 22 ] } }
                    evaluation { metric: "proposal" })pb",
               R"pb(lr_config { step { step: [ 16, 22 ] } warmup: linear }
                    evaluation { metric: "proposal" })pb");
}

TEST(MergeConfigTest, UnsetFieldsKeepTheBase) {
  ExpectMerged(R"pb(work_dir: "a" seed: 3)pb", R"pb(seed: 4)pb", R"pb(work_dir: "a" seed: 4)pb");
}

TEST(MergeConfigTest, AnotherOneofMemberReplacesTheBaseChoice) {
  ExpectMerged(R"pb(optimizer { sgd { lr: 0.02 } paramwise_cfg { bias_lr_mult: 2 } })pb",
               R"pb(optimizer { adam { lr: 0.001 } })pb",
               R"pb(optimizer { adam { lr: 0.001 } paramwise_cfg { bias_lr_mult: 2 } })pb");
}

TEST(MergeConfigTest, SameOneofMemberMergesDeeply) {
  ExpectMerged(
      R"pb(model {
             faster_rcnn {
               backbone { resnet { depth: 50 frozen_stages: 1 } }
               neck { fpn { in_channels: [ 256, 512, 1024, 2048 ] } }
             }
           })pb",
      R"pb(model { faster_rcnn { backbone { resnet { depth: 101 } } } })pb",
      R"pb(model {
             faster_rcnn {
               backbone { resnet { depth: 101 frozen_stages: 1 } }
               neck { fpn { in_channels: [ 256, 512, 1024, 2048 ] } }
             }
           })pb");
}

TEST(MergeConfigTest, AnyOfTheSameTypeMergesOtherwiseReplaces) {
  const std::string base = R"pb(model {
    custom {
      [type.googleapis.com/mmdet.config.FasterRCNN] { pretrained: "a" backbone { resnet { depth: 50 } } }
    }
  })pb";
  ExpectMerged(base, R"pb(model {
    custom { [type.googleapis.com/mmdet.config.FasterRCNN] { pretrained: "b" } }
  })pb", R"pb(model {
    custom {
      [type.googleapis.com/mmdet.config.FasterRCNN] { pretrained: "b" backbone { resnet { depth: 50 } } }
    }
  })pb");
  ExpectMerged(base, R"pb(model {
    custom { [type.googleapis.com/mmdet.config.ResNet] { depth: 18 } }
  })pb", R"pb(model {
    custom { [type.googleapis.com/mmdet.config.ResNet] { depth: 18 } }
  })pb");
}

}  // namespace
}  // namespace mmdet
