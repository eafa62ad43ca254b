#include "mmdet/models/necks/neck.h"

namespace mmdet::models {

absl::StatusOr<std::shared_ptr<NeckImpl>> BuildNeck(const config::Neck& config,
                                                    const std::string& path) {
  return BuildFromConfig(NeckRegistry::Global(), config, path);
}

}  // namespace mmdet::models
