#include "tools/tool_main.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "mmdet/core/status.h"

// glog's own (gflags) flags of the same names are set from these in logging_init.cc; this
// file must not include glog, whose FLAGS_log_dir would clash with ours at compile time.
ABSL_FLAG(int, verbose, 0, "Verbose logging level (glog's -v).");
ABSL_FLAG(std::string, log_dir, "", "Also write logs to files in this folder.");

namespace mmdet::tools {

// Defined in logging_init.cc.
void InitLogging(const char* program, int verbose, const std::string& log_dir);

namespace {

std::string& ToolName() {
  static std::string* name = new std::string("mmdet");
  return *name;
}

std::vector<std::string>& Overrides() {
  static auto* overrides = new std::vector<std::string>;
  return *overrides;
}

std::vector<std::string>& EvalOptionWords() {
  static auto* words = new std::vector<std::string>;
  return *words;
}

std::vector<void (*)()>& StartupHooks() {
  static auto* hooks = new std::vector<void (*)()>;
  return *hooks;
}

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool IsBool(const absl::CommandLineFlag& flag) { return flag.IsOfType<bool>(); }

void PrintHelp(const ToolSpec& spec) {
  std::cout << "usage: " << spec.usage << "\n\nflags:\n";
  if (spec.takes_config) {
    std::cout << "  --options KEY=VALUE ... (also --cfg-options)\n"
              << "      Override config fields, e.g. --options total_epochs=24 "
                 "model.backbone.depth=101\n";
  }
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (!absl::StrContains(flag->Filename(), "tools/")) continue;
    std::cout << "  --" << name;
    if (!IsBool(*flag)) std::cout << "=VALUE";
    std::cout << " (default: \"" << flag->DefaultValue() << "\")\n      " << flag->Help()
              << "\n";
  }
  std::cout << "\nFlag names accept '-' for '_' (--work-dir = --work_dir).\n";
}

}  // namespace

absl::StatusOr<NormalizedArgs> NormalizeArgs(const ToolSpec& spec,
                                             const std::vector<std::string>& argv) {
  NormalizedArgs out;
  if (argv.empty()) return out;
  out.argv.push_back(argv[0]);
  bool in_options = false;  // words after --options are KEY=VALUE overrides
  bool in_eval_options = false;  // ... or evaluation arguments (ToolSpec::eval_options)
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg == "--") {
      out.argv.insert(out.argv.end(), argv.begin() + i, argv.end());
      break;
    }
    const bool is_flag = arg.size() > 1 && arg[0] == '-' &&
                         !(arg[1] >= '0' && arg[1] <= '9') && arg[1] != '.';
    if (!is_flag) {
      if (in_eval_options) {
        out.eval_options.push_back(arg);
      } else if (in_options) {
        out.options.push_back(arg);
      } else {
        out.argv.push_back(arg);
      }
      continue;
    }
    in_options = false;
    in_eval_options = false;
    absl::string_view body = arg;
    const bool long_form = absl::ConsumePrefix(&body, "--");
    if (!long_form) absl::ConsumePrefix(&body, "-");
    const size_t eq = body.find('=');
    std::string name(body.substr(0, eq));
    const bool has_value = eq != absl::string_view::npos;
    std::string value = has_value ? std::string(body.substr(eq + 1)) : "";
    if (!long_form) {
      for (const auto& [short_name, long_name] : spec.short_flags) {
        if (name == short_name) name = long_name;
      }
    }
    name = absl::StrReplaceAll(name, {{"-", "_"}});

    if (name == "help" || name == "h") {
      out.help = true;
      continue;
    }
    if (spec.eval_options && (name == "options" || name == "eval_options")) {
      if (has_value) out.eval_options.push_back(value);
      in_eval_options = true;
      continue;
    }
    if (spec.takes_config && (name == "options" || name == "cfg_options")) {
      if (has_value) out.options.push_back(value);
      in_options = true;
      continue;
    }
    if (name == "helpfull" || name == "helpshort" || name == "version") {
      out.argv.push_back("--" + name);
      continue;
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr && absl::StartsWith(name, "no")) {
      absl::CommandLineFlag* positive = absl::FindCommandLineFlag(name.substr(2));
      if (positive != nullptr && IsBool(*positive) && !has_value) {
        out.argv.push_back("--" + name);
        continue;
      }
    }
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag '", arg, "'"));
    }
    if (!has_value && !IsBool(*flag)) {
      if (i + 1 >= argv.size()) {
        return absl::InvalidArgumentError(absl::StrCat("flag '--", name, "' needs a value"));
      }
      value = argv[++i];
      if (std::find(spec.list_flags.begin(), spec.list_flags.end(), name) !=
          spec.list_flags.end()) {
        while (i + 1 < argv.size() && !(argv[i + 1].size() > 1 && argv[i + 1][0] == '-' &&
                                         !(argv[i + 1][1] >= '0' && argv[i + 1][1] <= '9'))) {
          absl::StrAppend(&value, ",", argv[++i]);
        }
      }
    }
    if (has_value || !IsBool(*flag)) {
      std::string error;
      if (!flag->ParseFrom(value, &error)) {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid value '", value, "' for flag '--", name, "': ", error));
      }
      out.argv.push_back(absl::StrCat("--", name, "=", value));
    } else {
      out.argv.push_back("--" + name);
    }
  }
  return out;
}

std::vector<std::string> InitTool(const ToolSpec& spec, int argc, char** argv) {
  ToolName() = Basename(argc > 0 ? argv[0] : "mmdet");
  // Under `bazel run` the tool starts in its runfiles tree; relative paths on the command
  // line mean the user's directory.
  if (const char* cwd = std::getenv("BUILD_WORKING_DIRECTORY")) {
    if (::chdir(cwd) != 0) {
      std::fprintf(stderr, "%s: error: cannot enter %s\n", ToolName().c_str(), cwd);
      std::exit(2);
    }
  }
  absl::SetProgramUsageMessage(spec.usage);
  absl::StatusOr<NormalizedArgs> normalized =
      NormalizeArgs(spec, std::vector<std::string>(argv, argv + argc));
  if (!normalized.ok()) {
    std::fprintf(stderr, "%s: error: %s (see --help)\n", ToolName().c_str(),
                 std::string(normalized.status().message()).c_str());
    std::exit(2);
  }
  if (normalized->help) {
    PrintHelp(spec);
    std::exit(0);
  }
  Overrides() = normalized->options;
  EvalOptionWords() = normalized->eval_options;

  std::vector<char*> c_argv;
  for (std::string& arg : normalized->argv) c_argv.push_back(arg.data());
  std::vector<char*> parsed =
      absl::ParseCommandLine(static_cast<int>(c_argv.size()), c_argv.data());

  InitLogging(ToolName().c_str(), absl::GetFlag(FLAGS_verbose), absl::GetFlag(FLAGS_log_dir));
  for (void (*hook)() : StartupHooks()) hook();

  return std::vector<std::string>(parsed.begin() + 1, parsed.end());
}

bool AddStartupHook(void (*hook)()) {
  StartupHooks().push_back(hook);
  return true;
}

const std::vector<std::string>& ConfigOverrides() { return Overrides(); }
const std::vector<std::string>& EvalOptions() { return EvalOptionWords(); }

int RunTool(absl::Status (*run)(const std::vector<std::string>&),
            const std::vector<std::string>& args) {
  absl::Status status;
  try {
    status = run(args);
  } catch (const std::exception& e) {
    status = absl::InternalError(absl::StrCat("unexpected exception: ", e.what()));
  } catch (...) {
    status = absl::InternalError("unexpected exception");
  }
  std::fflush(stdout);
  if (status.ok()) return 0;
  std::fprintf(stderr, "%s: error: %s\n", ToolName().c_str(),
               std::string(status.message()).c_str());
  return ExitCodeForStatus(status);
}

}  // namespace mmdet::tools
