#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "mmdet/core/registry.h"
#include "mmdet/datasets/pipelines/transform.h"
#include "tests/extension/tmpcheck/random_grayscale.pb.h"
#include "opencv2/imgproc.hpp"

namespace my {
namespace {

using mmdet::datasets::Results;
using mmdet::datasets::Rng;

class RandomGrayscaleTransform : public mmdet::datasets::Transform {
 public:
  explicit RandomGrayscaleTransform(double prob) : prob_(prob) {}
  std::string name() const override { return "RandomGrayscale"; }

  // Never drops the sample, so *keep is left alone.
  absl::Status Apply(Results& results, Rng& rng, bool* /*keep*/) const override {
    if (mmdet::datasets::Uniform(rng, 0, 1) >= prob_) return absl::OkStatus();
    if (results.img.channels() != 3) {
      return absl::FailedPreconditionError(
          absl::StrCat("expects a 3-channel image, got ", results.img.channels()));
    }
    cv::Mat gray;
    cv::cvtColor(results.img, gray, cv::COLOR_BGR2GRAY);
    cv::cvtColor(gray, results.img, cv::COLOR_GRAY2BGR);
    return absl::OkStatus();
  }

 private:
  double prob_;
};

absl::StatusOr<std::shared_ptr<mmdet::datasets::Transform>> RandomGrayscaleFromConfig(
    const RandomGrayscale& cfg, const std::string& path) {
  if (!(cfg.prob() >= 0 && cfg.prob() <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ".prob: expected a probability in [0, 1], got ", cfg.prob()));
  }
  return std::shared_ptr<mmdet::datasets::Transform>(
      std::make_shared<RandomGrayscaleTransform>(cfg.prob()));
}

}  // namespace

MMDET_REGISTER(mmdet::datasets::TransformRegistry, RandomGrayscale, RandomGrayscaleFromConfig);

}  // namespace my
