// MultiScaleFlipAug: one sample per (scale, flip, direction), each through `transforms`.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/datasets/pipelines/transform.h"

namespace mmdet::datasets {
namespace {

class MultiScaleFlipAug : public Transform {
 public:
  MultiScaleFlipAug(std::vector<std::array<int, 2>> scales, std::vector<std::string> directions,
                    Pipeline transforms)
      : scales_(std::move(scales)),
        directions_(std::move(directions)),
        transforms_(std::move(transforms)) {}
  std::string name() const override { return "MultiScaleFlipAug"; }

  absl::Status Apply(Results&, Rng&, bool*) const override {
    return absl::InternalError("MultiScaleFlipAug runs through ApplyAll");
  }

  absl::Status ApplyAll(std::vector<Results>& samples, Rng& rng) const override {
    std::vector<Results> out;
    for (const Results& results : samples) {
      for (const auto& scale : scales_) {
        // (flip, direction): no flip, then one per direction when flipping.
        std::vector<std::pair<bool, std::string>> flips = {{false, ""}};
        for (const std::string& d : directions_) flips.push_back({true, d});
        for (const auto& [flip, direction] : flips) {
          std::vector<Results> one(1, results);
          one[0].scale = scale;
          one[0].flip = flip;
          one[0].meta.flip_direction = direction;
          MMDET_RETURN_IF_ERROR(transforms_.RunAll(one, rng));
          for (Results& r : one) out.push_back(std::move(r));
        }
      }
    }
    samples = std::move(out);
    return absl::OkStatus();
  }

 private:
  std::vector<std::array<int, 2>> scales_;
  std::vector<std::string> directions_;  // empty when flip is false
  Pipeline transforms_;
};

absl::StatusOr<std::shared_ptr<Transform>> MakeMultiScaleFlipAug(
    const config::MultiScaleFlipAug& cfg, const std::string& path) {
  std::vector<std::array<int, 2>> scales;
  for (const config::Scale& s : cfg.img_scale()) {
    if (s.w() <= 0 || s.h() <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(path, ".img_scale: w and h must be positive"));
    }
    scales.push_back({s.w(), s.h()});
  }
  if (scales.empty()) return absl::InvalidArgumentError(path + ".img_scale: empty");
  std::vector<std::string> directions;
  if (cfg.flip()) {
    directions.assign(cfg.flip_direction().begin(), cfg.flip_direction().end());
    if (directions.empty()) directions.push_back("horizontal");
    for (const std::string& d : directions) {
      if (d != "horizontal" && d != "vertical") {
        return absl::InvalidArgumentError(absl::StrCat(path, ".flip_direction: '", d,
                                                       "' (expected horizontal or vertical)"));
      }
    }
  }
  MMDET_ASSIGN_OR_RETURN(Pipeline transforms, BuildPipeline(cfg.transforms(), path + ".transforms"));
  return std::make_shared<MultiScaleFlipAug>(std::move(scales), std::move(directions),
                                             std::move(transforms));
}
MMDET_REGISTER(TransformRegistry, config::MultiScaleFlipAug, MakeMultiScaleFlipAug);

}  // namespace
}  // namespace mmdet::datasets
