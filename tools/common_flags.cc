#include "tools/common_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "mmdet/config/loader.h"
#include "tools/tool_main.h"

ABSL_FLAG(std::string, config, "", "Config file (.pbtxt); or give it as the first argument.");

namespace mmdet::tools {

absl::StatusOr<config::Config> LoadToolConfig(std::vector<std::string>* args) {
  std::string path = absl::GetFlag(FLAGS_config);
  if (path.empty()) {
    if (args->empty()) {
      return absl::InvalidArgumentError("no config given: pass CONFIG or --config=FILE");
    }
    path = args->front();
    args->erase(args->begin());
  }
  return LoadConfig(path, ConfigOverrides());
}

absl::Status NoExtraArgs(const std::vector<std::string>& args) {
  if (args.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", args.front(), "'"));
}

}  // namespace mmdet::tools
