#include "mmdet/models/roi_heads/mask_heads/mask_head.h"

namespace mmdet::models {

absl::StatusOr<std::shared_ptr<MaskHeadImpl>> BuildMaskHead(const config::MaskHead& cfg,
                                                            const std::string& path) {
  return BuildFromConfig(MaskHeadRegistry::Global(), cfg, path);
}

}  // namespace mmdet::models
