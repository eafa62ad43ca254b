// Each third_party target compiles, links and runs: a LibTorch tensor op, an OpenCV
// encode/decode round trip, glog, and a protobuf message.
#include <vector>

#include <ATen/ATen.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <torch/torch.h>

#include "glog/logging.h"
#include "gtest/gtest.h"
#include "google/protobuf/timestamp.pb.h"

namespace {

TEST(ThirdPartySmokeTest, LibTorch) {
  at::Tensor a = at::arange(6, at::kFloat).reshape({2, 3});
  EXPECT_FLOAT_EQ(at::matmul(a, a.t()).sum().item<float>(), 5 + 14 + 14 + 50);
  torch::nn::Linear linear(3, 2);
  EXPECT_EQ(linear->forward(a).sizes(), (std::vector<int64_t>{2, 2}));
}

TEST(ThirdPartySmokeTest, OpenCv) {
  cv::Mat image(4, 5, CV_8UC3, cv::Scalar(10, 20, 30));
  std::vector<uchar> png;
  ASSERT_TRUE(cv::imencode(".png", image, png));
  cv::Mat decoded = cv::imdecode(png, cv::IMREAD_COLOR);
  ASSERT_EQ(decoded.rows, 4);
  EXPECT_EQ(decoded.at<cv::Vec3b>(1, 1)[2], 30);
}

TEST(ThirdPartySmokeTest, GlogAndProtobuf) {
  LOG(INFO) << "glog works";
  google::protobuf::Timestamp stamp;
  stamp.set_seconds(3);
  EXPECT_EQ(stamp.ByteSizeLong(), 2u);
}

}  // namespace
