#include "mmdet/runner/dist/grad_sync.h"

#include <chrono>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "torch/nn/module.h"
#include "torch/utils.h"

namespace mmdet::runner {

absl::Status BroadcastModuleState(ProcessGroup& pg, torch::nn::Module& module, int root) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> tensors;
  for (const auto& p : module.named_parameters(true)) tensors.push_back(p.value());
  for (const auto& b : module.named_buffers(true)) tensors.push_back(b.value());
  // One flat broadcast per dtype.
  std::map<int, std::vector<torch::Tensor>> by_type;
  for (const torch::Tensor& t : tensors) {
    if (t.defined() && t.numel() > 0) by_type[static_cast<int>(t.scalar_type())].push_back(t);
  }
  for (auto& [type, group] : by_type) {
    std::vector<torch::Tensor> flat;
    for (const torch::Tensor& t : group) flat.push_back(t.reshape(-1));
    torch::Tensor all = torch::cat(flat).contiguous();
    absl::Status s = pg.Broadcast(all, root);
    if (!s.ok()) return s;
    int64_t offset = 0;
    for (torch::Tensor& t : group) {
      t.copy_(all.narrow(0, offset, t.numel()).view_as(t));
      offset += t.numel();
    }
  }
  return absl::OkStatus();
}

GradientSync::GradientSync(std::shared_ptr<ProcessGroup> pg, torch::nn::Module& module,
                           double bucket_mb)
    : pg_(std::move(pg)) {
  for (const auto& p : module.named_parameters(true)) {
    if (p.value().requires_grad()) params_.push_back(p.value());
  }
  // Reverse order, a new bucket when the dtype changes or the cap is reached.
  const int64_t cap = static_cast<int64_t>(bucket_mb * 1024 * 1024);
  where_.resize(params_.size());
  int64_t bytes = 0;
  for (size_t k = params_.size(); k-- > 0;) {
    const torch::Tensor& p = params_[k];
    const int64_t size = p.numel() * static_cast<int64_t>(p.element_size());
    if (buckets_.empty() || bytes + size > cap ||
        params_[buckets_.back().params.front()].scalar_type() != p.scalar_type() ||
        params_[buckets_.back().params.front()].device() != p.device()) {
      if (buckets_.empty() || !buckets_.back().params.empty()) buckets_.emplace_back();
      bytes = 0;
    }
    Bucket& b = buckets_.back();
    where_[k] = {buckets_.size() - 1, b.params.size()};
    b.offsets.push_back(b.params.empty() ? 0 : b.offsets.back() + params_[b.params.back()].numel());
    b.params.push_back(k);
    bytes += size;
  }
  for (Bucket& b : buckets_) {
    const torch::Tensor& last = params_[b.params.back()];
    b.flat = torch::zeros({b.offsets.back() + last.numel()}, last.options().requires_grad(false));
    b.has_grad.assign(b.params.size(), false);
  }
  for (size_t k = 0; k < params_.size(); ++k) {
    hook_ids_.push_back(params_[k].register_hook([this, k](torch::Tensor grad) { OnGrad(k, grad); }));
  }
}

GradientSync::~GradientSync() {
  for (size_t k = 0; k < params_.size() && k < hook_ids_.size(); ++k) {
    params_[k].remove_hook(hook_ids_[k]);
  }
}

void GradientSync::Prepare() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (Bucket& b : buckets_) {
    b.ready = 0;
    b.has_grad.assign(b.params.size(), false);
    b.launched = false;
    b.pending.reset();
  }
  next_launch_ = 0;
  launch_error_ = absl::OkStatus();
}

void GradientSync::Launch(Bucket& b) {
  b.launched = true;
  auto pending = pg_->AllReduceSumAsync(b.flat);
  if (!pending.ok()) {
    if (launch_error_.ok()) launch_error_ = pending.status();
    return;
  }
  b.pending = std::move(*pending);
}

void GradientSync::LaunchReady() {
  while (next_launch_ < buckets_.size() &&
         buckets_[next_launch_].ready == buckets_[next_launch_].params.size()) {
    Launch(buckets_[next_launch_++]);
  }
}

void GradientSync::OnGrad(size_t param, const torch::Tensor& grad) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto [bi, slot] = where_[param];
  Bucket& b = buckets_[bi];
  if (b.launched || b.has_grad[slot]) return;  // a second gradient after launch: not ours
  torch::NoGradGuard no_grad;
  b.flat.narrow(0, b.offsets[slot], grad.numel()).copy_(grad.reshape(-1));
  b.has_grad[slot] = true;
  ++b.ready;
  LaunchReady();
}

absl::Status GradientSync::Finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  torch::NoGradGuard no_grad;
  // Parameters without a gradient this step contribute zeros; the rest start in order.
  for (; next_launch_ < buckets_.size(); ++next_launch_) {
    Bucket& b = buckets_[next_launch_];
    for (size_t slot = 0; slot < b.params.size(); ++slot) {
      if (!b.has_grad[slot]) {
        b.flat.narrow(0, b.offsets[slot], params_[b.params[slot]].numel()).zero_();
      }
    }
    Launch(b);
  }
  const auto t0 = std::chrono::steady_clock::now();
  absl::Status status = launch_error_;
  for (Bucket& b : buckets_) {
    if (b.pending) {
      absl::Status s = b.pending->Wait();
      if (status.ok() && !s.ok()) status = s;
      b.pending.reset();
    }
  }
  wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!status.ok()) return status;
  const double scale = 1.0 / static_cast<double>(pg_->world_size());
  for (Bucket& b : buckets_) {
    b.flat.mul_(scale);
    for (size_t slot = 0; slot < b.params.size(); ++slot) {
      torch::Tensor& p = params_[b.params[slot]];
      torch::Tensor mean = b.flat.narrow(0, b.offsets[slot], p.numel()).view_as(p);
      if (p.grad().defined()) {
        p.mutable_grad().copy_(mean);
      } else {
        p.mutable_grad() = mean.clone();
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace mmdet::runner
