#include "mmdet/models/dense_heads/dense_head.h"

namespace mmdet::models {

absl::StatusOr<std::shared_ptr<DenseHeadImpl>> BuildDenseHead(const config::DenseHead& cfg,
                                                              const std::string& path) {
  return BuildFromConfig(DenseHeadRegistry::Global(), cfg, path);
}

}  // namespace mmdet::models
