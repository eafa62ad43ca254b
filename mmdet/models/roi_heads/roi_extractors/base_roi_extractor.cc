#include "mmdet/models/roi_heads/roi_extractors/base_roi_extractor.h"

namespace mmdet::models {

absl::StatusOr<std::shared_ptr<RoIExtractorImpl>> BuildRoIExtractor(const config::RoIExtractor& cfg,
                                                                    const std::string& path) {
  return BuildFromConfig(RoIExtractorRegistry::Global(), cfg, path);
}

}  // namespace mmdet::models
