#include "mmdet/core/op_profile.h"

#include <ATen/record_function.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>

namespace mmdet {
namespace {

using Clock = std::chrono::steady_clock;

struct Totals {
  std::mutex mu;
  std::map<std::string, OpTime> by_name;
};
Totals& GlobalTotals() {
  static Totals* totals = new Totals;
  return *totals;
}

// The ops open on this thread, innermost last, each with the time its callees took.
struct Frame {
  Clock::time_point start;
  double child_ms = 0;
};
thread_local std::vector<Frame> open_ops;

struct Context : at::ObserverContext {};

std::unique_ptr<at::ObserverContext> OnStart(const at::RecordFunction&) {
  open_ops.push_back({Clock::now(), 0});
  return std::make_unique<Context>();
}

void OnEnd(const at::RecordFunction& fn, at::ObserverContext*) {
  if (open_ops.empty()) return;  // started before the profile
  const Frame frame = open_ops.back();
  open_ops.pop_back();
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - frame.start).count();
  if (!open_ops.empty()) open_ops.back().child_ms += ms;
  Totals& totals = GlobalTotals();
  std::lock_guard<std::mutex> lock(totals.mu);
  OpTime& row = totals.by_name[fn.name()];
  row.self_ms += ms - frame.child_ms;
  row.calls += 1;
}

}  // namespace

OpProfile::OpProfile() {
  open_ops.clear();  // frames a profile removed mid-op may have left on this thread
  {
    Totals& totals = GlobalTotals();
    std::lock_guard<std::mutex> lock(totals.mu);
    totals.by_name.clear();
  }
  handle_ = at::addGlobalCallback(
      at::RecordFunctionCallback(OnStart, OnEnd)
          .scopes({at::RecordScope::FUNCTION, at::RecordScope::BACKWARD_FUNCTION}));
}

OpProfile::~OpProfile() { at::removeCallback(handle_); }

std::vector<OpTime> OpProfile::Collect() const {
  std::vector<OpTime> rows;
  {
    Totals& totals = GlobalTotals();
    std::lock_guard<std::mutex> lock(totals.mu);
    for (const auto& [name, row] : totals.by_name) {
      rows.push_back(row);
      rows.back().name = name;
    }
  }
  std::sort(rows.begin(), rows.end(),
            [](const OpTime& a, const OpTime& b) { return a.self_ms > b.self_ms; });
  return rows;
}

void PrintOpTimes(const std::vector<OpTime>& times, int top, std::ostream& out) {
  double total = 0;
  for (const OpTime& row : times) total += row.self_ms;
  out << "| op | calls | self ms | share |\n|---|---|---|---|\n";
  char line[64];
  for (size_t i = 0; i < times.size() && static_cast<int>(i) < top; ++i) {
    const OpTime& row = times[i];
    std::snprintf(line, sizeof(line), " | %lld | %.1f | %.1f%% |\n",
                  static_cast<long long>(row.calls), row.self_ms,
                  total > 0 ? 100 * row.self_ms / total : 0.0);
    out << "| " << row.name << line;
  }
  std::snprintf(line, sizeof(line), "%.1f ms of self time in %zu ops\n", total, times.size());
  out << line;
}

}  // namespace mmdet
