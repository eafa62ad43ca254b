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

// tools/make_shapes_dataset -o dir with images of 64..96 px (the CPU-sized sets the CLI
// tests train on); the test needs //tools:make_shapes_dataset in its data.
CliResult MakeTinyShapes(const std::string& dir, int num_train, int num_val);

// tools/train CONFIG for one epoch (seed 0, no validation, one loader thread) on the shapes
// set under data_root, into work_dir (work_dir/epoch_1.pth); needs //tools:train in data.
CliResult TrainOneEpoch(const std::string& config, const std::string& work_dir,
                        const std::string& data_root);

// A TCP port on 127.0.0.1 that was free a moment ago (for c10d rendezvous in tests).
int FreePort();

// The lines of a text file (empty when it cannot be read).
std::vector<std::string> ReadLines(const std::string& path);

// A fresh path under $TEST_TMPDIR for `name`, with `contents` written to it.
std::string WriteTempFile(const std::string& name, const std::string& contents);

}  // namespace mmdet::testing

#endif  // MMDET_TESTS_CLI_UTIL_H_
