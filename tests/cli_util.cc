#include "tests/cli_util.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "mmdet/core/file_io.h"

namespace mmdet::testing {
namespace {

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::string ShellQuote(const std::string& word) {
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

}  // namespace

CliResult RunCli(const std::string& binary, const std::vector<std::string>& args) {
  static int counter = 0;
  const std::string out_path = TempDir() + "/cli_out_" + std::to_string(counter);
  const std::string err_path = TempDir() + "/cli_err_" + std::to_string(counter++);
  std::string command = ShellQuote(binary);
  for (const std::string& arg : args) command += " " + ShellQuote(arg);
  command += " >" + ShellQuote(out_path) + " 2>" + ShellQuote(err_path) + " </dev/null";
  int status = std::system(command.c_str());
  CliResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = ReadFile(out_path).value_or("");
  result.err = ReadFile(err_path).value_or("");
  return result;
}

CliResult MakeTinyShapes(const std::string& dir, int num_train, int num_val) {
  return RunCli("tools/make_shapes_dataset",
                {"-o", dir, "--num_train=" + std::to_string(num_train),
                 "--num_val=" + std::to_string(num_val), "--min_size=64", "--max_size=96"});
}

CliResult TrainOneEpoch(const std::string& config, const std::string& work_dir,
                        const std::string& data_root) {
  return RunCli("tools/train", {config, "--work-dir", work_dir, "--seed", "0", "--no-validate",
                                "--options", "total_epochs=1", "--cfg-options",
                                "data.train.coco_dataset.data_root=" + data_root,
                                "data.workers_per_gpu=1"});
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string WriteTempFile(const std::string& name, const std::string& contents) {
  const std::string path = TempDir() + "/" + name;
  if (!WriteFileAtomically(path, contents).ok()) std::abort();
  return path;
}

}  // namespace mmdet::testing
