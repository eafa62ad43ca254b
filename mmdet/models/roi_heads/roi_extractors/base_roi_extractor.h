// The RoI-extractor interface and registry (MMDetection v2's BaseRoIExtractor): RoIs in, one
// pooled feature map per RoI out. A new extractor subclasses RoIExtractorImpl, adds a message
// to roi_extractor.proto's oneof (or comes through `custom`) and registers its factory:
//
//   MMDET_REGISTER(RoIExtractorRegistry, config::MyExtractor, MyExtractorFromConfig);
//
// An extractor is a child module of its RoI head ("roi_head.bbox_roi_extractor"), so any
// parameters it has are in the state_dict under MMDetection's names.
#ifndef MMDET_MODELS_ROI_HEADS_ROI_EXTRACTORS_BASE_ROI_EXTRACTOR_H_
#define MMDET_MODELS_ROI_HEADS_ROI_EXTRACTORS_BASE_ROI_EXTRACTOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/core/registry.h"
#include "mmdet/models/roi_heads/roi_extractors/roi_extractor.pb.h"
#include "torch/nn/module.h"

namespace mmdet::models {

class RoIExtractorImpl : public torch::nn::Module {
 public:
  // feats: the neck's levels; rois [K, 5] (image index, x1, y1, x2, y2) in the input frame.
  // Returns [K, C, out_size, out_size].
  virtual torch::Tensor forward(const std::vector<torch::Tensor>& feats,
                                const torch::Tensor& rois) = 0;
  // Side of the pooled maps.
  virtual int64_t out_size() const = 0;
};

// Factories take the config member's path ("...bbox_roi_extractor.single_roi_extractor").
using RoIExtractorRegistry = Registry<RoIExtractorImpl, const std::string&>;
absl::StatusOr<std::shared_ptr<RoIExtractorImpl>> BuildRoIExtractor(const config::RoIExtractor& cfg,
                                                                    const std::string& path);

}  // namespace mmdet::models

#endif  // MMDET_MODELS_ROI_HEADS_ROI_EXTRACTORS_BASE_ROI_EXTRACTOR_H_
