// The runner and mmcv's standard hooks on a tiny regression: hook order, the log buffer, the
// text and json logs, the lr schedule as logged, checkpoints, exact resume, NaN stop, clipping.
#include "mmdet/runner/runner.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/json_writer.h"
#include "mmdet/core/pth/pth.h"
#include "mmdet/runner/checkpoint/training_checkpoint.h"
#include "mmdet/runner/hooks/standard_hooks.h"
#include "torch/nn/modules/linear.h"
#include "torch/optim/sgd.h"

namespace mmdet::runner {
namespace {

using ::testing::HasSubstr;

// y = x . [1, -2] + 0.5 on 4 samples per batch; batch k of epoch e seeded by (e, k).
class RegressionSource : public TrainSource {
 public:
  RegressionSource(torch::nn::Linear model, size_t batches) : model_(model), batches_(batches) {}
  size_t num_batches() const override { return batches_; }
  void StartEpoch(int64_t epoch) override {
    epoch_ = epoch;
    next_ = 0;
  }
  absl::StatusOr<bool> NextBatch() override {
    if (next_ == batches_) return false;
    torch::manual_seed(static_cast<uint64_t>(epoch_ * 1000 + next_++));
    x_ = torch::randn({4, 2});
    y_ = torch::matmul(x_, torch::tensor({1.f, -2.f})).unsqueeze(1) + 0.5;
    return true;
  }
  absl::StatusOr<StepOutput> TrainStep() override {
    ++steps_;
    torch::Tensor loss = (model_->forward(x_) - y_).pow(2).mean();
    if (steps_ == nan_at_) loss = loss * std::nan("");
    StepOutput out;
    out.losses = models::ParseLosses({{"loss_reg", loss}, {"acc", torch::tensor(50.0f)}});
    out.num_samples = 4;
    return out;
  }
  int nan_at_ = -1;

 private:
  torch::nn::Linear model_;
  size_t batches_;
  int64_t epoch_ = 0;
  size_t next_ = 0;
  int steps_ = 0;
  torch::Tensor x_, y_;
};

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string FreshDir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/" + name;
  EXPECT_EQ(std::system(("rm -rf '" + dir + "'").c_str()), 0);
  return dir;
}

TrainingHooksOptions Options(const std::string& lr_text, int interval) {
  TrainingHooksOptions o;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(lr_text, &o.lr_config));
  o.base_lrs = {0.1};
  o.log_config.set_interval(interval);
  o.checkpoint_meta.config = "cfg";
  o.checkpoint_meta.classes = {"a"};
  return o;
}

struct TrainRun {
  std::string dir;
  std::vector<std::string> json;  // the train lines (meta line dropped)
  torch::Tensor weight;
};

// Trains `epochs` epochs from scratch (or from `resume`), returning the json lines.
TrainRun Train(const std::string& name, int epochs, const std::string& resume = "") {
  torch::manual_seed(0);
  torch::nn::Linear model(2, 1);
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  RunnerOptions ro;
  ro.work_dir = FreshDir(name);
  ro.max_epochs = epochs;
  ro.timestamp = "20261201_000000";
  ro.meta_json = "{\"env_info\": \"test\", \"seed\": 0}";
  Runner runner(*model, &sgd, ro);
  TrainingHooksOptions options =
      Options("step { step: 1 gamma: 0.5 } warmup: linear warmup_iters: 3 warmup_ratio: 0.1", 2);
  if (!resume.empty()) {
    auto state = ResumeCheckpoint(resume, *model, &sgd);
    EXPECT_TRUE(state.ok()) << state.status();
    runner.SetProgress(state->epoch, state->iter);
    options.base_lrs = state->initial_lrs;
  }
  EXPECT_TRUE(RegisterTrainingHooks(runner, options).ok());
  RegressionSource source(model, 5);
  const absl::Status status = runner.Run(source);
  EXPECT_TRUE(status.ok()) << status;
  TrainRun run;
  run.dir = ro.work_dir;
  auto lines = Lines(ro.work_dir + "/20261201_000000.log.json");
  EXPECT_FALSE(lines.empty());
  if (!lines.empty()) {
    EXPECT_EQ(lines[0], ro.meta_json);
  }
  run.json.assign(lines.begin() + (lines.empty() ? 0 : 1), lines.end());
  run.weight = model->weight.detach().clone();
  return run;
}

// The json line without its timing values (which differ run to run).
std::string Untimed(const std::string& line) {
  std::string out = line;
  for (const char* key : {"\"time\": ", "\"data_time\": "}) {
    const size_t at = out.find(key);
    if (at == std::string::npos) continue;
    const size_t end = out.find(',', at);
    out.erase(at, end - at + 2);
  }
  return out;
}

TEST(RunnerTest, HooksRunByPriorityThenRegistration) {
  struct Recorder : Hook {
    Recorder(std::vector<std::string>* log, std::string name) : log(log), name(std::move(name)) {}
    absl::Status BeforeRun(Runner&) override {
      log->push_back(name);
      return absl::OkStatus();
    }
    std::vector<std::string>* log;
    std::string name;
  };
  std::vector<std::string> order;
  torch::nn::Linear model(2, 1);
  RunnerOptions ro;
  ro.max_epochs = 0;
  Runner runner(*model, nullptr, ro);
  runner.RegisterHook(std::make_shared<Recorder>(&order, "low"), kHookLow);
  runner.RegisterHook(std::make_shared<Recorder>(&order, "high"), kHookHigh);
  runner.RegisterHook(std::make_shared<Recorder>(&order, "normal1"), kHookNormal);
  runner.RegisterHook(std::make_shared<Recorder>(&order, "normal2"), kHookNormal);
  runner.RegisterHook(std::make_shared<Recorder>(&order, "highest"), kHookHighest);
  RegressionSource source(model, 1);
  ASSERT_TRUE(runner.Run(source).ok());
  EXPECT_EQ(order, (std::vector<std::string>{"highest", "high", "normal1", "normal2", "low"}));
}

TEST(RunnerTest, LogBufferAveragesTheLastNWeighted) {
  LogBuffer buffer;
  buffer.Update({{"loss", 1.0}, {"acc", 10.0}}, 1);
  buffer.Update({{"loss", 2.0}, {"acc", 20.0}}, 3);
  buffer.Update({{"loss", 4.0}, {"acc", 40.0}}, 1);
  buffer.Average(2);
  ASSERT_TRUE(buffer.ready());
  ASSERT_EQ(buffer.output().size(), 2u);
  EXPECT_EQ(buffer.output()[0].first, "loss");
  EXPECT_EQ(buffer.output()[0].second, (2.0 * 3 + 4.0) / 4);
  EXPECT_EQ(buffer.output()[1].second, (20.0 * 3 + 40.0) / 4);
  buffer.ClearOutput();
  EXPECT_FALSE(buffer.ready());
  EXPECT_EQ(Round5(0.123456789), 0.12346);
  EXPECT_EQ(PythonJsonFloat(Round5(2.0)), "2.0");
  EXPECT_EQ(PythonJsonFloat(1e-05), "1e-05");
}

TEST(RunnerTest, LogsCheckpointsAndScheduleAsMmcv) {
  TrainRun run = Train("full", 2);
  // 5 batches, interval 2: iterations 2 and 4 of each epoch (the last partial one dropped).
  ASSERT_EQ(run.json.size(), 4u);
  EXPECT_THAT(run.json[0], HasSubstr("{\"mode\": \"train\", \"epoch\": 1, \"iter\": 2, \"lr\": "));
  EXPECT_THAT(run.json[3], HasSubstr("\"epoch\": 2, \"iter\": 4, "));
  // Keys in MMDetection's order.
  const std::string& l = run.json[1];
  size_t last = 0;
  for (const char* key : {"\"mode\"", "\"epoch\"", "\"iter\"", "\"lr\"", "\"time\"",
                          "\"data_time\"", "\"memory\": 0", "\"loss_reg\"", "\"acc\": 50.0",
                          "\"loss\""}) {
    const size_t at = l.find(key);
    ASSERT_NE(at, std::string::npos) << key << " in " << l;
    EXPECT_GT(at, last) << key;
    last = at;
  }
  // lr at the logged iterations: linear warmup over 3 iterations (iteration 1 of epoch 1 is
  // global iteration 1: 0.1 * (1 - (1 - 1/3) * 0.9)), then the regular 0.1; epoch 2 decays.
  EXPECT_THAT(run.json[0], HasSubstr("\"lr\": 0.04,"));
  EXPECT_THAT(run.json[1], HasSubstr("\"lr\": 0.1,"));
  EXPECT_THAT(run.json[2], HasSubstr("\"lr\": 0.05,"));
  // Checkpoints.
  auto latest = pth::LoadPth(run.dir + "/latest.pth");
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(latest->Find("meta")->Find("epoch")->as_int(), 2);
  EXPECT_EQ(latest->Find("meta")->Find("iter")->as_int(), 10);
  EXPECT_TRUE(pth::LoadPth(run.dir + "/epoch_1.pth").ok());
  // The text log has mmcv's line layout.
  auto text = Lines(run.dir + "/20261201_000000.log");
  ASSERT_EQ(text.size(), 4u);
  EXPECT_THAT(text[1], ::testing::MatchesRegex(
                           "[0-9-]+ [0-9:]+,[0-9]{3} - mmdet - INFO - Epoch \\[1\\]\\[4/5\\]\t"
                           "lr: 1\\.000e-01, eta: 0:00:[0-9]{2}, time: [0-9.]+, data_time: [0-9.]+, "
                           "memory: 0, loss_reg: [0-9.]+, acc: 50\\.0000, loss: [0-9.]+"));
}

// Stopped after epoch 1 and resumed: epoch 2 logs the same values as the uninterrupted run.
TEST(RunnerTest, ResumeContinuesExactly) {
  TrainRun full = Train("uninterrupted", 2);
  TrainRun first = Train("first_half", 1);
  TrainRun second = Train("second_half", 2, first.dir + "/latest.pth");
  ASSERT_EQ(full.json.size(), 4u);
  ASSERT_EQ(second.json.size(), 2u);
  EXPECT_EQ(Untimed(second.json[0]), Untimed(full.json[2]));
  EXPECT_EQ(Untimed(second.json[1]), Untimed(full.json[3]));
  EXPECT_TRUE(torch::equal(second.weight, full.weight));
}

TEST(RunnerTest, NanLossStopsNamingIterationAndTerm) {
  torch::manual_seed(0);
  torch::nn::Linear model(2, 1);
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.1));
  RunnerOptions ro;
  ro.work_dir = FreshDir("nan");
  ro.max_epochs = 3;
  Runner runner(*model, &sgd, ro);
  ASSERT_TRUE(RegisterTrainingHooks(runner, Options("step { step: 8 }", 1)).ok());
  RegressionSource source(model, 5);
  source.nan_at_ = 8;  // epoch 2, iteration 3
  const absl::Status status = runner.Run(source);
  EXPECT_EQ(status.message(),
            "Epoch [2][3/5] (iteration 8): loss_reg is nan; training stopped (checkpoints saved "
            "before are kept)");
  EXPECT_TRUE(pth::LoadPth(ro.work_dir + "/epoch_1.pth").ok());
  EXPECT_FALSE(pth::LoadPth(ro.work_dir + "/epoch_2.pth").ok());
}

TEST(RunnerTest, GradClipBoundsTheTotalNorm) {
  struct NormProbe : Hook {
    absl::Status AfterTrainIter(Runner& runner) override {
      double sq = 0;
      for (const auto& p : runner.model().parameters()) sq += p.grad().pow(2).sum().item<double>();
      norms.push_back(std::sqrt(sq));
      return absl::OkStatus();
    }
    std::vector<double> norms;
  };
  torch::manual_seed(0);
  torch::nn::Linear model(2, 1);
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.01));
  RunnerOptions ro;
  ro.work_dir = FreshDir("clip");
  ro.max_epochs = 1;
  Runner runner(*model, &sgd, ro);
  TrainingHooksOptions options = Options("step { step: 8 }", 5);
  options.optimizer_config.mutable_grad_clip()->set_max_norm(0.5);
  ASSERT_TRUE(RegisterTrainingHooks(runner, options).ok());
  auto probe = std::make_shared<NormProbe>();
  runner.RegisterHook(probe, kHookLowest);
  RegressionSource source(model, 5);
  ASSERT_TRUE(runner.Run(source).ok());
  ASSERT_EQ(probe->norms.size(), 5u);
  for (double n : probe->norms) EXPECT_LE(n, 0.5 + 1e-6);
  EXPECT_GT(probe->norms[0], 0.49);  // the first gradients are large: clipped to max_norm
}

// Weights after 2 epochs of the regression with `fp16` (or none) on the OptimizerHook and a
// probe after it, which records per iteration whether the (unscaled) gradients overflowed,
// the loss scale and the weight.
struct Fp16Run {
  std::vector<bool> overflow;
  std::vector<float> scale;
  std::vector<torch::Tensor> weight;
  std::string log;
};

Fp16Run TrainFp16(const std::string& name, const config::Fp16Config* fp16, double clip = 0) {
  torch::manual_seed(0);
  torch::nn::Linear model(2, 1);
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  RunnerOptions ro;
  ro.work_dir = FreshDir(name);
  ro.max_epochs = 2;
  ro.timestamp = "20261201_000000";
  Runner runner(*model, &sgd, ro);
  config::OptimizerHookConfig cfg;
  if (clip > 0) cfg.mutable_grad_clip()->set_max_norm(clip);
  auto hook = std::make_shared<OptimizerHook>(cfg, nullptr, fp16);
  runner.RegisterHook(hook, kHookHigh);
  struct Probe : Hook {
    absl::Status AfterTrainIter(Runner& r) override {
      bool inf = false;
      for (const auto& p : r.model().parameters()) {
        inf = inf || !torch::isfinite(p.grad()).all().item<bool>();
      }
      run->overflow.push_back(inf);
      run->scale.push_back(hook->loss_scaler() ? hook->loss_scaler()->scale() : 1.f);
      run->weight.push_back(r.model().parameters()[0].detach().clone());
      return absl::OkStatus();
    }
    Fp16Run* run;
    OptimizerHook* hook;
  };
  Fp16Run run;
  auto probe = std::make_shared<Probe>();
  probe->run = &run;
  probe->hook = hook.get();
  runner.RegisterHook(probe, kHookLowest);
  RegressionSource source(model, 5);
  const absl::Status status = runner.Run(source);
  EXPECT_TRUE(status.ok()) << status;
  for (const std::string& line : Lines(ro.work_dir + "/20261201_000000.log")) {
    run.log += line + "\n";
  }
  return run;
}

config::Fp16Config Fp16(const std::string& text) {
  config::Fp16Config cfg;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &cfg)) << text;
  return cfg;
}

TEST(RunnerTest, Fp16FixedLossScaleKeepsEveryUpdate) {
  // A power-of-two scale is exact both ways: the same weights, bit for bit, as without it,
  // with clipping (on the unscaled gradients) too.
  for (double clip : {0.0, 0.5}) {
    const config::Fp16Config fp16 = Fp16("loss_scale: 512");
    const Fp16Run plain = TrainFp16("fp16_plain", nullptr, clip);
    const Fp16Run scaled = TrainFp16("fp16_512", &fp16, clip);
    ASSERT_EQ(scaled.weight.size(), 10u);
    for (size_t i = 0; i < scaled.weight.size(); ++i) {
      EXPECT_TRUE(torch::equal(scaled.weight[i], plain.weight[i])) << "iteration " << i + 1;
      EXPECT_EQ(scaled.scale[i], 512.f);
      EXPECT_FALSE(scaled.overflow[i]);
    }
  }
  // MMDetection v2.0's default when the section is empty.
  const config::Fp16Config empty;
  EXPECT_EQ(LossScaler(empty).scale(), 512.f);
}

TEST(RunnerTest, Fp16OverflowSkipsTheStepAndDynamicScaleBacksOffThenGrows) {
  // 2^127 makes the first gradients overflow float32, as float16's range does on a GPU.
  const config::Fp16Config fp16 =
      Fp16("dynamic { init_scale: 1.7014118346046923e38 growth_interval: 3 }");
  const Fp16Run run = TrainFp16("fp16_dynamic", &fp16);
  ASSERT_EQ(run.overflow.size(), 10u);
  EXPECT_TRUE(run.overflow[0]);
  int skipped = 0, grown = 0, clean_in_a_row = 0;
  float scale = 1.7014118346046923e38f;
  torch::Tensor weight;
  for (size_t i = 0; i < run.overflow.size(); ++i) {
    SCOPED_TRACE("iteration " + std::to_string(i + 1));
    if (run.overflow[i]) {
      ++skipped;
      clean_in_a_row = 0;
      scale *= 0.5f;
      // Skipped: the weights are those before the step.
      if (weight.defined()) EXPECT_TRUE(torch::equal(run.weight[i], weight));
    } else if (++clean_in_a_row == 3) {
      ++grown;
      clean_in_a_row = 0;
      scale *= 2.f;
    }
    EXPECT_EQ(run.scale[i], scale);
    EXPECT_TRUE(torch::isfinite(run.weight[i]).all().item<bool>());
    weight = run.weight[i];
  }
  EXPECT_GE(skipped, 1);
  EXPECT_GE(grown, 1);
  EXPECT_THAT(run.log, HasSubstr("fp16: inf/nan gradients at iter 1, step skipped; loss scale "
                                 "1.70141e+38 -> 8.50706e+37"));
  // A fixed scale stays where it is after an overflow, and the step is skipped as well.
  const config::Fp16Config fixed = Fp16("loss_scale: 1.7014118346046923e38");
  const Fp16Run kept = TrainFp16("fp16_fixed_overflow", &fixed);
  EXPECT_TRUE(kept.overflow[0]);
  EXPECT_EQ(kept.scale[0], 1.7014118346046923e38f);
  EXPECT_TRUE(torch::isfinite(kept.weight.back()).all().item<bool>());
}

// The dynamic loss scale is saved in meta['fp16']['loss_scaler'] and a resume continues from
// it: 1 + 1 epochs equal 2 straight (a scale restarted from init_scale would skip again).
TEST(RunnerTest, Fp16ResumeContinuesTheLossScale) {
  const config::Fp16Config fp16 =
      Fp16("dynamic { init_scale: 1.7014118346046923e38 growth_interval: 3 }");
  auto train = [&](const std::string& name, int epochs, const std::string& resume) {
    torch::manual_seed(0);
    torch::nn::Linear model(2, 1);
    torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
    RunnerOptions ro;
    ro.work_dir = FreshDir(name);
    ro.max_epochs = epochs;
    Runner runner(*model, &sgd, ro);
    TrainingHooksOptions options = Options("step { step: 8 }", 5);
    options.fp16 = fp16;
    if (!resume.empty()) {
      auto state = ResumeCheckpoint(resume, *model, &sgd);
      EXPECT_TRUE(state.ok()) << state.status();
      EXPECT_TRUE(state->loss_scale.has_value());
      runner.SetProgress(state->epoch, state->iter);
      options.resumed_loss_scale = state->loss_scale;
    }
    EXPECT_TRUE(RegisterTrainingHooks(runner, options).ok());
    RegressionSource source(model, 5);
    EXPECT_TRUE(runner.Run(source).ok());
    return std::make_pair(model->weight.detach().clone(), ro.work_dir);
  };
  const auto straight = train("fp16_straight", 2, "");
  const auto first = train("fp16_first", 1, "");
  auto ckpt = pth::LoadPth(first.second + "/epoch_1.pth");
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  const pth::Value* scaler = ckpt->Find("meta")->Find("fp16")->Find("loss_scaler");
  ASSERT_NE(scaler, nullptr);
  EXPECT_LT(scaler->Find("scale")->as_float(), 1.7e38);  // it backed off in epoch 1
  EXPECT_EQ(scaler->Find("growth_interval")->as_int(), 3);
  const auto resumed = train("fp16_resumed", 2, first.second + "/epoch_1.pth");
  EXPECT_TRUE(torch::equal(resumed.first, straight.first));
}

TEST(RunnerTest, BadHookConfigsNameTheField) {
  torch::nn::Linear model(2, 1);
  Runner runner(*model, nullptr, RunnerOptions());
  TrainingHooksOptions options = Options("step { step: 8 }", 0);
  EXPECT_EQ(RegisterTrainingHooks(runner, options).message(),
            "log_config.interval: must be positive");
  options = Options("step { step: 8 }", 1);
  options.checkpoint_config.set_interval(0);
  EXPECT_EQ(RegisterTrainingHooks(runner, options).message(),
            "checkpoint_config.interval: must be positive");
  options = Options("warmup: linear", 1);
  EXPECT_THAT(std::string(RegisterTrainingHooks(runner, options).message()),
              HasSubstr("lr_config"));
}

}  // namespace
}  // namespace mmdet::runner
