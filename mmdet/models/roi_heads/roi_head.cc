#include "mmdet/models/roi_heads/roi_head.h"

namespace mmdet::models {

absl::StatusOr<std::shared_ptr<RoIHeadImpl>> BuildRoIHead(const config::RoIHead& cfg,
                                                          const std::string& path) {
  return BuildFromConfig(RoIHeadRegistry::Global(), cfg, path);
}

}  // namespace mmdet::models
