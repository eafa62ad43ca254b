// Expected values are MMDetection v2's (its tests/test_anchor.py, test_coder.py and
// test_assigner.py cases, recomputed by hand where noted).
#include "mmdet/models/task_modules/assigners/assigner.h"
#include "mmdet/models/task_modules/bbox_transforms.h"
#include "mmdet/models/task_modules/coders/bbox_coder.h"
#include "mmdet/models/task_modules/coders/delta_xywh_bbox_coder.h"
#include "mmdet/models/task_modules/prior_generators/anchor_generator.h"
#include "mmdet/models/task_modules/prior_generators/prior_generator.h"
#include "mmdet/models/task_modules/samplers/sampler.h"

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace mmdet::models {
namespace {

using ::testing::HasSubstr;

template <typename Message>
Message Parse(const std::string& text) {
  Message m;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &m)) << text;
  return m;
}

std::shared_ptr<PriorGenerator> Anchors(const std::string& text) {
  auto gen = BuildPriorGenerator(Parse<config::PriorGenerator>(text), "anchor_generator");
  EXPECT_TRUE(gen.ok()) << gen.status();
  return gen.ok() ? *gen : nullptr;
}

void ExpectClose(const torch::Tensor& actual, const torch::Tensor& expected, double tol = 1e-4) {
  ASSERT_EQ(actual.sizes(), expected.sizes());
  EXPECT_TRUE(torch::allclose(actual, expected, 0, tol)) << actual << "\nexpected\n" << expected;
}

TEST(AnchorGeneratorTest, GridAnchorsShiftBaseAnchorsByTheStride) {
  auto gen = Anchors("anchor_generator { strides: [10] ratios: [1] scales: [1] base_sizes: [10] }");
  ASSERT_NE(gen, nullptr);
  auto anchors = gen->GridAnchors({{2, 2}}, torch::kCPU);
  ExpectClose(anchors[0], torch::tensor({{-5.f, -5.f, 5.f, 5.f},
                                         {5.f, -5.f, 15.f, 5.f},
                                         {-5.f, 5.f, 5.f, 15.f},
                                         {5.f, 5.f, 15.f, 15.f}}));
}

TEST(AnchorGeneratorTest, RpnAndRetinaNetBaseAnchors) {
  auto rpn = Anchors("anchor_generator { strides: [4, 8, 16, 32, 64] ratios: [0.5, 1.0, 2.0] "
                     "scales: [8] }");
  ASSERT_NE(rpn, nullptr);
  const auto& base = dynamic_cast<AnchorGenerator&>(*rpn).base_anchors();
  ASSERT_EQ(base.size(), 5u);
  // ratio 0.5 (h / w): w = 4 * 8 * sqrt(2), h = 4 * 8 / sqrt(2), centred on 0.
  ExpectClose(base[0][0], torch::tensor({-22.6274f, -11.3137f, 22.6274f, 11.3137f}));
  ExpectClose(base[0][1], torch::tensor({-16.f, -16.f, 16.f, 16.f}));
  ExpectClose(base[4][2], torch::tensor({-181.0193f, -362.0387f, 181.0193f, 362.0387f}));
  EXPECT_EQ(rpn->num_base_anchors(), (std::vector<int64_t>(5, 3)));
  auto grid = rpn->GridAnchors({{2, 3}, {1, 2}}, torch::kCPU);
  EXPECT_EQ(grid[0].sizes(), (std::vector<int64_t>{18, 4}));
  // The second location (x = 4) repeats the three base anchors shifted by 4.
  ExpectClose(grid[0].narrow(0, 3, 3), base[0] + torch::tensor({4.f, 0.f, 4.f, 0.f}));

  auto retina = Anchors("anchor_generator { strides: [8, 16, 32, 64, 128] ratios: [0.5, 1, 2] "
                        "octave_base_scale: 4 scales_per_octave: 3 }");
  ASSERT_NE(retina, nullptr);
  EXPECT_EQ(retina->num_base_anchors(), (std::vector<int64_t>(5, 9)));
  // Scale-major: ratio 1 with scales 4, 4 * 2^(1/3), 4 * 2^(2/3) are anchors 3, 4, 5.
  const auto& rb = dynamic_cast<AnchorGenerator&>(*retina).base_anchors()[0];
  ExpectClose(rb[3], torch::tensor({-16.f, -16.f, 16.f, 16.f}));
  ExpectClose(rb[4], torch::tensor({-20.1587f, -20.1587f, 20.1587f, 20.1587f}));
  ExpectClose(rb[5], torch::tensor({-25.3984f, -25.3984f, 25.3984f, 25.3984f}));
}

TEST(AnchorGeneratorTest, CenterOffsetAndValidFlags) {
  auto gen = Anchors("anchor_generator { strides: [10] ratios: [1] scales: [1] "
                     "center_offset: 0.5 }");
  ASSERT_NE(gen, nullptr);
  ExpectClose(gen->GridAnchors({{1, 1}}, torch::kCPU)[0], torch::tensor({{0.f, 0.f, 10.f, 10.f}}));
  // A 4x4 map of a 25x35 (h x w) padded image: rows 0-2 (ceil 2.5) and all columns valid.
  auto flags = gen->ValidFlags({{4, 4}}, {25, 35}, torch::kCPU)[0];
  ASSERT_EQ(flags.size(0), 16);
  EXPECT_EQ(flags.sum().item<int64_t>(), 12);
  EXPECT_FALSE(flags[12].item<bool>());
  const torch::Tensor anchors = torch::tensor({{-1.f, 0.f, 5.f, 5.f}, {0.f, 0.f, 36.f, 5.f}});
  const torch::Tensor valid = torch::tensor({true, true});
  EXPECT_TRUE(torch::equal(AnchorInsideFlags(anchors, valid, {25, 35}, 0),
                           torch::tensor({false, false})));
  EXPECT_TRUE(torch::equal(AnchorInsideFlags(anchors, valid, {25, 35}, 2),
                           torch::tensor({true, true})));
  EXPECT_TRUE(torch::equal(AnchorInsideFlags(anchors, valid, {25, 35}, -1), valid));
}

TEST(AnchorGeneratorTest, BadConfigNamesTheField) {
  auto error = [](const std::string& text) {
    auto gen = BuildPriorGenerator(Parse<config::PriorGenerator>(text), "model.rpn_head.anchor_generator");
    return gen.ok() ? std::string() : std::string(gen.status().message());
  };
  EXPECT_THAT(error("anchor_generator { ratios: [1] scales: [1] }"),
              HasSubstr("anchor_generator.anchor_generator.strides: required"));
  EXPECT_THAT(error("anchor_generator { strides: [4] ratios: [1] scales: [1] "
                    "octave_base_scale: 4 scales_per_octave: 3 }"),
              HasSubstr("scales: give scales or octave_base_scale"));
}

TEST(DeltaXYWHBBoxCoderTest, DecodeMatchesMmdetection) {
  DeltaXYWHBBoxCoder coder({0, 0, 0, 0}, {1, 1, 1, 1});
  const torch::Tensor rois = torch::tensor(
      {{0.f, 0.f, 1.f, 1.f}, {0.f, 0.f, 1.f, 1.f}, {0.f, 0.f, 1.f, 1.f}, {5.f, 5.f, 5.f, 5.f}});
  const torch::Tensor deltas = torch::tensor(
      {{0.f, 0.f, 0.f, 0.f}, {1.f, 1.f, 1.f, 1.f}, {0.f, 0.f, 2.f, -1.f}, {0.7f, -1.9f, -0.5f, 0.3f}});
  ExpectClose(coder.Decode(rois, deltas, std::array<int64_t, 2>{32, 32}),
              torch::tensor({{0.0000f, 0.0000f, 1.0000f, 1.0000f},
                             {0.1409f, 0.1409f, 2.8591f, 2.8591f},
                             {0.0000f, 0.3161f, 4.1945f, 0.6839f},
                             {5.0000f, 5.0000f, 5.0000f, 5.0000f}}));
  // Clamped to (h, w) = (2, 3) without "-1"; |dw| capped at |log(16 / 1000)|.
  ExpectClose(coder.Decode(rois.narrow(0, 2, 1), deltas.narrow(0, 2, 1), std::array<int64_t, 2>{2, 3}),
              torch::tensor({{0.f, 0.3161f, 3.f, 0.6839f}}));
  const torch::Tensor huge = coder.Decode(rois.narrow(0, 0, 1), torch::tensor({{0.f, 0.f, 100.f, 0.f}}),
                                          std::nullopt);
  EXPECT_NEAR((huge[0][2] - huge[0][0]).item<float>(), 1000.0 / 16, 1e-2);
}

TEST(DeltaXYWHBBoxCoderTest, EncodeInvertsDecodeWithMeansAndStds) {
  DeltaXYWHBBoxCoder coder({0.1f, -0.1f, 0.f, 0.f}, {0.1f, 0.1f, 0.2f, 0.2f});
  const torch::Tensor proposals = torch::tensor({{10.f, 20.f, 50.f, 80.f}, {0.f, 0.f, 8.f, 8.f}});
  const torch::Tensor gts = torch::tensor({{12.f, 18.f, 60.f, 70.f}, {1.f, 2.f, 5.f, 9.f}});
  const torch::Tensor deltas = coder.Encode(proposals, gts);
  // dx of the first: ((36 - 30) / 40 - 0.1) / 0.1 = 0.5; dw: log(48 / 40) / 0.2.
  EXPECT_NEAR(deltas[0][0].item<float>(), 0.5, 1e-5);
  EXPECT_NEAR(deltas[0][2].item<float>(), std::log(48.0 / 40) / 0.2, 1e-5);
  ExpectClose(coder.Decode(proposals, deltas, std::nullopt), gts);
  // Class-specific deltas (N x 4k) decode per class.
  const torch::Tensor two = coder.Decode(proposals, torch::cat({deltas, deltas}, 1), std::nullopt);
  EXPECT_EQ(two.sizes(), (std::vector<int64_t>{2, 8}));
  ExpectClose(two.narrow(1, 4, 4), gts);
}

AssignResult AssignWith(const std::string& cfg, const torch::Tensor& bboxes, const torch::Tensor& gts,
                        const torch::Tensor& ignore, const torch::Tensor& labels) {
  auto assigner = BuildAssigner(Parse<config::Assigner>(cfg), "assigner");
  EXPECT_TRUE(assigner.ok()) << assigner.status();
  return (*assigner)->Assign(bboxes, gts, ignore, labels);
}

TEST(MaxIoUAssignerTest, PositivesNegativesAndLowQualityMatches) {
  const torch::Tensor bboxes = torch::tensor(
      {{0.f, 0.f, 10.f, 10.f}, {10.f, 10.f, 20.f, 20.f}, {5.f, 5.f, 15.f, 15.f}, {32.f, 32.f, 38.f, 42.f}});
  const torch::Tensor gts = torch::tensor({{0.f, 0.f, 10.f, 9.f}, {0.f, 10.f, 10.f, 19.f}});
  const torch::Tensor labels = torch::tensor({2, 3}, torch::kInt64);
  AssignResult r = AssignWith("max_iou_assigner { pos_iou_thr: 0.5 neg_iou_thr: 0.5 }", bboxes, gts,
                              torch::Tensor(), labels);
  EXPECT_TRUE(torch::equal(r.gt_inds, torch::tensor({1, 0, 2, 0}, torch::kInt64))) << r.gt_inds;
  EXPECT_TRUE(torch::equal(r.labels, torch::tensor({2, -1, 3, -1}, torch::kInt64))) << r.labels;
  EXPECT_NEAR(r.max_overlaps[0].item<float>(), 0.9, 1e-6);
  // Without low-quality matches box 2 (IoU 0.15) stays negative.
  r = AssignWith("max_iou_assigner { pos_iou_thr: 0.5 neg_iou_thr: 0.5 match_low_quality: false }",
                 bboxes, gts, torch::Tensor(), labels);
  EXPECT_TRUE(torch::equal(r.gt_inds, torch::tensor({1, 0, 0, 0}, torch::kInt64))) << r.gt_inds;
  // Between neg_iou_thr and pos_iou_thr: ignored (-1).
  r = AssignWith("max_iou_assigner { pos_iou_thr: 0.5 neg_iou_thr: 0.1 min_pos_iou: 0.2 }", bboxes, gts,
                 torch::Tensor(), labels);
  EXPECT_TRUE(torch::equal(r.gt_inds, torch::tensor({1, 0, -1, 0}, torch::kInt64))) << r.gt_inds;
}

TEST(MaxIoUAssignerTest, IgnoredGtsAndEmptyInputs) {
  const torch::Tensor bboxes = torch::tensor(
      {{0.f, 0.f, 10.f, 10.f}, {10.f, 10.f, 20.f, 20.f}, {5.f, 5.f, 15.f, 15.f}, {30.f, 32.f, 40.f, 42.f}});
  const torch::Tensor gts = torch::tensor({{0.f, 0.f, 10.f, 9.f}, {0.f, 10.f, 10.f, 19.f}});
  const torch::Tensor ignore = torch::tensor({{30.f, 30.f, 40.f, 40.f}});
  AssignResult r = AssignWith(
      "max_iou_assigner { pos_iou_thr: 0.5 neg_iou_thr: 0.5 ignore_iof_thr: 0.5 "
      "ignore_wrt_candidates: false }",
      bboxes, gts, ignore, torch::Tensor());
  EXPECT_TRUE(torch::equal(r.gt_inds, torch::tensor({1, 0, 2, -1}, torch::kInt64))) << r.gt_inds;
  EXPECT_FALSE(r.labels.defined());

  r = AssignWith("max_iou_assigner {}", bboxes, torch::empty({0, 4}), torch::Tensor(),
                 torch::empty({0}, torch::kInt64));
  EXPECT_TRUE(torch::equal(r.gt_inds, torch::zeros({4}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(r.labels, torch::full({4}, -1, torch::kInt64)));
  r = AssignWith("max_iou_assigner {}", torch::empty({0, 4}), gts, torch::Tensor(), torch::Tensor());
  EXPECT_EQ(r.gt_inds.numel(), 0);
}

TEST(SamplerTest, RandomSamplerAddsGtsAndSamplesSortedIndices) {
  torch::manual_seed(0);
  const torch::Tensor bboxes = torch::tensor(
      {{0.f, 0.f, 10.f, 10.f}, {10.f, 10.f, 20.f, 20.f}, {5.f, 5.f, 15.f, 15.f}, {32.f, 32.f, 38.f, 42.f}});
  const torch::Tensor gts = torch::tensor({{0.f, 0.f, 10.f, 9.f}, {0.f, 10.f, 10.f, 19.f}});
  const torch::Tensor labels = torch::tensor({2, 3}, torch::kInt64);
  AssignResult assign = AssignWith("max_iou_assigner { pos_iou_thr: 0.5 neg_iou_thr: 0.5 }", bboxes,
                                   gts, torch::Tensor(), labels);
  auto sampler = BuildBBoxSampler(Parse<config::Sampler>("random_sampler { num: 4 pos_fraction: 0.5 }"),
                                  "sampler");
  ASSERT_TRUE(sampler.ok());
  SamplingResult s = (*sampler)->Sample(assign, bboxes, gts, labels);
  // Gts prepended: rows 0, 1 are the gts (positives), then boxes 0 (pos), 1 (neg), 2 (pos), 3 (neg).
  EXPECT_EQ(s.pos_inds.numel(), 2);  // 4 x 0.5
  EXPECT_EQ(s.neg_inds.numel(), 2);
  EXPECT_TRUE(torch::equal(s.neg_inds, torch::tensor({3, 5}, torch::kInt64))) << s.neg_inds;
  EXPECT_LT(s.pos_inds[0].item<int64_t>(), s.pos_inds[1].item<int64_t>());
  for (int i = 0; i < 2; ++i) {
    const int64_t index = s.pos_inds[i].item<int64_t>();
    EXPECT_EQ(s.pos_is_gt[i].item<uint8_t>(), index < 2 ? 1 : 0);
  }
  EXPECT_EQ(s.pos_gt_bboxes.sizes(), (std::vector<int64_t>{2, 4}));
  EXPECT_TRUE(torch::equal(s.pos_gt_labels, labels.index({s.pos_assigned_gt_inds})));

  AssignResult again = AssignWith("max_iou_assigner { pos_iou_thr: 0.5 neg_iou_thr: 0.5 }", bboxes,
                                  gts, torch::Tensor(), labels);
  auto pseudo = BuildBBoxSampler(Parse<config::Sampler>("pseudo_sampler {}"), "sampler");
  ASSERT_TRUE(pseudo.ok());
  SamplingResult p = (*pseudo)->Sample(again, bboxes, gts, labels);
  EXPECT_TRUE(torch::equal(p.pos_inds, torch::tensor({0, 2}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(p.neg_inds, torch::tensor({1, 3}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(p.pos_assigned_gt_inds, torch::tensor({0, 1}, torch::kInt64)));
}

TEST(SamplerTest, NegPosUpperBound) {
  torch::manual_seed(1);
  AssignResult assign;
  assign.num_gts = 1;
  assign.gt_inds = torch::tensor({1, 0, 0, 0, 0, 0, 0, 0}, torch::kInt64);
  assign.max_overlaps = torch::zeros({8});
  auto sampler = BuildBBoxSampler(
      Parse<config::Sampler>("random_sampler { num: 8 pos_fraction: 0.25 neg_pos_ub: 3 "
                             "add_gt_as_proposals: false }"),
      "sampler");
  ASSERT_TRUE(sampler.ok());
  SamplingResult s = (*sampler)->Sample(assign, torch::rand({8, 4}), torch::rand({1, 4}), torch::Tensor());
  EXPECT_EQ(s.pos_inds.numel(), 1);
  EXPECT_EQ(s.neg_inds.numel(), 3);  // 3 per positive
}

TEST(BboxHelpersTest, RoisAndResults) {
  const torch::Tensor a = torch::tensor({{1.f, 2.f, 3.f, 4.f}});
  const torch::Tensor b = torch::tensor({{5.f, 6.f, 7.f, 8.f}, {9.f, 10.f, 11.f, 12.f}});
  const torch::Tensor rois = Bbox2Roi({a, torch::empty({0, 4}), b});
  ExpectClose(rois, torch::tensor({{0.f, 1.f, 2.f, 3.f, 4.f}, {2.f, 5.f, 6.f, 7.f, 8.f},
                                   {2.f, 9.f, 10.f, 11.f, 12.f}}));
  auto back = Roi2Bbox(rois, 3);
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[1].size(0), 0);
  ExpectClose(back[2], b);
  auto result = Bbox2Result(torch::tensor({{1.f, 1.f, 2.f, 2.f, 0.9f}, {3.f, 3.f, 4.f, 4.f, 0.8f}}),
                            torch::tensor({2, 0}, torch::kInt64), 3);
  ASSERT_EQ(result.size(), 3u);
  EXPECT_EQ(result[0].size(0), 1);
  EXPECT_EQ(result[1].size(0), 0);
  EXPECT_EQ(result[1].size(1), 5);
  EXPECT_NEAR(result[2][0][4].item<float>(), 0.9, 1e-6);
}

TEST(TaskModulesRegistryTest, EveryTypeHasAFactory) {
  EXPECT_TRUE(MissingFactories(config::PriorGenerator::descriptor(), PriorGeneratorRegistry::Global()).empty());
  EXPECT_TRUE(MissingFactories(config::BBoxCoder::descriptor(), BBoxCoderRegistry::Global()).empty());
  EXPECT_TRUE(MissingFactories(config::Assigner::descriptor(), AssignerRegistry::Global()).empty());
  EXPECT_TRUE(MissingFactories(config::Sampler::descriptor(), BBoxSamplerRegistry::Global()).empty());
}

}  // namespace
}  // namespace mmdet::models
