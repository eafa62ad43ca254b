// Every `custom` (google.protobuf.Any) member of the config schema builds a component
// registered under the packed message's full name. One test message, mmdet_test.Probe, is
// registered in every registry; its factories record which selection message reached them and
// build the built-in component named in `delegate`. The schema walk at the end fails when a
// new selection message with a `custom` member appears without a check here.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "mmdet/config/loader.h"
#include "mmdet/core/registry.h"
#include "mmdet/datasets/dataset.h"
#include "mmdet/datasets/pipelines/transform.h"
#include "mmdet/models/backbones/backbone.h"
#include "mmdet/models/dense_heads/dense_head.h"
#include "mmdet/models/detectors/detector.h"
#include "mmdet/models/losses/loss.h"
#include "mmdet/models/necks/neck.h"
#include "mmdet/models/roi_heads/bbox_heads/bbox_head.h"
#include "mmdet/models/roi_heads/mask_heads/mask_head.h"
#include "mmdet/models/roi_heads/roi_extractors/base_roi_extractor.h"
#include "mmdet/models/roi_heads/roi_head.h"
#include "mmdet/models/task_modules/assigners/assigner.h"
#include "mmdet/models/task_modules/coders/bbox_coder.h"
#include "mmdet/models/task_modules/prior_generators/prior_generator.h"
#include "mmdet/models/task_modules/samplers/sampler.h"
#include "mmdet/runner/hooks/standard_hooks.h"
#include "mmdet/runner/lr/lr_updater.h"
#include "mmdet/runner/optim/optimizer_builder.h"
#include "tests/custom_probe.pb.h"
#include "torch/nn/modules/linear.h"

namespace mmdet {
namespace {

using models::GroundTruth;
using models::ImageMeta;

// Selection message full name -> paths its Probe factory was called with.
std::map<std::string, std::set<std::string>>& Hits() {
  static auto* hits = new std::map<std::string, std::set<std::string>>;
  return *hits;
}

template <typename Parent>
absl::StatusOr<Parent> Delegate(const mmdet_test::Probe& probe, const std::string& path) {
  Hits()[Parent::descriptor()->full_name()].insert(path);
  Parent parent;
  if (!google::protobuf::TextFormat::ParseFromString(probe.delegate(), &parent)) {
    return absl::InvalidArgumentError(path + ".delegate: not a " + Parent::descriptor()->name());
  }
  return parent;
}

// A Probe factory for a registry whose builder is `build(parent, path)`.
template <typename Parent, typename Base, auto build>
absl::StatusOr<std::shared_ptr<Base>> Probe(const mmdet_test::Probe& probe,
                                            const std::string& path) {
  auto parent = Delegate<Parent>(probe, path);
  if (!parent.ok()) return parent.status();
  return build(*parent, path + ".delegate");
}

absl::StatusOr<std::shared_ptr<datasets::Transform>> ProbeTransform(
    const mmdet_test::Probe& probe, const std::string& path) {
  auto parent = Delegate<config::Transform>(probe, path);
  if (!parent.ok()) return parent.status();
  google::protobuf::RepeatedPtrField<config::Transform> one;
  *one.Add() = *parent;
  auto pipeline = datasets::BuildPipeline(one, path + ".delegate");
  if (!pipeline.ok()) return pipeline.status();
  return std::const_pointer_cast<datasets::Transform>(pipeline->transforms()[0]);
}

absl::StatusOr<std::shared_ptr<models::DetectorImpl>> ProbeDetector(
    const mmdet_test::Probe& probe, const config::Config& cfg, const std::string& path) {
  auto model = Delegate<config::Model>(probe, path);
  if (!model.ok()) return model.status();
  config::Config copy = cfg;
  *copy.mutable_model() = *model;
  return models::BuildDetector(copy);
}

MMDET_REGISTER(models::BackboneRegistry, mmdet_test::Probe,
               (Probe<config::Backbone, models::BackboneImpl, models::BuildBackbone>));
MMDET_REGISTER(models::NeckRegistry, mmdet_test::Probe,
               (Probe<config::Neck, models::NeckImpl, models::BuildNeck>));
MMDET_REGISTER(models::DenseHeadRegistry, mmdet_test::Probe,
               (Probe<config::DenseHead, models::DenseHeadImpl, models::BuildDenseHead>));
MMDET_REGISTER(models::RoIHeadRegistry, mmdet_test::Probe,
               (Probe<config::RoIHead, models::RoIHeadImpl, models::BuildRoIHead>));
MMDET_REGISTER(models::RoIExtractorRegistry, mmdet_test::Probe,
               (Probe<config::RoIExtractor, models::RoIExtractorImpl, models::BuildRoIExtractor>));
MMDET_REGISTER(models::BBoxHeadRegistry, mmdet_test::Probe,
               (Probe<config::BBoxHead, models::BBoxHeadImpl, models::BuildBBoxHead>));
MMDET_REGISTER(models::MaskHeadRegistry, mmdet_test::Probe,
               (Probe<config::MaskHead, models::MaskHeadImpl, models::BuildMaskHead>));
MMDET_REGISTER(models::LossRegistry, mmdet_test::Probe,
               (Probe<config::Loss, models::Loss, models::BuildLoss>));
MMDET_REGISTER(models::PriorGeneratorRegistry, mmdet_test::Probe,
               (Probe<config::PriorGenerator, models::PriorGenerator, models::BuildPriorGenerator>));
MMDET_REGISTER(models::BBoxCoderRegistry, mmdet_test::Probe,
               (Probe<config::BBoxCoder, models::BBoxCoder, models::BuildBBoxCoder>));
MMDET_REGISTER(models::AssignerRegistry, mmdet_test::Probe,
               (Probe<config::Assigner, models::Assigner, models::BuildAssigner>));
MMDET_REGISTER(models::BBoxSamplerRegistry, mmdet_test::Probe,
               (Probe<config::Sampler, models::BBoxSampler, models::BuildBBoxSampler>));
absl::StatusOr<std::shared_ptr<torch::optim::Optimizer>> ProbeOptimizer(
    const mmdet_test::Probe& probe, const std::string& path,
    const runner::OptimizerContext& ctx) {
  auto optimizer = Delegate<config::Optimizer>(probe, path);
  if (!optimizer.ok()) return optimizer.status();
  return runner::BuildOptimizer(*optimizer, *ctx.model);
}

MMDET_REGISTER(runner::OptimizerRegistry, mmdet_test::Probe, ProbeOptimizer);
// An lr policy through custom: the delegate is a whole LrConfig whose policy is used.
class DelegatedLrPolicy : public runner::LrPolicy {
 public:
  explicit DelegatedLrPolicy(runner::LrUpdater updater) : updater_(std::move(updater)) {}
  double Lr(double base_lr, int64_t progress, int64_t max) const override {
    runner::LrProgress p;
    p.epoch = static_cast<int>(progress);
    p.iter = progress;
    p.max_epochs = static_cast<int>(max);
    p.max_iters = max;
    return updater_.RegularLrs(p)[0] * base_lr;  // the delegate built with base lr 1
  }

 private:
  runner::LrUpdater updater_;
};
absl::StatusOr<std::shared_ptr<runner::LrPolicy>> ProbeLrPolicy(const mmdet_test::Probe& probe,
                                                                const std::string& path) {
  auto cfg = Delegate<config::LrConfig>(probe, path);
  if (!cfg.ok()) return cfg.status();
  auto updater = runner::LrUpdater::Create(*cfg, {1.0});
  if (!updater.ok()) return updater.status();
  return std::shared_ptr<runner::LrPolicy>(
      std::make_shared<DelegatedLrPolicy>(*std::move(updater)));
}
MMDET_REGISTER(runner::LrPolicyRegistry, mmdet_test::Probe, ProbeLrPolicy);
// A logger hook through custom: the delegate LoggerHook built by the logger registry.
absl::StatusOr<std::shared_ptr<runner::Hook>> ProbeLoggerHook(const mmdet_test::Probe& probe,
                                                              const std::string& path,
                                                              const config::LogConfig& log) {
  auto cfg = Delegate<config::LoggerHook>(probe, path);
  if (!cfg.ok()) return cfg.status();
  const std::string inner = path + ".delegate";
  return BuildComponent<runner::Hook, const std::string&, const config::LogConfig&>(
      runner::LoggerHookRegistry::Global(), *cfg, inner, inner, log);
}
MMDET_REGISTER(runner::LoggerHookRegistry, mmdet_test::Probe, ProbeLoggerHook);
// custom_hooks has no in-tree member to delegate to: the probe is itself the user's hook.
absl::StatusOr<std::shared_ptr<runner::Hook>> ProbeCustomHook(const mmdet_test::Probe& probe,
                                                              const std::string& path) {
  auto cfg = Delegate<config::CustomHookConfig>(probe, path);
  if (!cfg.ok()) return cfg.status();
  return std::shared_ptr<runner::Hook>(std::make_shared<runner::IterTimerHook>());
}
MMDET_REGISTER(runner::HookRegistry, mmdet_test::Probe, ProbeCustomHook);
MMDET_REGISTER(datasets::DatasetRegistry, mmdet_test::Probe,
               (Probe<config::Dataset, datasets::Dataset, datasets::BuildDataset>));
MMDET_REGISTER(datasets::TransformRegistry, mmdet_test::Probe, ProbeTransform);
MMDET_REGISTER(models::DetectorRegistry, mmdet_test::Probe, ProbeDetector);

// `custom { [type.googleapis.com/mmdet_test.Probe] { delegate: "<text>" } }`.
std::string Custom(const std::string& delegate) {
  std::string escaped;
  for (char c : delegate) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return "custom { [type.googleapis.com/mmdet_test.Probe] { delegate: \"" + escaped + "\" } }";
}

class CustomMembersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Hits().clear();
    dir_ = std::string(std::getenv("TEST_TMPDIR")) + "/custom_members";
    std::filesystem::create_directories(dir_);
  }
  absl::StatusOr<config::Config> Load(const std::string& name, const std::string& body) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << body;
    return LoadConfig(path);
  }
  std::string Base(const std::string& config) {
    return "_base_: \"" + std::filesystem::absolute(config).string() + "\"\n";
  }
  std::string dir_;
};

// Two 64x64 images with one box each.
void TrainOneStep(models::DetectorImpl& model, bool masks) {
  torch::manual_seed(0);
  const torch::Tensor img = torch::randn({2, 3, 64, 64});
  std::vector<ImageMeta> metas(2);
  GroundTruth gt;
  for (auto& meta : metas) {
    meta.ori_shape = meta.img_shape = meta.pad_shape = {64, 64, 3};
    meta.batch_input_shape = {64, 64};
    gt.bboxes.push_back(torch::tensor({{8.f, 8.f, 40.f, 48.f}}));
    gt.labels.push_back(torch::tensor({1}, torch::kInt64));
    if (masks) {
      torch::Tensor m = torch::zeros({1, 64, 64}, torch::kUInt8);
      m[0].narrow(0, 8, 40).narrow(1, 8, 32).fill_(1);
      gt.masks.push_back(m);
    }
  }
  model.train();
  auto losses = model.ForwardTrain(img, metas, gt);
  ASSERT_TRUE(losses.ok()) << losses.status();
  const torch::Tensor total = models::TotalLoss(*losses);
  ASSERT_TRUE(std::isfinite(total.item<double>()));
  total.backward();
  model.eval();
  auto results = model.SimpleTest(img, metas, true);
  ASSERT_TRUE(results.ok()) << results.status();
}

TEST_F(CustomMembersTest, EveryModelPartThroughCustom) {
  const std::string rpn_head =
      "rpn_head { in_channels: 64 feat_channels: 64 anchor_generator { " +
      Custom("anchor_generator { strides: [4, 8, 16, 32, 64] ratios: [0.5, 1.0, 2.0] "
             "scales: [8] }") +
      " } bbox_coder { " + Custom("delta_xywh_bbox_coder {}") + " } loss_cls { " +
      Custom("cross_entropy_loss { use_sigmoid: true }") + " } loss_bbox { " +
      Custom("l1_loss {}") + " } }";
  const std::string body =
      Base("configs/shapes/mask_rcnn_r18_fpn_shapes.pbtxt") + "model { mask_rcnn {\n" +
      "  backbone { " + Custom("resnet { depth: 18 }") + " }\n" +
      "  neck { " + Custom("fpn { in_channels: [64, 128, 256, 512] out_channels: 64 }") +
      " }\n" +
      "  rpn_head { " + Custom(rpn_head) + " }\n" +
      "  roi_head { standard_roi_head {\n" +
      "    bbox_roi_extractor { " +
      Custom("single_roi_extractor { out_channels: 64 featmap_strides: [4, 8, 16, 32] "
             "roi_layer { roi_align { out_size: 7 } } }") + " }\n" +
      "    bbox_head { " +
      Custom("shared2fc_bbox_head { in_channels: 64 fc_out_channels: 64 num_classes: 3 }") +
      " }\n" +
      "    mask_roi_extractor { " +
      Custom("single_roi_extractor { out_channels: 64 featmap_strides: [4, 8, 16, 32] "
             "roi_layer { roi_align { out_size: 14 } } }") + " }\n" +
      "    mask_head { " +
      Custom("fcn_mask_head { in_channels: 64 conv_out_channels: 64 num_classes: 3 }") +
      " }\n" +
      "  } }\n" +
      "} }\n" +
      "train_cfg {\n" +
      "  rpn { assigner { " +
      Custom("max_iou_assigner { pos_iou_thr: 0.7 neg_iou_thr: 0.3 min_pos_iou: 0.3 }") +
      " } sampler { " + Custom("random_sampler { add_gt_as_proposals: false }") + " } }\n" +
      "  rcnn { assigner { " + Custom("max_iou_assigner {}") + " } sampler { " +
      Custom("random_sampler { num: 64 pos_fraction: 0.25 }") + " } }\n" +
      "}\n";
  auto cfg = Load("parts.pbtxt", body);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  auto model = models::BuildDetector(*cfg);
  ASSERT_TRUE(model.ok()) << model.status();
  // State names are those of the delegates: a custom member is a drop-in.
  std::set<std::string> names;
  for (const auto& p : (*model)->named_parameters()) names.insert(p.key());
  EXPECT_TRUE(names.count("backbone.conv1.weight"));
  EXPECT_TRUE(names.count("rpn_head.rpn_cls.weight"));
  EXPECT_TRUE(names.count("roi_head.bbox_head.fc_cls.weight"));
  EXPECT_TRUE(names.count("roi_head.mask_head.conv_logits.weight"));
  ASSERT_NO_FATAL_FAILURE(TrainOneStep(**model, /*masks=*/true));
  const std::string m = "model.mask_rcnn";
  const std::map<std::string, std::set<std::string>> expected = {
      {"mmdet.config.Backbone", {m + ".backbone.custom"}},
      {"mmdet.config.Neck", {m + ".neck.custom"}},
      {"mmdet.config.DenseHead", {m + ".rpn_head.custom"}},
      {"mmdet.config.PriorGenerator",
       {m + ".rpn_head.custom.delegate.rpn_head.anchor_generator.custom"}},
      {"mmdet.config.BBoxCoder", {m + ".rpn_head.custom.delegate.rpn_head.bbox_coder.custom"}},
      {"mmdet.config.Loss",
       {m + ".rpn_head.custom.delegate.rpn_head.loss_cls.custom",
        m + ".rpn_head.custom.delegate.rpn_head.loss_bbox.custom"}},
      {"mmdet.config.RoIExtractor",
       {m + ".roi_head.standard_roi_head.bbox_roi_extractor.custom",
        m + ".roi_head.standard_roi_head.mask_roi_extractor.custom"}},
      {"mmdet.config.BBoxHead", {m + ".roi_head.standard_roi_head.bbox_head.custom"}},
      {"mmdet.config.MaskHead", {m + ".roi_head.standard_roi_head.mask_head.custom"}},
      {"mmdet.config.Assigner", {"train_cfg.rpn.assigner.custom", "train_cfg.rcnn.assigner.custom"}},
      {"mmdet.config.Sampler", {"train_cfg.rpn.sampler.custom", "train_cfg.rcnn.sampler.custom"}},
  };
  EXPECT_EQ(Hits(), expected);
}

TEST_F(CustomMembersTest, DetectorRoIHeadAndSingleStageHeadThroughCustom) {
  // The whole model, and inside it RetinaNet's bbox_head, through custom.
  const std::string retina =
      "retina_net { backbone { resnet { depth: 18 } } "
      "neck { fpn { in_channels: [64, 128, 256, 512] out_channels: 64 start_level: 1 "
      "add_extra_convs: 'on_input' num_outs: 5 } } bbox_head { " +
      Custom("retina_head { num_classes: 3 in_channels: 64 feat_channels: 64 }") + " } }";
  auto cfg = Load("retina.pbtxt", Base("configs/shapes/retinanet_r18_fpn_shapes.pbtxt") +
                                      "model { " + Custom(retina) + " }\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  auto retina_model = models::BuildDetector(*cfg);
  ASSERT_TRUE(retina_model.ok()) << retina_model.status();
  EXPECT_EQ((*retina_model)->num_classes(), 3);  // from the custom head, not a retina_head member
  ASSERT_NO_FATAL_FAILURE(TrainOneStep(**retina_model, /*masks=*/false));

  // A two-stage detector whose whole RoI head comes through custom.
  auto faster = Load("faster.pbtxt",
                     Base("configs/shapes/faster_rcnn_r18_fpn_shapes.pbtxt") +
                         "model { faster_rcnn { roi_head { " +
                         Custom("standard_roi_head { bbox_roi_extractor { single_roi_extractor "
                                "{ out_channels: 64 featmap_strides: [4, 8, 16, 32] roi_layer "
                                "{ roi_align { out_size: 7 } } } } bbox_head { "
                                "shared2fc_bbox_head { in_channels: 64 fc_out_channels: 64 "
                                "num_classes: 3 } } }") +
                         " } } }\n");
  ASSERT_TRUE(faster.ok()) << faster.status();
  auto faster_model = models::BuildDetector(*faster);
  ASSERT_TRUE(faster_model.ok()) << faster_model.status();
  ASSERT_NO_FATAL_FAILURE(TrainOneStep(**faster_model, /*masks=*/false));
  EXPECT_EQ(Hits(), (std::map<std::string, std::set<std::string>>{
                        {"mmdet.config.Model", {"model.custom"}},
                        // The probe detector builds its delegate as the config's model.
                        {"mmdet.config.DenseHead", {"model.retina_net.bbox_head.custom"}},
                        {"mmdet.config.RoIHead", {"model.faster_rcnn.roi_head.custom"}},
                    }));
}

TEST_F(CustomMembersTest, DatasetAndTransformThroughCustom) {
  std::ofstream(dir_ + "/middle.json")
      << R"([{"filename": "a.jpg", "width": 64, "height": 48,
              "ann": {"bboxes": [[1, 2, 30, 40]], "labels": [0]}}])";
  const std::string inner = "custom_dataset { ann_file: 'middle.json' data_root: '" + dir_ +
                            "' classes: 'a' pipeline { " + Custom("load_image_from_file {}") +
                            " } pipeline { load_annotations {} } }";
  config::Dataset cfg;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(Custom(inner), &cfg));
  auto dataset = datasets::BuildDataset(cfg, "data.train");
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  EXPECT_EQ((*dataset)->size(), 1u);
  EXPECT_EQ((*dataset)->classes(), std::vector<std::string>{"a"});
  EXPECT_EQ(Hits(), (std::map<std::string, std::set<std::string>>{
                        {"mmdet.config.Dataset", {"data.train.custom"}},
                        {"mmdet.config.Transform",
                         {"data.train.custom.delegate.custom_dataset.pipeline[0].custom"}},
                    }));
}

TEST_F(CustomMembersTest, OptimizerThroughCustom) {
  torch::nn::Linear model(3, 2);
  config::Optimizer cfg;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      Custom("sgd { lr: 0.5 }") + " paramwise_cfg { bias_lr_mult: 2 }", &cfg));
  auto optimizer = runner::BuildOptimizer(cfg, *model);
  ASSERT_TRUE(optimizer.ok()) << optimizer.status();
  EXPECT_EQ(runner::GroupLrs(**optimizer), (std::vector<double>{0.5}));
  EXPECT_EQ(Hits(), (std::map<std::string, std::set<std::string>>{
                        {"mmdet.config.Optimizer", {"optimizer.custom"}}}));
}

TEST_F(CustomMembersTest, LrPolicyThroughCustom) {
  config::LrConfig cfg;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      Custom("step { step: 2 gamma: 0.5 }"), &cfg));
  auto updater = runner::LrUpdater::Create(cfg, {0.02});
  ASSERT_TRUE(updater.ok()) << updater.status();
  runner::LrProgress p;
  p.epoch = 2;
  EXPECT_EQ(updater->BeforeTrainEpoch(p), (std::vector<double>{0.02 * 0.5}));
  EXPECT_EQ(Hits(), (std::map<std::string, std::set<std::string>>{
                        {"mmdet.config.LrConfig", {"lr_config.custom"}}}));
}

TEST_F(CustomMembersTest, HooksThroughCustom) {
  config::Config cfg;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      "log_config { interval: 1 hooks { " + Custom("text_logger_hook {}") + " } } " +
          "custom_hooks { " + Custom("priority: LOW") + " }",
      &cfg));
  torch::nn::Linear model(2, 1);
  runner::Runner r(*model, nullptr, runner::RunnerOptions());
  runner::TrainingHooksOptions options;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString("step { step: 1 }", &options.lr_config));
  options.base_lrs = {0.1};
  options.log_config = cfg.log_config();
  ASSERT_TRUE(runner::RegisterTrainingHooks(r, options).ok());
  ASSERT_TRUE(runner::RegisterCustomHooks(r, cfg.custom_hooks()).ok());
  EXPECT_EQ(Hits(), (std::map<std::string, std::set<std::string>>{
                        {"mmdet.config.LoggerHook", {"log_config.hooks[0].custom"}},
                        {"mmdet.config.CustomHookConfig", {"custom_hooks[0].custom"}}}));
}

// A packed message no registry knows is a clear error naming the member, not a crash.
TEST_F(CustomMembersTest, UnregisteredTypeNamesTheMember) {
  config::Backbone cfg;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      "custom { [type.googleapis.com/mmdet.config.FPN] {} }", &cfg));
  auto built = models::BuildBackbone(cfg, "model.backbone");
  ASSERT_FALSE(built.ok());
  EXPECT_THAT(std::string(built.status().message()),
              ::testing::AllOf(::testing::HasSubstr("model.backbone"),
                               ::testing::HasSubstr("no component registered for mmdet.config.FPN")));
}

// Every selection message with a `custom` member reachable from the config is checked above.
TEST(CustomMembersSchemaTest, EverySelectionWithCustomIsCovered) {
  std::set<std::string> found;
  std::set<const google::protobuf::Descriptor*> seen;
  std::vector<const google::protobuf::Descriptor*> todo = {config::Config::descriptor()};
  while (!todo.empty()) {
    const google::protobuf::Descriptor* d = todo.back();
    todo.pop_back();
    if (!seen.insert(d).second) continue;
    for (int i = 0; i < d->field_count(); ++i) {
      const google::protobuf::FieldDescriptor* f = d->field(i);
      if (f->message_type() == nullptr) continue;
      if (f->message_type()->full_name() == "google.protobuf.Any") {
        found.insert(d->full_name());
        continue;
      }
      todo.push_back(f->message_type());
    }
  }
  const std::set<std::string> covered = {
      "mmdet.config.Model",        "mmdet.config.Backbone",     "mmdet.config.Neck",
      "mmdet.config.DenseHead",    "mmdet.config.RoIHead",      "mmdet.config.RoIExtractor",
      "mmdet.config.BBoxHead",     "mmdet.config.MaskHead",     "mmdet.config.Loss",
      "mmdet.config.PriorGenerator", "mmdet.config.BBoxCoder",  "mmdet.config.Assigner",
      "mmdet.config.Sampler",      "mmdet.config.Dataset",      "mmdet.config.Transform",
      "mmdet.config.Optimizer",    "mmdet.config.LrConfig",     "mmdet.config.LoggerHook",
      "mmdet.config.CustomHookConfig"};
  std::set<std::string> pending;
  for (const std::string& name : found) {
    if (!covered.count(name)) pending.insert(name);
  }
  for (const std::string& name : covered) EXPECT_TRUE(found.count(name)) << name;
  EXPECT_TRUE(pending.empty()) << ::testing::PrintToString(pending);
}

}  // namespace
}  // namespace mmdet
