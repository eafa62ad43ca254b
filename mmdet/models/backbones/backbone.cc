#include "mmdet/models/backbones/backbone.h"

namespace mmdet::models {

absl::StatusOr<std::shared_ptr<BackboneImpl>> BuildBackbone(const config::Backbone& config,
                                                            const std::string& path) {
  return BuildFromConfig(BackboneRegistry::Global(), config, path);
}

}  // namespace mmdet::models
