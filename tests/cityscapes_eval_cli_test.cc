// eval_metric --eval cityscapes / --format-only on a generated one-image Cityscapes layout
// (leftImg8bit + gtFine instance ids as a 16-bit PNG) and Mask R-CNN results from our writer.
#include <cstdlib>
#include <string>

#include <ATen/ATen.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mmdet/core/file_io.h"
#include "mmdet/evaluation/results.h"
#include "mmdet/ops/mask_util.h"
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

constexpr char kClasses[] = R"([{"id": 1, "name": "person"}, {"id": 2, "name": "rider"},
  {"id": 3, "name": "car"}, {"id": 4, "name": "truck"}, {"id": 5, "name": "bus"},
  {"id": 6, "name": "train"}, {"id": 7, "name": "motorcycle"}, {"id": 8, "name": "bicycle"}])";

// A 32 x 48 image with one car 26001 (rows 4-19, cols 4-19) on road (7); results: the car's
// mask exactly (score 0.9) and a car on road (0.3), a false positive scoring below it.
std::string MakeSet() {
  const std::string root = Dir() + "/cityscapes/";
  cv::Mat ids(32, 48, CV_16UC1, cv::Scalar(7));
  ids(cv::Rect(4, 4, 16, 16)).setTo(26001);
  EXPECT_TRUE(MakeDirs(root + "gtFine/val/city").ok());
  EXPECT_TRUE(cv::imwrite(root + "gtFine/val/city/city_000000_000001_gtFine_instanceIds.png", ids));
  Write(root + "annotations/val.json",
        std::string(R"({"images": [{"id": 1, "file_name": "city/city_000000_000001_leftImg8bit.png",
          "width": 48, "height": 32}], "annotations": [], "categories": )") +
            kClasses + "}");
  evaluation::DetectionResults r;
  r.kind = evaluation::DetectionResults::kMasks;
  std::vector<at::Tensor> boxes(8, at::zeros({0, 5}));
  std::vector<std::vector<ops::Rle>> masks(8);
  at::Tensor car = at::zeros({32, 48}, at::kByte);
  car.narrow(0, 4, 16).narrow(1, 4, 16).fill_(1);
  at::Tensor fp = at::zeros({32, 48}, at::kByte);
  fp.narrow(0, 20, 10).narrow(1, 30, 10).fill_(1);
  boxes[2] = at::tensor({4.f, 4.f, 20.f, 20.f, 0.9f, 30.f, 20.f, 40.f, 30.f, 0.3f}).reshape({2, 5});
  masks[2] = {ops::Encode(car), ops::Encode(fp)};
  r.bboxes.push_back(boxes);
  r.segms.push_back(masks);
  EXPECT_TRUE(evaluation::SaveResultsPickle(Dir() + "/masks.pkl", r).ok());
  Write(Dir() + "/cs.pbtxt", "data { test { cityscapes_dataset { ann_file: 'annotations/val.json' "
                             "img_prefix: 'leftImg8bit/val/' data_root: '" + root + "' } } }\n");
  return Dir() + "/cs.pbtxt";
}

TEST(CityscapesEvalCliTest, InstanceApAndFormatOnly) {
  const std::string cfg = MakeSet();
  auto r = RunCli("tools/eval_metric", {cfg, Dir() + "/masks.pkl", "--eval", "cityscapes", "segm"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("{\"mAP\": 1.0, \"AP@50\": 1.0, \"segm_mAP\": "));
  EXPECT_THAT(r.err, HasSubstr("car            :          1.000          1.000"));
  const std::string out = Dir() + "/txt";
  auto f = RunCli("tools/eval_metric", {cfg, Dir() + "/masks.pkl", "--format-only", "--options",
                                        "txtfile_prefix=" + out});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  auto txt = ReadFile(out + "/city_000000_000001_leftImg8bit_pred.txt");
  ASSERT_TRUE(txt.ok());
  EXPECT_EQ(*txt,
            "city_000000_000001_leftImg8bit_0_car.png 26 0.899999976\n"
            "city_000000_000001_leftImg8bit_1_car.png 26 0.300000012\n");
  cv::Mat png = cv::imread(out + "/city_000000_000001_leftImg8bit_0_car.png", cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(png.empty());
  EXPECT_EQ(cv::countNonZero(png), 256);
  // The metric is only for Cityscapes; a missing gt file is named.
  ASSERT_TRUE(WriteFileAtomically(Dir() + "/cityscapes/gtFine/val/city/"
                                  "city_000000_000001_gtFine_instanceIds.png", "").ok());
  auto missing = RunCli("tools/eval_metric", {cfg, Dir() + "/masks.pkl", "--eval", "cityscapes"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("gtFine_instanceIds.png"));
}

}  // namespace
}  // namespace mmdet
