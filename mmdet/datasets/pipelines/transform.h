// Pipeline transforms: one class per MMDetection transform, built from config through
// TransformRegistry, and Pipeline (MMDetection's Compose).
//
//   MMDET_ASSIGN_OR_RETURN(Pipeline pipeline, BuildPipeline(cfg.pipeline(), "data.train.pipeline"));
//   MMDET_ASSIGN_OR_RETURN(std::vector<Results> out, pipeline.Run(std::move(results), rng));
//
// A transform may drop a sample (RandomCrop left with no box, MinIoURandomCrop...), as
// MMDetection's return None: Run then returns an empty vector and the dataset draws another
// image. MultiScaleFlipAug turns one sample into several.
#ifndef MMDET_DATASETS_PIPELINES_TRANSFORM_H_
#define MMDET_DATASETS_PIPELINES_TRANSFORM_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/repeated_field.h"
#include "mmdet/core/registry.h"
#include "mmdet/datasets/pipelines/results.h"
#include "mmdet/datasets/pipelines/transform.pb.h"

namespace mmdet::datasets {

class Transform {
 public:
  virtual ~Transform() = default;
  // Transforms `results` in place. Setting *keep = false drops the sample.
  virtual absl::Status Apply(Results& results, Rng& rng, bool* keep) const = 0;
  // Transforms a list of samples; the default applies Apply to each and removes dropped ones.
  virtual absl::Status ApplyAll(std::vector<Results>& samples, Rng& rng) const;
  virtual std::string name() const = 0;
};

using TransformRegistry = Registry<Transform, const std::string&>;

class Pipeline {
 public:
  Pipeline() = default;
  explicit Pipeline(std::vector<std::shared_ptr<const Transform>> transforms)
      : transforms_(std::move(transforms)) {}

  // The samples the pipeline yields for `results` (none if a transform dropped it). Errors
  // name the transform: "LoadImageFromFile: cannot read image data/x.jpg".
  absl::StatusOr<std::vector<Results>> Run(Results results, Rng& rng) const;
  absl::Status RunAll(std::vector<Results>& samples, Rng& rng) const;
  bool empty() const { return transforms_.empty(); }
  const std::vector<std::shared_ptr<const Transform>>& transforms() const { return transforms_; }

 private:
  std::vector<std::shared_ptr<const Transform>> transforms_;
};

// Builds a pipeline; config errors name `path` and the index ("data.train.pipeline[3].resize:").
absl::StatusOr<Pipeline> BuildPipeline(
    const google::protobuf::RepeatedPtrField<config::Transform>& config, const std::string& path);

}  // namespace mmdet::datasets

#endif  // MMDET_DATASETS_PIPELINES_TRANSFORM_H_
