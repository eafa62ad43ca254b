// Corrupt: imagecorruptions' corruption of results.img (MMDetection's Corrupt transform). Its
// generator comes from (the config's seed, the image's file name, corruption, severity), so a
// test_robustness run is reproducible with --seed, does not depend on how the images are split
// over processes, and tools:corrupt can recompute any image's corruption.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/datasets/corruptions/corruptions.h"
#include "mmdet/datasets/pipelines/image_util.h"
#include "mmdet/datasets/pipelines/transform.h"

namespace mmdet::datasets {
namespace {

class CorruptTransform : public Transform {
 public:
  CorruptTransform(std::string corruption, int severity, std::string frost_dir, uint64_t seed)
      : corruption_(std::move(corruption)), severity_(severity), seed_(seed) {
    options_.frost_dir = std::move(frost_dir);
  }
  std::string name() const override { return "Corrupt"; }

  absl::Status Apply(Results& r, Rng&, bool*) const override {
    cv::Mat img = r.img;
    if (img.depth() != CV_8U) img.convertTo(img, CV_MAKETYPE(CV_8U, img.channels()));  // astype(uint8)
    CorruptionRng crng =
        MakeCorruptionRng(seed_, CorruptionImageKey(r.img_info.filename), corruption_, severity_);
    auto out = Corrupt(img, corruption_, severity_, crng, options_);
    if (!out.ok()) return absl::Status(out.status().code(), absl::StrCat(r.meta.filename, ": ", out.status().message()));
    r.img = *std::move(out);
    r.meta.img_shape = ShapeOf(r.img);
    return absl::OkStatus();
  }

 private:
  std::string corruption_;
  int severity_;
  uint64_t seed_;
  CorruptOptions options_;
};

absl::StatusOr<std::shared_ptr<Transform>> MakeCorrupt(const config::Corrupt& cfg,
                                                       const std::string& path) {
  MMDET_RETURN_IF_ERROR(ResolveCorruptions({cfg.corruption()}).status());
  if (cfg.severity() < 0 || cfg.severity() > 5) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".severity: ", cfg.severity(), " (expected 0 to 5)"));
  }
  return std::make_shared<CorruptTransform>(cfg.corruption(), cfg.severity(), cfg.frost_dir(),
                                            cfg.seed());
}
MMDET_REGISTER(TransformRegistry, config::Corrupt, MakeCorrupt);

}  // namespace
}  // namespace mmdet::datasets
