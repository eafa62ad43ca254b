// Trains a detector from a config (MMDetection v2.0's tools/train.py), on one process:
//
//   train CONFIG [--work-dir DIR] [--resume-from CKPT] [--validate | --no-validate]
//         [--gpus N | --gpu-ids I ...] [--seed S] [--deterministic] [--autoscale-lr]
//         [--launcher none|pytorch|slurm] [--local_rank R] [--channels-last] [--bf16]
//         [--options K=V ...]
//
// Writes into the work dir: the config (<config name>.pbtxt), <YYYYmmdd_HHMMSS>.log (mmcv's
// text log, also on stderr), <YYYYmmdd_HHMMSS>.log.json (first line {"env_info", "seed"},
// then one line per log_config.interval iterations, as MMDetection's), epoch_N.pth every
// checkpoint_config.interval epochs and latest.pth pointing at the newest. `resume_from`
// continues a run (weights, optimizer, lr schedule, epoch, iteration); `load_from` starts
// from a checkpoint's weights at epoch 0. One process trains on the first of --gpu-ids when
// CUDA is available, else on the CPU.
//
// Unless --no-validate (or without data.val), the val set is evaluated every
// evaluation.interval epochs with evaluation.metric (EvalHook); its metrics are logged as the
// val line of the log.json.
//
// Distributed (--launcher pytorch | slurm; tools/dist_train.sh, tools/slurm_train.sh): one
// process per GPU (or per CPU worker with Gloo) over c10d, as MMDetection's
// MMDistributedDataParallel: rank 0's weights broadcast at start, gradients averaged with
// bucketed all-reduces during backward, each rank training on its DistributedGroupSampler
// share (imgs_per_gpu per rank), losses logged as the ranks' mean, evaluation on every rank's
// share gathered to rank 0; only rank 0 writes logs and checkpoints.
//
// --channels-last and --bf16 are CPU speed options (issue 18, docs/benchmarks.md), not in
// MMDetection: parameters NHWC for oneDNN's convolutions; the backbone and neck under
// bfloat16 autocast (float32 master weights and optimizer, heads and losses float32, no loss
// scale: bfloat16 has float32's range), worth it on CPUs with AVX-512 BF16 / AMX only. The
// EvalHook then evaluates as test --bf16 does (the dense head in bfloat16 too). Checkpoints
// hold float32 weights either way.
//
// `workflow: [{mode: train epochs: 1}, {mode: val epochs: 1}]` adds a val stage after each
// train epoch: the losses on data.val (with the training pipeline) without gradients, logged
// as a val line. Not here: several GPUs in one process (MMDetection v2.0 neither).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#ifdef MMDET_WITH_CUDA_ALLOCATOR_STATS
#include <c10/cuda/CUDACachingAllocator.h>
#endif

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/text_format.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/json_writer.h"
#include "mmdet/core/status.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/datasets/dataset.h"
#include "mmdet/datasets/loader/data_loader.h"
#include "mmdet/datasets/loader/sampler.h"
#include "mmdet/models/checkpoint/checkpoint.h"
#include "mmdet/models/detectors/detector.h"
#include "mmdet/models/layers/memory_format.h"
#include "mmdet/runner/checkpoint/training_checkpoint.h"
#include "mmdet/runner/detector_source.h"
#include "mmdet/runner/dist/collect_results.h"
#include "mmdet/runner/dist/dist_env.h"
#include "mmdet/runner/dist/grad_sync.h"
#include "mmdet/runner/dist/init_dist.h"
#include "mmdet/runner/dist/process_group.h"
#include "mmdet/runner/hooks/eval_hook.h"
#include "mmdet/runner/hooks/standard_hooks.h"
#include "mmdet/runner/optim/optimizer_builder.h"
#include "mmdet/runner/runner.h"
#include "tools/common_flags.h"
#include "tools/tool_main.h"
#include "torch/cuda.h"
#include "torch/optim/optimizer.h"
#include "torch/utils.h"
#include "torch/version.h"

ABSL_FLAG(std::string, work_dir, "", "Folder for logs and checkpoints (overrides work_dir).");
ABSL_FLAG(std::string, resume_from, "", "Checkpoint to resume from (overrides resume_from).");
ABSL_FLAG(bool, no_validate, false,
          "Do not evaluate the val set during training (MMDetection v2.0's default is to).");
ABSL_FLAG(bool, validate, false,
          "Evaluate the val set every evaluation.interval epochs (v1.2's flag; the default "
          "unless --no-validate; with it, a config without data.val is an error).");
ABSL_FLAG(int, gpus, 1, "Number of GPUs (one process: only 1 is supported yet).");
ABSL_FLAG(std::vector<std::string>, gpu_ids, {}, "GPU ids (one process: only one).");
ABSL_FLAG(int64_t, seed, -1, "Random seed (overrides seed; -1: the config's, else unseeded).");
ABSL_FLAG(bool, deterministic, false, "Deterministic cuDNN (slower).");
ABSL_FLAG(bool, autoscale_lr, false,
          "Linear scaling rule: lr x world_size x imgs_per_gpu / 16.");
ABSL_FLAG(std::string, launcher, "none",
          "Job launcher: none (one process), pytorch (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, "
          "LOCAL_RANK: tools/dist_train.sh, torchrun) or slurm (SLURM_*: tools/slurm_train.sh).");
ABSL_FLAG(int, local_rank, -1, "Set by torch.distributed.launch (LOCAL_RANK wins when set).");
ABSL_FLAG(bool, channels_last, false,
          "Train channels-last (NHWC parameters): faster oneDNN convolutions on the CPU.");
ABSL_FLAG(bool, bf16, false,
          "Mixed precision: backbone and neck under bfloat16 autocast (float32 weights, heads "
          "and losses); for CPUs with AVX-512 BF16 / AMX.");

namespace mmdet::tools {
namespace {


// With a seed, torch's generator is reseeded from (seed, epoch) before every epoch, so a run
// resumed after epoch N draws the same random numbers (samplers, dropout) in epoch N + 1 as
// the uninterrupted run: resumed training is identical, which mmcv's is not.
class EpochSeedHook : public runner::Hook {
 public:
  explicit EpochSeedHook(uint64_t seed) : seed_(seed) {}
  absl::Status BeforeTrainEpoch(runner::Runner& runner) override {
    torch::manual_seed(datasets::MixSeed({seed_, static_cast<uint64_t>(runner.epoch())}));
    return absl::OkStatus();
  }

 private:
  uint64_t seed_;
};

// data.val with data.train_pipeline (or data.train's own pipeline).
// The config's fp16 section: values GradScaler accepts, a CUDA device, no --bf16 beside it.
absl::Status CheckFp16(const config::Fp16Config& fp16, const torch::Device& device, bool bf16) {
  if (fp16.has_loss_scale() && !(fp16.loss_scale() > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("fp16.loss_scale: must be positive, got ", fp16.loss_scale()));
  }
  if (fp16.has_dynamic()) {
    const config::DynamicLossScale& d = fp16.dynamic();
    if (!(d.init_scale() > 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("fp16.dynamic.init_scale: must be positive, got ", d.init_scale()));
    }
    if (!(d.growth_factor() > 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("fp16.dynamic.growth_factor: must be above 1, got ", d.growth_factor()));
    }
    if (!(d.backoff_factor() > 0 && d.backoff_factor() < 1)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "fp16.dynamic.backoff_factor: must be in (0, 1), got ", d.backoff_factor()));
    }
    if (d.growth_interval() <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "fp16.dynamic.growth_interval: must be positive, got ", d.growth_interval()));
    }
  }
  if (bf16) {
    return absl::InvalidArgumentError("fp16: the config's fp16 section and --bf16 exclude each other");
  }
  if (!device.is_cuda()) {
    return absl::InvalidArgumentError(
        "fp16: float16 training needs a CUDA device (CPU autocast is bfloat16: drop the fp16 "
        "section and train with --bf16)");
  }
  return absl::OkStatus();
}

absl::StatusOr<config::Dataset> WithTrainPipeline(const config::Config& cfg) {
  config::Dataset val = cfg.data().val();
  const config::Dataset& train = cfg.data().train();
  google::protobuf::RepeatedPtrField<config::Transform> pipeline = cfg.data().train_pipeline();
  if (pipeline.empty()) {
    datasets::VisitFileDataset(&train, [&](const auto& m) { pipeline = m.pipeline(); });
  }
  if (pipeline.empty()) {
    return absl::InvalidArgumentError(
        "workflow: a val stage needs data.train_pipeline (the val losses use it)");
  }
  if (!datasets::VisitFileDataset(&val, [&](auto& m) { *m.mutable_pipeline() = pipeline; })) {
    return absl::InvalidArgumentError(
        "workflow: a val stage needs data.val to be a coco, cityscapes, voc or custom dataset");
  }
  return val;
}

std::string Stem(const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') + 1);
  const size_t dot = base.rfind('.');
  return dot == std::string::npos ? base : base.substr(0, dot);
}

std::string EnvInfo(const torch::Device& device) {
  return absl::StrCat("sys.platform: linux\nmmdet-cpp: ", runner::kMmdetVersion,
                      "\nLibTorch: ", TORCH_VERSION, "\nCUDA available: ",
                      torch::cuda::is_available() ? "True" : "False",
                      "\nDevice: ", device.str());
}

absl::Status Run(const std::vector<std::string>& positional) {
  std::vector<std::string> args = positional;
  std::string config_path = absl::GetFlag(FLAGS_config);
  if (config_path.empty() && !args.empty()) config_path = args[0];
  MMDET_ASSIGN_OR_RETURN(config::Config cfg, LoadToolConfig(&args));
  MMDET_RETURN_IF_ERROR(NoExtraArgs(args));

  MMDET_ASSIGN_OR_RETURN(const runner::DistEnv dist,
                         runner::ReadDistEnv(absl::GetFlag(FLAGS_launcher),
                                             cfg.dist_params().port(),
                                             absl::GetFlag(FLAGS_local_rank)));  // checked early
  std::vector<int> gpu_ids;
  for (const std::string& id : absl::GetFlag(FLAGS_gpu_ids)) {
    int v = 0;
    if (!absl::SimpleAtoi(id, &v) || v < 0) {
      return absl::InvalidArgumentError("--gpu-ids " + id + ": not a GPU index");
    }
    gpu_ids.push_back(v);
  }
  if (gpu_ids.empty()) {
    if (absl::GetFlag(FLAGS_gpus) < 1) return absl::InvalidArgumentError("--gpus: must be >= 1");
    for (int i = 0; i < absl::GetFlag(FLAGS_gpus); ++i) gpu_ids.push_back(i);
  }
  if (gpu_ids.size() > 1 && !dist.distributed) {
    return absl::InvalidArgumentError(
        "--gpus/--gpu-ids: several GPUs in one process are not supported (MMDetection v2.0 "
        "neither); use tools/dist_train.sh CONFIG GPUS");
  }
  std::vector<runner::WorkflowStage> workflow;
  bool val_stage = false;
  for (const auto& stage : cfg.workflow()) {
    const bool train = stage.mode() == config::WorkflowStage::train;
    workflow.push_back({train ? "train" : "val", stage.epochs()});
    val_stage = val_stage || !train;
  }
  if (workflow.empty()) workflow.push_back({"train", 1});
  if (val_stage && !cfg.data().has_val()) {
    return absl::InvalidArgumentError("workflow: a val stage needs data.val");
  }
  if (cfg.total_epochs() < 1) return absl::InvalidArgumentError("total_epochs: must be >= 1");
  if (absl::GetFlag(FLAGS_validate) && absl::GetFlag(FLAGS_no_validate)) {
    return absl::InvalidArgumentError("--validate and --no-validate: choose one");
  }
  const bool validate = !absl::GetFlag(FLAGS_no_validate) && cfg.data().has_val();
  if (absl::GetFlag(FLAGS_validate) && !cfg.data().has_val()) {
    return absl::InvalidArgumentError("--validate: the config has no data.val");
  }

  std::string work_dir = absl::GetFlag(FLAGS_work_dir);
  if (work_dir.empty()) work_dir = cfg.work_dir();
  if (work_dir.empty()) work_dir = JoinPath("work_dirs", Stem(config_path));
  cfg.set_work_dir(work_dir);
  if (!absl::GetFlag(FLAGS_resume_from).empty()) cfg.set_resume_from(absl::GetFlag(FLAGS_resume_from));
  if (absl::GetFlag(FLAGS_seed) >= 0) cfg.set_seed(absl::GetFlag(FLAGS_seed));
  if (absl::GetFlag(FLAGS_deterministic)) cfg.set_deterministic(true);

  const int imgs_per_gpu = cfg.data().imgs_per_gpu();
  if (imgs_per_gpu < 1) return absl::InvalidArgumentError("data.imgs_per_gpu: must be >= 1");
  if (absl::GetFlag(FLAGS_autoscale_lr)) {
    const double gpus = dist.distributed ? dist.world_size : static_cast<double>(gpu_ids.size());
    const double scale = gpus * imgs_per_gpu / 16.0;
    config::Optimizer* o = cfg.mutable_optimizer();
    if (o->has_sgd()) o->mutable_sgd()->set_lr(o->sgd().lr() * scale);
    else if (o->has_adam()) o->mutable_adam()->set_lr(o->adam().lr() * scale);
    else if (o->has_adamw()) o->mutable_adamw()->set_lr(o->adamw().lr() * scale);
    else return absl::InvalidArgumentError("--autoscale-lr: only for sgd, adam and adamw optimizers");
  }

  MMDET_ASSIGN_OR_RETURN(runner::DistContext dc,
                         runner::InitDist(absl::GetFlag(FLAGS_launcher), cfg.dist_params(),
                                          absl::GetFlag(FLAGS_local_rank), gpu_ids[0]));
  const torch::Device device = dc.device;
  if (cfg.has_fp16()) MMDET_RETURN_IF_ERROR(CheckFp16(cfg.fp16(), device, absl::GetFlag(FLAGS_bf16)));
  std::shared_ptr<runner::ProcessGroup> pg = dc.pg;

  MMDET_RETURN_IF_ERROR(MakeDirs(work_dir));
  std::string config_text;
  google::protobuf::TextFormat::PrintToString(cfg, &config_text);
  if (dist.rank == 0) {
    MMDET_RETURN_IF_ERROR(
        WriteFileAtomically(JoinPath(work_dir, Stem(config_path) + ".pbtxt"), config_text));
  }

  // set_random_seed(seed, deterministic).
  if (cfg.has_seed()) torch::manual_seed(static_cast<uint64_t>(cfg.seed()));
  if (cfg.deterministic()) {
    at::globalContext().setDeterministicCuDNN(true);
    at::globalContext().setBenchmarkCuDNN(false);
  }

  runner::RunnerOptions ro;
  ro.work_dir = work_dir;
  ro.rank = dist.rank;
  ro.world_size = dist.world_size;
  ro.workflow = workflow;
  ro.max_epochs = cfg.total_epochs();
  const std::string env_info = EnvInfo(device);
  ro.meta_json = absl::StrCat("{\"env_info\": ", JsonQuoted(env_info), ", \"seed\": ",
                              cfg.has_seed() ? absl::StrCat(cfg.seed()) : "null", "}");

  MMDET_ASSIGN_OR_RETURN(std::shared_ptr<models::DetectorImpl> model, models::BuildDetector(cfg));
  MMDET_ASSIGN_OR_RETURN(models::LoadReport pretrained, models::InitPretrainedWeights(*model));
  MMDET_ASSIGN_OR_RETURN(std::shared_ptr<datasets::Dataset> dataset,
                         datasets::BuildDataset(cfg.data().train(), "data.train"));
  if (dataset->size() == 0) return absl::InvalidArgumentError("data.train: the dataset is empty");
  model->to(device);
  // Before the optimizer and any resume: parameters change layout in place (set_data).
  std::vector<std::string> speed_options;
  if (absl::GetFlag(FLAGS_channels_last)) {
    speed_options.push_back(
        absl::StrCat("--channels-last: ", models::ToChannelsLast(*model), " tensors NHWC"));
  }
  if (absl::GetFlag(FLAGS_bf16)) {
    model->set_feature_dtype(at::kBFloat16);
    speed_options.push_back("--bf16: backbone and neck under bfloat16 autocast");
  }
  if (cfg.has_fp16()) {
    model->set_feature_dtype(at::kHalf);
    speed_options.push_back(
        cfg.fp16().has_dynamic()
            ? absl::StrCat("fp16: backbone and neck under float16 autocast, dynamic loss scale "
                           "from ", cfg.fp16().dynamic().init_scale())
            : absl::StrCat("fp16: backbone and neck under float16 autocast, loss scale ",
                           cfg.fp16().has_loss_scale() ? cfg.fp16().loss_scale() : 512.0));
  }

  MMDET_ASSIGN_OR_RETURN(std::shared_ptr<torch::optim::Optimizer> optimizer,
                         runner::BuildOptimizer(cfg.optimizer(), *model));
  runner::Runner runner(*model, optimizer.get(), ro);
  runner.LogInfo("Environment info:\n" + env_info);
  runner.LogInfo(dist.distributed
                     ? absl::StrCat("Distributed training: True (", pg->backend(), ", world size ",
                                    dist.world_size, ")")
                     : "Distributed training: False");
  runner.LogInfo("Config:\n" + config_text);
  if (!speed_options.empty()) runner.LogInfo(absl::StrJoin(speed_options, "; "));
  if (!pretrained.clean()) runner.LogInfo(pretrained.Message());

  std::vector<double> base_lrs = runner::GroupLrs(*optimizer);
  std::optional<runner::LossScaleState> resumed_loss_scale;
  if (!cfg.resume_from().empty()) {
    MMDET_ASSIGN_OR_RETURN(std::string path, models::ResolveCheckpointPath(cfg.resume_from()));
    auto state = runner::ResumeCheckpoint(path, *model, optimizer.get());
    if (!state.ok()) return Annotate(state.status(), "resume_from");
    runner.SetProgress(state->epoch, state->iter);
    if (!state->initial_lrs.empty()) base_lrs = state->initial_lrs;
    resumed_loss_scale = state->loss_scale;
    runner.LogInfo(absl::StrCat("resumed epoch ", state->epoch, ", iter ", state->iter));
  } else if (!cfg.load_from().empty()) {
    auto report = models::LoadCheckpointInto(*model, cfg.load_from(), /*strict=*/false);
    if (!report.ok()) return Annotate(report.status(), "load_from");
    runner.LogInfo("load checkpoint from " + cfg.load_from());
    if (!report->clean()) runner.LogInfo(report->Message());
  }

  std::unique_ptr<runner::GradientSync> grad_sync;
  if (pg) {
    // DDP at construction: rank 0's weights (after load_from / resume, which every rank did)
    // everywhere; then the gradient buckets.
    MMDET_RETURN_IF_ERROR(runner::BroadcastModuleState(*pg, *model));
    grad_sync = std::make_unique<runner::GradientSync>(pg, *model);
  }

  datasets::LoaderConfig lc;
  lc.distributed = dist.distributed;
  lc.world_size = dist.world_size;
  lc.rank = dist.rank;
  lc.imgs_per_gpu = imgs_per_gpu;
  lc.workers_per_gpu = cfg.data().workers_per_gpu();
  lc.seed = cfg.has_seed() ? static_cast<uint64_t>(cfg.seed()) : 0;
  MMDET_ASSIGN_OR_RETURN(std::unique_ptr<datasets::DataLoader> loader,
                         datasets::BuildDataLoader(dataset, lc));

  runner::TrainingHooksOptions hooks;
  hooks.lr_config = cfg.lr_config();
  hooks.base_lrs = base_lrs;
  hooks.optimizer_config = cfg.optimizer_config();
  if (cfg.has_fp16()) {
    hooks.fp16 = cfg.fp16();
    hooks.resumed_loss_scale = resumed_loss_scale;
  }
  hooks.checkpoint_config = cfg.checkpoint_config();
  hooks.checkpoint_meta.config = config_text;
  hooks.checkpoint_meta.classes = dataset->classes();
  hooks.log_config = cfg.log_config();
  hooks.grad_reducer = grad_sync.get();
#ifdef MMDET_WITH_CUDA_ALLOCATOR_STATS
  if (device.is_cuda()) {
    // mmcv's _get_max_memory: torch.cuda.max_memory_allocated() in whole MiB (truncated), of
    // this process's device (rank 0's, which is the rank that logs).
    const c10::DeviceIndex index = device.has_index() ? device.index() : 0;
    hooks.memory_mb = [index] {
      const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(index);
      return static_cast<int64_t>(stats.allocated_bytes[0].peak / (1024 * 1024));
    };
  }
#endif
  MMDET_RETURN_IF_ERROR(runner::RegisterTrainingHooks(runner, hooks));
  MMDET_RETURN_IF_ERROR(runner::RegisterCustomHooks(runner, cfg.custom_hooks()));
  if (cfg.has_seed()) {
    runner.RegisterHook(std::make_shared<EpochSeedHook>(static_cast<uint64_t>(cfg.seed())),
                        runner::kHookHighest);
  }
  if (validate) {
    runner::EvalHookOptions eo;
    eo.evaluation = cfg.evaluation();
    eo.val = cfg.data().val();
    eo.workers_per_gpu = cfg.data().workers_per_gpu();
    if (pg) {
      // DistEvalHook: each rank tests its share; rank 0 evaluates.
      eo.distributed = true;
      eo.world_size = dist.world_size;
      eo.rank = dist.rank;
      eo.gather = [pg](const evaluation::DetectionResults& shard,
                       const std::vector<size_t>& indices, size_t total) {
        return runner::CollectResults(*pg, shard, indices, total);
      };
    }
    MMDET_ASSIGN_OR_RETURN(std::shared_ptr<runner::EvalHook> eval_hook,
                           runner::BuildEvalHook(*model, device, eo));
    runner.RegisterHook(eval_hook, runner::kHookNormal);
  }
  runner::DetectorTrainSource source(*model, *loader, device, pg.get());
  // A workflow val stage: data.val with the training pipeline (MMDetection v2.0's train.py),
  // its losses without gradients.
  std::unique_ptr<datasets::DataLoader> val_loader;
  std::unique_ptr<runner::DetectorTrainSource> val_source;
  if (val_stage) {
    MMDET_ASSIGN_OR_RETURN(config::Dataset val_cfg, WithTrainPipeline(cfg));
    MMDET_ASSIGN_OR_RETURN(std::shared_ptr<datasets::Dataset> val_dataset,
                           datasets::BuildDataset(val_cfg, "data.val"));
    MMDET_ASSIGN_OR_RETURN(val_loader, datasets::BuildDataLoader(val_dataset, lc));
    val_source = std::make_unique<runner::DetectorTrainSource>(*model, *val_loader, device,
                                                               pg.get());
  }
  std::vector<std::string> stages;
  for (const auto& w : workflow) stages.push_back(absl::StrCat("('", w.mode, "', ", w.epochs, ")"));
  runner.LogInfo(absl::StrCat("Start running, work_dir: ", work_dir, ", workflow: [",
                              absl::StrJoin(stages, ", "), "], max: ", cfg.total_epochs(),
                              " epochs"));
  const int64_t start_iter = runner.iter();
  MMDET_RETURN_IF_ERROR(runner.Run(source, val_source.get()));
  if (grad_sync) {
    // What the gradient all-reduce cost beyond what backward hid (dist_train_benchmark.sh
    // reads this line).
    const int64_t iters = std::max<int64_t>(1, runner.iter() - start_iter);
    runner.LogInfo(absl::StrFormat(
        "gradient all-reduce: %d buckets, %.3f s waited after backward in %d iterations "
        "(%.1f ms/iter)",
        grad_sync->num_buckets(), grad_sync->wait_seconds(), iters,
        1000.0 * grad_sync->wait_seconds() / static_cast<double>(iters)));
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace mmdet::tools

int main(int argc, char** argv) {
  std::vector<std::string> args = mmdet::tools::InitTool(
      {.usage = "train CONFIG [--work-dir DIR] [--resume-from CKPT] [--validate | --no-validate] [--gpus N] "
                "[--gpu-ids I] [--seed S] [--deterministic] [--autoscale-lr] "
                "[--launcher none|pytorch|slurm] [--options KEY=VALUE ...]",
       .takes_config = true,
       .list_flags = {"gpu_ids"}},
      argc, argv);
  return mmdet::tools::RunTool(&mmdet::tools::Run, args);
}
