// A user's hook (LossCsvHook) from a config's custom_hooks, run by the runner at its
// priority, as docs/custom_hooks.md shows (which must quote these files).
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "mmdet/config/config.pb.h"
#include "mmdet/runner/hooks/standard_hooks.h"
#include "mmdet/runner/runner.h"
#include "torch/nn/modules/linear.h"

namespace mmdet::runner {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Three batches of a constant regression per epoch.
class Source : public TrainSource {
 public:
  explicit Source(torch::nn::Linear model) : model_(model) {}
  size_t num_batches() const override { return 3; }
  void StartEpoch(int64_t) override { next_ = 0; }
  absl::StatusOr<bool> NextBatch() override { return next_++ < 3; }
  absl::StatusOr<StepOutput> TrainStep() override {
    StepOutput out;
    out.losses = models::ParseLosses(
        {{"loss_reg", (model_->forward(torch::ones({2, 2})) - 1).pow(2).mean()}});
    return out;
  }

 private:
  torch::nn::Linear model_;
  int next_ = 0;
};

TEST(CustomHookTest, FromConfigThroughCustomHooks) {
  config::Config cfg;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(R"(
      custom_hooks {
        custom { [type.googleapis.com/mmdet_ext.LossCsvHook] { path: "loss.csv" } }
        priority: LOW
      })", &cfg));
  torch::nn::Linear model(2, 1);
  RunnerOptions options;
  options.work_dir = ::testing::TempDir();
  options.max_epochs = 2;
  std::remove((options.work_dir + "/loss.csv").c_str());
  Runner runner(*model, nullptr, options);
  ASSERT_TRUE(RegisterCustomHooks(runner, cfg.custom_hooks()).ok());
  Source source(model);
  ASSERT_TRUE(runner.Run(source).ok());
  std::istringstream csv(Read(options.work_dir + "/loss.csv"));
  std::vector<std::string> lines;
  for (std::string line; std::getline(csv, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_THAT(lines[0], ::testing::StartsWith("1,1,"));
  EXPECT_THAT(lines[5], ::testing::StartsWith("2,6,"));
}

TEST(CustomHookTest, ErrorsNameTheEntry) {
  config::Config cfg;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      "custom_hooks { custom { [type.googleapis.com/mmdet_ext.LossCsvHook] {} } }", &cfg));
  torch::nn::Linear model(2, 1);
  Runner runner(*model, nullptr, RunnerOptions());
  EXPECT_EQ(RegisterCustomHooks(runner, cfg.custom_hooks()).message(),
            "custom_hooks[0].custom.path: required");
}

// docs/custom_hooks.md quotes the example's files whole.
TEST(CustomHookTest, HowToQuotesTheExample) {
  const std::string doc = Read("docs/custom_hooks.md");
  ASSERT_FALSE(doc.empty());
  for (const char* file : {"loss_csv_hook.proto", "loss_csv_hook.cc"}) {
    const std::string text = Read(std::string("tests/extension/") + file);
    ASSERT_FALSE(text.empty()) << file;
    EXPECT_NE(doc.find(text), std::string::npos)
        << "docs/custom_hooks.md does not quote tests/extension/" << file;
  }
}

}  // namespace
}  // namespace mmdet::runner
