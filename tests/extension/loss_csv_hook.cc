// LossCsvHook: after every training iteration, appends "epoch,iter,loss" to a CSV file
// (1-based epoch, global iteration), as a user's hook written outside mmdet.
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/registry.h"
#include "mmdet/runner/hooks/standard_hooks.h"
#include "tests/extension/loss_csv_hook.pb.h"

namespace mmdet_ext {

class LossCsvHookImpl : public mmdet::runner::Hook {
 public:
  explicit LossCsvHookImpl(std::string path) : path_(std::move(path)) {}

  absl::Status AfterTrainIter(mmdet::runner::Runner& runner) override {
    if (runner.rank() != 0) return absl::OkStatus();
    const double loss = runner.outputs().losses.loss.item<double>();
    std::ofstream out(mmdet::JoinPath(runner.work_dir(), path_), std::ios::app);
    out << runner.epoch() + 1 << "," << runner.iter() + 1 << "," << loss << "\n";
    if (!out) return absl::InternalError(path_ + ": cannot write");
    return absl::OkStatus();
  }

 private:
  std::string path_;
};

absl::StatusOr<std::shared_ptr<mmdet::runner::Hook>> LossCsvHookFromConfig(
    const LossCsvHook& cfg, const std::string& path) {
  if (cfg.path().empty()) return absl::InvalidArgumentError(path + ".path: required");
  return std::shared_ptr<mmdet::runner::Hook>(std::make_shared<LossCsvHookImpl>(cfg.path()));
}

}  // namespace mmdet_ext

MMDET_REGISTER(mmdet::runner::HookRegistry, mmdet_ext::LossCsvHook,
               mmdet_ext::LossCsvHookFromConfig);
