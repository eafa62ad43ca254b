// Shared start-up of every mmdet-cpp tool: flags, logging, error reporting and exit codes.
//
//   int main(int argc, char** argv) {
//     std::vector<std::string> args = mmdet::tools::InitTool(
//         {.usage = "print_config CONFIG [--options KEY=VALUE ...]", .takes_config = true},
//         argc, argv);
//     return mmdet::tools::RunTool(&Run, args);
//   }
//
// InitTool accepts MMDetection's spellings of every flag: v1.2's `--work_dir`, v2.0's
// `--work-dir`, `--flag value` and `--flag=value`; `--cfg-options` is `--options`, and
// `--options` takes several KEY=VALUE words as MMDetection's does. An unknown flag or a bad
// value prints one line and exits 2 (Abseil alone would exit 1); `--help` prints the usage
// and this tool's flags to stdout and exits 0.
//
// RunTool runs the tool's body and turns its Status into one stderr line
// ("<tool>: error: <message>") and an exit code: 0 OK, 2 user input (see
// mmdet/core/status.h), 1 internal. A stray exception is caught and reported as internal.
// stdout is left to data; logs (glog, to stderr) are controlled by --verbose / --log_dir.
#ifndef MMDET_TOOLS_TOOL_MAIN_H_
#define MMDET_TOOLS_TOOL_MAIN_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mmdet::tools {

struct ToolSpec {
  // First line of --help, e.g. "print_config CONFIG [--options KEY=VALUE ...]".
  std::string usage;
  // Accept --options/--cfg-options (the tool reads a config).
  bool takes_config = false;
  // Single-dash short names, e.g. {{"o", "out_dir"}} for convert_voc's -o.
  std::vector<std::pair<std::string, std::string>> short_flags;
  // MMDetection v2's test.py / eval_metric.py: --options (and --eval-options) are KEY=VALUE
  // evaluation arguments (EvalOptions()), and only --cfg-options overrides the config.
  bool eval_options = false;
  // Flags that take several words, as argparse's nargs='+' (`--types bbox segm`): the words
  // up to the next flag become one comma-separated value (`--types=bbox,segm`).
  std::vector<std::string> list_flags;
};

// What NormalizeArgs makes of a command line.
struct NormalizedArgs {
  // argv for absl::ParseCommandLine: argv[0], flags as --name[=value], positionals.
  std::vector<std::string> argv;
  // KEY=VALUE words given to --options / --cfg-options, in order.
  std::vector<std::string> options;
  // With ToolSpec::eval_options: the words of --options / --eval-options.
  std::vector<std::string> eval_options;
  // --help / -h was given.
  bool help = false;
};

// Rewrites MMDetection spellings into Abseil's and validates every flag against the flags
// linked into this binary. InvalidArgument names the offending argument.
absl::StatusOr<NormalizedArgs> NormalizeArgs(const ToolSpec& spec,
                                             const std::vector<std::string>& argv);

// Parses flags (exits 2 on a bad one, 0 after --help), starts logging, and returns the
// positional arguments (without argv[0]). Under `bazel run` it first changes to the
// directory bazel was run from, so relative paths work as typed.
std::vector<std::string> InitTool(const ToolSpec& spec, int argc, char** argv);

// Code that needs the parsed flags before the tool body runs (tools:threads sets the thread
// counts from --threads) registers here from a static initializer; InitTool calls the hooks
// in registration order after logging starts. Returns true, for `static bool x = ...`.
bool AddStartupHook(void (*hook)());

// The --options overrides InitTool collected.
const std::vector<std::string>& ConfigOverrides();
// With ToolSpec::eval_options: the --options / --eval-options KEY=VALUE words.
const std::vector<std::string>& EvalOptions();

// Runs `run(args)` and returns the process exit code, printing one line for an error.
int RunTool(absl::Status (*run)(const std::vector<std::string>&),
            const std::vector<std::string>& args);

}  // namespace mmdet::tools

#endif  // MMDET_TOOLS_TOOL_MAIN_H_
