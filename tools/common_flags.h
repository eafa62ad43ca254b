// Flags shared by the tools that read a config, declared once here and defined in
// common_flags.cc, plus the helper that loads the config they name.
#ifndef MMDET_TOOLS_COMMON_FLAGS_H_
#define MMDET_TOOLS_COMMON_FLAGS_H_

#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "mmdet/config/config.pb.h"

// The config file; MMDetection's positional CONFIG works too.
ABSL_DECLARE_FLAG(std::string, config);

namespace mmdet::tools {

// Loads the config named by --config, else by the first positional argument (which is
// then removed from `args`), with the --options overrides applied. InvalidArgument when no
// config is given.
absl::StatusOr<config::Config> LoadToolConfig(std::vector<std::string>* args);

// InvalidArgument naming the first of `args` when any is left over.
absl::Status NoExtraArgs(const std::vector<std::string>& args);

}  // namespace mmdet::tools

#endif  // MMDET_TOOLS_COMMON_FLAGS_H_
