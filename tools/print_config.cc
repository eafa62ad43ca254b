// Prints a config after _base_ inheritance and --options overrides (MMDetection's
// tools/print_config.py). The output is itself a valid config: stdout carries only it.
#include <iostream>
#include <string>
#include <vector>

#include "mmdet/config/loader.h"
#include "mmdet/core/status_macros.h"
#include "tools/common_flags.h"
#include "tools/tool_main.h"

namespace mmdet::tools {

absl::Status Run(const std::vector<std::string>& positional) {
  std::vector<std::string> args = positional;
  MMDET_ASSIGN_OR_RETURN(config::Config cfg, LoadToolConfig(&args));
  MMDET_RETURN_IF_ERROR(NoExtraArgs(args));
  std::cout << ConfigToText(cfg);
  return absl::OkStatus();
}

}  // namespace mmdet::tools

int main(int argc, char** argv) {
  std::vector<std::string> args = mmdet::tools::InitTool(
      {.usage = "print_config CONFIG [--options KEY=VALUE ...]", .takes_config = true}, argc,
      argv);
  return mmdet::tools::RunTool(&mmdet::tools::Run, args);
}
