#include "mmdet/models/task_modules/coders/bbox_coder.h"

namespace mmdet::models {

absl::StatusOr<std::shared_ptr<BBoxCoder>> BuildBBoxCoder(const config::BBoxCoder& cfg,
                                                          const std::string& path) {
  return BuildFromConfig(BBoxCoderRegistry::Global(), cfg, path);
}

}  // namespace mmdet::models
