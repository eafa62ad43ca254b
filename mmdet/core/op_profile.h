// Self time per LibTorch operator, for the benchmark binaries' `--op_profile`: which ops a
// detector's time goes to (convolutions, elementwise, copies), without the Kineto profiler.
// While an OpProfile is alive every dispatched op and autograd node on every thread is timed
// (RecordFunction callbacks); an op's self time excludes the ops it calls. Timing adds a few
// microseconds per op, so profile an extra iteration, not the timed ones.
#ifndef MMDET_CORE_OP_PROFILE_H_
#define MMDET_CORE_OP_PROFILE_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace mmdet {

struct OpTime {
  std::string name;  // "aten::convolution", "ReluBackward0", ...
  double self_ms = 0;
  int64_t calls = 0;
};

class OpProfile {
 public:
  OpProfile();  // at most one alive at a time
  ~OpProfile();
  OpProfile(const OpProfile&) = delete;
  OpProfile& operator=(const OpProfile&) = delete;

  // Every op timed so far, largest self time first.
  std::vector<OpTime> Collect() const;

 private:
  uint64_t handle_;
};

// The `top` largest rows of `times` as a markdown table (op, calls, self ms, share of the
// total self time), then the total.
void PrintOpTimes(const std::vector<OpTime>& times, int top, std::ostream& out);

}  // namespace mmdet

#endif  // MMDET_CORE_OP_PROFILE_H_
