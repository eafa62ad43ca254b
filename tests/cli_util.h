// Runs a tool binary from the test's runfiles and captures what it printed.
#ifndef MMDET_TESTS_CLI_UTIL_H_
#define MMDET_TESTS_CLI_UTIL_H_

#include <string>
#include <vector>

namespace mmdet::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `binary` (a runfiles-relative path such as "tools/print_config") with `args`, each
// passed as one word.
CliResult RunCli(const std::string& binary, const std::vector<std::string>& args);

// A fresh path under $TEST_TMPDIR for `name`, with `contents` written to it.
std::string WriteTempFile(const std::string& name, const std::string& contents);

}  // namespace mmdet::testing

#endif  // MMDET_TESTS_CLI_UTIL_H_
