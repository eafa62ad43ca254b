// voc_eval and eval_metric --eval mAP / recall on a tiny VOC2007 devkit and a results.pkl
// written with our own writer: VOC2007's 11-point AP, difficult boxes ignored, the table.
#include <cstdlib>
#include <string>

#include <ATen/ATen.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mmdet/core/file_io.h"
#include "mmdet/evaluation/results.h"
#include "tests/cli_util.h"

namespace mmdet {
namespace {

using ::mmdet::testing::RunCli;
using ::testing::HasSubstr;

std::string Dir() { return std::getenv("TEST_TMPDIR"); }

void Write(const std::string& path, const std::string& text) {
  ASSERT_TRUE(MakeDirs(Dirname(path)).ok());
  ASSERT_TRUE(WriteFileAtomically(path, text).ok());
}

std::string Object(const std::string& name, int difficult, int x1, int y1, int x2, int y2) {
  return "<object><name>" + name + "</name><difficult>" + std::to_string(difficult) +
         "</difficult><bndbox><xmin>" + std::to_string(x1) + "</xmin><ymin>" + std::to_string(y1) +
         "</ymin><xmax>" + std::to_string(x2) + "</xmax><ymax>" + std::to_string(y2) +
         "</ymax></bndbox></object>";
}

// Image 000001: a cat [11, 21, 110, 120] (VOC's 1-based pixels) and a difficult dog; image
// 000002: nothing. Results: the cat found exactly (0-based: [10, 20, 109, 119]), a false
// positive cat in image 2 scoring lower, and the difficult dog (ignored).
std::string MakeSet() {
  const std::string root = Dir() + "/devkit/VOC2007/";
  Write(root + "Annotations/000001.xml",
        "<annotation><size><width>200</width><height>200</height><depth>3</depth></size>" +
            Object("cat", 0, 11, 21, 110, 120) + Object("dog", 1, 50, 50, 90, 90) +
            "</annotation>");
  Write(root + "Annotations/000002.xml",
        "<annotation><size><width>200</width><height>200</height><depth>3</depth></size>"
        "</annotation>");
  Write(root + "ImageSets/Main/test.txt", "000001\n000002\n");
  evaluation::DetectionResults r;
  r.kind = evaluation::DetectionResults::kBoxes;
  const int cat = 7, dog = 11;  // VOC class indices
  for (int i = 0; i < 2; ++i) {
    std::vector<at::Tensor> per_class(20, at::zeros({0, 5}));
    if (i == 0) {
      per_class[cat] = at::tensor({10.f, 20.f, 109.f, 119.f, 0.9f}).reshape({1, 5});
      per_class[dog] = at::tensor({49.f, 49.f, 89.f, 89.f, 0.8f}).reshape({1, 5});
    } else {
      per_class[cat] = at::tensor({0.f, 0.f, 30.f, 30.f, 0.5f}).reshape({1, 5});
    }
    r.bboxes.push_back(per_class);
  }
  EXPECT_TRUE(evaluation::SaveResultsPickle(Dir() + "/results.pkl", r).ok());
  Write(Dir() + "/voc.pbtxt", "data { test { voc_dataset { ann_file: "
                              "'VOC2007/ImageSets/Main/test.txt' img_prefix: 'VOC2007/' "
                              "data_root: '" + Dir() + "/devkit' } } }\n");
  return Dir() + "/voc.pbtxt";
}

TEST(VocEvalCliTest, TableAndMetrics) {
  const std::string cfg = MakeSet();
  auto table = RunCli("tools/voc_eval", {Dir() + "/results.pkl", cfg});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  // cat: 1 gt, 2 dets, recall 1; AP 1 (the false positive comes after the match).
  EXPECT_THAT(table.out, HasSubstr("| cat         | 1   | 2    | 1.000  | 1.000 |"));
  // dog: its only box is difficult: no gt counted, the detection on it ignored.
  EXPECT_THAT(table.out, HasSubstr("| dog         | 0   | 1    | 0.000  | 0.000 |"));
  EXPECT_THAT(table.out, HasSubstr("| mAP         |     |      |        | 1.000 |"));
  auto metrics = RunCli("tools/eval_metric", {cfg, Dir() + "/results.pkl", "--eval", "mAP",
                                              "recall", "--options", "iou_thr=[0.5,0.9]",
                                              "proposal_nums=1,2"});
  ASSERT_EQ(metrics.exit_code, 0) << metrics.err;
  EXPECT_THAT(metrics.out, HasSubstr("\"mAP\": 1.0,"));
  EXPECT_THAT(metrics.out, HasSubstr("\"recall@1@0.5\": 1.0,"));
  EXPECT_THAT(metrics.out, HasSubstr("\"AR@2\": 1.0}"));
  // scale_ranges: the cat (99 x 99 px) is in (32, 1e5), nothing in (0, 32).
  auto scales = RunCli("tools/eval_metric", {cfg, Dir() + "/results.pkl", "--eval", "mAP",
                                             "--options", "scale_ranges=[(0,32),(32,1e5)]"});
  ASSERT_EQ(scales.exit_code, 0) << scales.err;
  EXPECT_THAT(scales.out, HasSubstr("\"mAP@0-32\": 0.0, \"mAP@32-100000\": 1.0}"));
  auto coco_metric = RunCli("tools/eval_metric", {cfg, Dir() + "/results.pkl", "--eval", "bbox"});
  EXPECT_EQ(coco_metric.exit_code, 2);
  EXPECT_THAT(coco_metric.err, HasSubstr("allowed: mAP, recall"));
}

}  // namespace
}  // namespace mmdet
