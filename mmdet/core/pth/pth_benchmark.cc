// SerializePth / ParsePth on a ResNet-50-sized state_dict: 320 tensors, 25.56M parameters
// (torchvision's resnet50 layout: 53 convolutions, 53 batch norms with running stats and
// num_batches_tracked, the fc layer), about 102 MB of float32.
//
//   bazel run -c opt //mmdet/core/pth:pth_benchmark
#include <ATen/ATen.h>
#include <benchmark/benchmark.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "mmdet/core/pth/pth.h"

namespace mmdet::pth {
namespace {

void AddConvBn(Value* state_dict, const std::string& conv, const std::string& bn, int64_t out,
               int64_t in, int64_t k) {
  state_dict->Set(conv + ".weight", Value::Tensor(at::randn({out, in, k, k})));
  state_dict->Set(bn + ".weight", Value::Tensor(at::ones({out})));
  state_dict->Set(bn + ".bias", Value::Tensor(at::zeros({out})));
  state_dict->Set(bn + ".running_mean", Value::Tensor(at::zeros({out})));
  state_dict->Set(bn + ".running_var", Value::Tensor(at::ones({out})));
  state_dict->Set(bn + ".num_batches_tracked", Value::Tensor(at::scalar_tensor(0, at::kLong)));
}

Value ResNet50StateDict() {
  at::manual_seed(0);
  Value sd = Value::OrderedDict();
  AddConvBn(&sd, "conv1", "bn1", 64, 3, 7);
  const int64_t blocks[] = {3, 4, 6, 3};
  int64_t in = 64;
  for (int layer = 0; layer < 4; ++layer) {
    const int64_t planes = int64_t{64} << layer;
    for (int64_t b = 0; b < blocks[layer]; ++b) {
      const std::string p = absl::StrCat("layer", layer + 1, ".", b, ".");
      AddConvBn(&sd, p + "conv1", p + "bn1", planes, in, 1);
      AddConvBn(&sd, p + "conv2", p + "bn2", planes, planes, 3);
      AddConvBn(&sd, p + "conv3", p + "bn3", planes * 4, planes, 1);
      if (b == 0) AddConvBn(&sd, p + "downsample.0", p + "downsample.1", planes * 4, in, 1);
      in = planes * 4;
    }
  }
  sd.Set("fc.weight", Value::Tensor(at::randn({1000, 2048})));
  sd.Set("fc.bias", Value::Tensor(at::zeros({1000})));
  return Value::Dict({{Value::String("meta"), Value::Dict()}, {Value::String("state_dict"), sd}});
}

int64_t StateDictBytes(const Value& ckpt) {
  int64_t bytes = 0;
  for (const Value::Entry& e : ckpt.Find("state_dict")->entries())
    bytes += e.value.tensor().nbytes();
  return bytes;
}

void BM_SerializePth(benchmark::State& state) {
  const Value ckpt = ResNet50StateDict();
  for (auto _ : state) {
    absl::StatusOr<std::string> bytes = SerializePth(ckpt);
    if (!bytes.ok()) state.SkipWithError(std::string(bytes.status().message()).c_str());
    benchmark::DoNotOptimize(bytes);
  }
  state.SetBytesProcessed(state.iterations() * StateDictBytes(ckpt));
  state.counters["tensors"] = static_cast<double>(ckpt.Find("state_dict")->size());
}
BENCHMARK(BM_SerializePth)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ParsePth(benchmark::State& state) {
  const Value ckpt = ResNet50StateDict();
  const std::string bytes = SerializePth(ckpt).value();
  for (auto _ : state) {
    absl::StatusOr<Value> value = ParsePth(bytes, "resnet50.pth");
    if (!value.ok()) state.SkipWithError(std::string(value.status().message()).c_str());
    benchmark::DoNotOptimize(value);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
  int64_t params = 0;
  for (const Value::Entry& e : ckpt.Find("state_dict")->entries()) {
    if (e.value.tensor().is_floating_point()) params += e.value.tensor().numel();
  }
  state.counters["params_M"] = static_cast<double>(params) / 1e6;
  state.counters["file_MB"] = static_cast<double>(bytes.size()) / 1e6;
}
BENCHMARK(BM_ParsePth)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace mmdet::pth

BENCHMARK_MAIN();
