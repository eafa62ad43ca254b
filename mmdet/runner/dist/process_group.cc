#include "mmdet/runner/dist/process_group.h"

#include <csignal>
#include <cstring>
#include <exception>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "torch/types.h"

// Debian's LibTorch and the Python wheels are built with Gloo; its c10d header is empty unless
// USE_C10D_GLOO is defined (ENVIRONMENT.md), and it needs gloo's own headers.
#if __has_include(<gloo/config.h>)
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#endif

#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef MMDET_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace mmdet::runner {
namespace {

bool IsLoopback(const std::string& addr) {
  return addr == "localhost" || absl::StartsWith(addr, "127.");
}

// Runs a c10d call, turning its exceptions into a Status naming `what`.
template <typename F>
absl::Status Guard(const std::string& what, int rank, F f) {
  try {
    f();
    return absl::OkStatus();
  } catch (const c10::Error& e) {
    return absl::UnavailableError(absl::StrCat("rank ", rank, ": ", what, " failed (another rank ",
                                               "died or timed out?): ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("rank ", rank, ": ", what, " failed (another rank ",
                                               "died or timed out?): ", e.what()));
  }
}

class WorkPending : public ProcessGroup::Pending {
 public:
  WorkPending(c10::intrusive_ptr<c10d::Work> work, int rank) : work_(std::move(work)), rank_(rank) {}
  absl::Status Wait() override {
    return Guard("all_reduce", rank_, [&] { work_->wait(); });
  }

 private:
  c10::intrusive_ptr<c10d::Work> work_;
  int rank_;
};

// G: ProcessGroupGloo or ProcessGroupNCCL (a ProcessGroup in LibTorch 1.x, a Backend in 2.x;
// both have these collectives).
template <typename G>
class C10dGroup : public ProcessGroup {
 public:
  C10dGroup(c10::intrusive_ptr<c10d::Store> store, c10::intrusive_ptr<G> group, int rank,
            int world_size, std::string backend)
      : store_(std::move(store)),
        group_(std::move(group)),
        rank_(rank),
        world_size_(world_size),
        backend_(std::move(backend)) {}
  int rank() const override { return rank_; }
  int world_size() const override { return world_size_; }
  const std::string& backend() const override { return backend_; }

  absl::Status AllReduceSum(at::Tensor tensor) override {
    return Guard("all_reduce", rank_, [&] {
      std::vector<at::Tensor> v{std::move(tensor)};
      group_->allreduce(v)->wait();
    });
  }
  absl::StatusOr<std::unique_ptr<Pending>> AllReduceSumAsync(at::Tensor tensor) override {
    std::unique_ptr<Pending> pending;
    absl::Status s = Guard("all_reduce", rank_, [&] {
      std::vector<at::Tensor> v{std::move(tensor)};
      pending = std::make_unique<WorkPending>(group_->allreduce(v), rank_);
    });
    if (!s.ok()) return s;
    return pending;
  }
  absl::Status Broadcast(at::Tensor tensor, int root) override {
    return Guard("broadcast", rank_, [&] {
      c10d::BroadcastOptions options;
      options.rootRank = root;
      std::vector<at::Tensor> v{std::move(tensor)};
      group_->broadcast(v, options)->wait();
    });
  }
  absl::Status Barrier() override {
    return Guard("barrier", rank_, [&] { group_->barrier()->wait(); });
  }

 protected:
  absl::Status AllGather(std::vector<at::Tensor>& outputs, at::Tensor input) override {
    return Guard("all_gather", rank_, [&] {
      std::vector<std::vector<at::Tensor>> out{outputs};
      std::vector<at::Tensor> in{std::move(input)};
      group_->allgather(out, in)->wait();
    });
  }

 private:
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<G> group_;
  int rank_, world_size_;
  std::string backend_;
};

}  // namespace

bool ProcessGroup::Available(const std::string& backend) {
#ifdef USE_C10D_GLOO
  if (backend == "gloo") return true;
#endif
#ifdef MMDET_WITH_NCCL
  if (backend == "nccl") return true;
#endif
  return false;
}

absl::StatusOr<std::shared_ptr<ProcessGroup>> ProcessGroup::Init(
    const DistEnv& env, const std::string& backend, std::chrono::milliseconds timeout) {
  if (backend != "gloo" && backend != "nccl") {
    return absl::InvalidArgumentError("dist_params.backend " + backend +
                                      ": expected nccl (GPU) or gloo (CPU)");
  }
  if (!Available(backend)) {
    return absl::UnimplementedError(absl::StrCat(
        "dist_params.backend ", backend, ": this LibTorch has no ", backend,
        backend == "nccl" ? " (a CUDA LibTorch has; on the CPU use gloo)" : ""));
  }
  // A peer that dies closes its sockets; the next write to one raises SIGPIPE, whose default
  // action killed the surviving rank silently (exit 141) before c10d could report the failure.
  // Ignored, as Python (and so every PyTorch launcher's workers) ignores it, the write fails
  // with EPIPE and c10d throws, which Guard and the runner turn into one clear line.
  std::signal(SIGPIPE, SIG_IGN);
  c10::intrusive_ptr<c10d::Store> store;
  absl::Status s = Guard(absl::StrCat("rendezvous at ", env.master_addr, ":", env.master_port),
                         env.rank, [&] {
                           c10d::TCPStoreOptions o;
                           o.port = static_cast<uint16_t>(env.master_port);
                           o.isServer = env.rank == 0;
                           o.numWorkers = static_cast<size_t>(env.world_size);
                           o.waitWorkers = true;
                           o.timeout = timeout;
                           store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, o);
                         });
  if (!s.ok()) return s;
  std::shared_ptr<ProcessGroup> group;
#ifdef USE_C10D_GLOO
  if (backend == "gloo") {
    s = Guard("creating the gloo process group", env.rank, [&] {
      auto options = c10d::ProcessGroupGloo::Options::create(timeout);
      const std::string ifname = GetEnv("GLOO_SOCKET_IFNAME");
      if (!ifname.empty()) {
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      } else if (IsLoopback(env.master_addr)) {
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      } else {
        options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      }
      options->threads = 2;
      auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, env.rank, env.world_size,
                                                            options);
      group = std::make_shared<C10dGroup<c10d::ProcessGroupGloo>>(store, pg, env.rank,
                                                                  env.world_size, backend);
    });
  }
#endif
#ifdef MMDET_WITH_NCCL
  if (backend == "nccl") {
    s = Guard("creating the nccl process group", env.rank, [&] {
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = timeout;
      auto pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, env.rank, env.world_size,
                                                            options);
      group = std::make_shared<C10dGroup<c10d::ProcessGroupNCCL>>(store, pg, env.rank,
                                                                  env.world_size, backend);
    });
  }
#endif
  if (!s.ok()) return s;
  return group;
}

absl::StatusOr<std::vector<std::string>> ProcessGroup::AllGatherBytes(const std::string& mine) {
  // collect_results_gpu's scheme: gather the sizes, pad to the largest, gather the bytes.
  const int n = world_size();
  at::Tensor size = torch::tensor({static_cast<int64_t>(mine.size())}, torch::kInt64);
  std::vector<at::Tensor> sizes;
  for (int r = 0; r < n; ++r) sizes.push_back(torch::zeros({1}, torch::kInt64));
  absl::Status s = AllGather(sizes, size);
  if (!s.ok()) return s;
  int64_t longest = 0;
  for (const at::Tensor& t : sizes) longest = std::max(longest, t.item<int64_t>());
  at::Tensor bytes = torch::zeros({std::max<int64_t>(longest, 1)}, torch::kUInt8);
  if (!mine.empty()) std::memcpy(bytes.data_ptr<uint8_t>(), mine.data(), mine.size());
  std::vector<at::Tensor> all;
  for (int r = 0; r < n; ++r) all.push_back(torch::zeros_like(bytes));
  s = AllGather(all, bytes);
  if (!s.ok()) return s;
  std::vector<std::string> out;
  for (int r = 0; r < n; ++r) {
    out.emplace_back(reinterpret_cast<const char*>(all[r].data_ptr<uint8_t>()),
                     static_cast<size_t>(sizes[r].item<int64_t>()));
  }
  return out;
}

}  // namespace mmdet::runner
