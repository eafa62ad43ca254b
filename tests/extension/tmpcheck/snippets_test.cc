#include <fstream>
#include "gtest/gtest.h"
#include "mmdet/config/loader.h"
#include "mmdet/datasets/dataset.h"
#include "mmdet/models/necks/neck.h"
#include "mmdet/models/roi_heads/roi_extractors/base_roi_extractor.h"
#include "mmdet/models/roi_heads/bbox_heads/bbox_head.h"
#include "mmdet/models/roi_heads/mask_heads/mask_head.h"
#include "mmdet/datasets/pipelines/transform.h"

namespace {
template <typename M> M Parse(const std::string& t) { M m; EXPECT_TRUE(mmdet::ParseTextProto(t, "x", &m).ok()) << t; return m; }

TEST(S, Neck) {
  auto cfg = Parse<mmdet::config::Neck>("custom { [type.googleapis.com/my.ChannelMapper] { in_channels: [8, 16] out_channels: 4 } }");
  auto n = mmdet::models::BuildNeck(cfg, "model.neck");
  ASSERT_TRUE(n.ok()) << n.status();
  auto out = (*n)->forward({torch::randn({1, 8, 8, 8}), torch::randn({1, 16, 4, 4})});
  EXPECT_EQ(out[1].sizes(), (std::vector<int64_t>{1, 4, 4, 4}));
  for (auto& p : (*n)->named_parameters()) std::printf("%s\n", p.key().c_str());
  auto bad = mmdet::models::BuildNeck(Parse<mmdet::config::Neck>("custom { [type.googleapis.com/my.ChannelMapper] { } }"), "model.neck");
  std::printf("%s\n", std::string(bad.status().message()).c_str());
}
TEST(S, Extractor) {
  auto cfg = Parse<mmdet::config::RoIExtractor>("custom { [type.googleapis.com/my.SumRoIExtractor] { out_size: 3 featmap_strides: [4, 8] } }");
  auto e = mmdet::models::BuildRoIExtractor(cfg, "x");
  ASSERT_TRUE(e.ok()) << e.status();
  auto out = (*e)->forward({torch::randn({1, 5, 16, 16}), torch::randn({1, 5, 8, 8})}, torch::tensor({{0.f, 0.f, 0.f, 20.f, 20.f}}));
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{1, 5, 3, 3}));
  auto empty = (*e)->forward({torch::randn({1, 5, 16, 16}), torch::randn({1, 5, 8, 8})}, torch::zeros({0, 5}));
  EXPECT_EQ(empty.size(0), 0);
}
TEST(S, Heads) {
  auto b = mmdet::models::BuildBBoxHead(Parse<mmdet::config::BBoxHead>("custom { [type.googleapis.com/my.SingleFCBBoxHead] { in_channels: 5 roi_feat_size: 3 fc_out_channels: 8 num_classes: 3 } }"), "x");
  ASSERT_TRUE(b.ok()) << b.status();
  auto [c, r] = (*b)->forward(torch::randn({2, 5, 3, 3}));
  EXPECT_EQ(c.sizes(), (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(r.sizes(), (std::vector<int64_t>{2, 12}));
  auto m = mmdet::models::BuildMaskHead(Parse<mmdet::config::MaskHead>("custom { [type.googleapis.com/my.PreConvMaskHead] { fcn { num_convs: 1 in_channels: 5 conv_out_channels: 6 num_classes: 3 } } }"), "x");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ((*m)->forward(torch::randn({2, 5, 7, 7})).sizes(), (std::vector<int64_t>{2, 3, 14, 14}));
  for (auto& p : (*m)->named_parameters()) std::printf("%s\n", p.key().c_str());
}
TEST(S, TransformAndDataset) {
  google::protobuf::RepeatedPtrField<mmdet::config::Transform> pipe;
  *pipe.Add() = Parse<mmdet::config::Transform>("custom { [type.googleapis.com/my.RandomGrayscale] { prob: 1.0 } }");
  auto p = mmdet::datasets::BuildPipeline(pipe, "data.train.pipeline");
  ASSERT_TRUE(p.ok()) << p.status();
  mmdet::datasets::Results r;
  r.img = cv::Mat(4, 4, CV_8UC3, cv::Scalar(10, 20, 30));
  mmdet::datasets::Rng rng(1);
  auto out = p->Run(r, rng);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 1u);
  auto px = (*out)[0].img.at<cv::Vec3b>(0, 0);
  EXPECT_EQ(px[0], px[1]);
  *pipe.Mutable(0) = Parse<mmdet::config::Transform>("custom { [type.googleapis.com/my.RandomGrayscale] { prob: 2.0 } }");
  auto bad = mmdet::datasets::BuildPipeline(pipe, "data.train.pipeline");
  std::printf("%s\n", std::string(bad.status().message()).c_str());

  const std::string dir = ::testing::TempDir();
  std::ofstream(dir + "/list.txt") << "a.jpg 100 80 1 2 30 40 0 5 5 50 50 1\n\nb.jpg 20 20\n";
  auto cfg = Parse<mmdet::config::Dataset>("custom { [type.googleapis.com/my.ListDataset] { common { ann_file: \"list.txt\" data_root: \"" + dir + "\" classes: [\"a\", \"b\"] } } }");
  auto d = mmdet::datasets::BuildDataset(cfg, "data.train");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ((*d)->size(), 1u);
  auto ann = (*d)->ann_info(0);
  ASSERT_TRUE(ann.ok());
  EXPECT_EQ(ann->labels, (std::vector<int64_t>{0, 1}));
  auto bad_d = mmdet::datasets::BuildDataset(Parse<mmdet::config::Dataset>("custom { [type.googleapis.com/my.ListDataset] { common { ann_file: \"list.txt\" data_root: \"" + dir + "\" } } }"), "data.train");
  std::printf("%s\n", std::string(bad_d.status().message()).c_str());
  // shared pipelines and custom datasets
  auto full = Parse<mmdet::config::Config>("data { train_pipeline { load_image_from_file {} } train { custom { [type.googleapis.com/my.ListDataset] { common { ann_file: \"x\" } } } } }");
  mmdet::FillSharedPipelines(&full);
  std::printf("FILLED: %s\n", mmdet::ConfigToText(full).c_str());
}
}
