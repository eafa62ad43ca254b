// Status plumbing shared by every mmdet library.
//
// Libraries return absl::Status / absl::StatusOr<T> for anything user input can cause; these
// macros keep the happy path readable:
//
//   absl::StatusOr<Config> Load(const std::string& path) {
//     MMDET_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
//     MMDET_RETURN_IF_ERROR(Validate(text));
//     MMDET_RET_CHECK(!text.empty()) << path << " is empty";
//     ...
//   }
//
// The prefix is MMDET_ because Abseil 20220623 has no such macros and ABSL_ copies would
// collide with a later Abseil.
#ifndef MMDET_CORE_STATUS_MACROS_H_
#define MMDET_CORE_STATUS_MACROS_H_

#include <sstream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mmdet {

// Builds a Status whose message is streamed in; converts to Status or StatusOr<T>.
class StatusBuilder {
 public:
  explicit StatusBuilder(absl::StatusCode code) : code_(code) {}

  template <typename T>
  StatusBuilder& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

  operator absl::Status() const { return absl::Status(code_, stream_.str()); }  // NOLINT

  template <typename T>
  operator absl::StatusOr<T>() const {  // NOLINT
    return absl::StatusOr<T>(absl::Status(*this));
  }

 private:
  absl::StatusCode code_;
  std::ostringstream stream_;
};

}  // namespace mmdet

#define MMDET_STATUS_CONCAT_INNER_(a, b) a##b
#define MMDET_STATUS_CONCAT_(a, b) MMDET_STATUS_CONCAT_INNER_(a, b)

// Returns `expr` from the current function if it is not OK.
#define MMDET_RETURN_IF_ERROR(expr)                 \
  do {                                              \
    ::absl::Status mmdet_status_ = (expr);          \
    if (!mmdet_status_.ok()) return mmdet_status_;  \
  } while (0)

// `lhs` = the value of the StatusOr `rexpr`, or returns its error. `lhs` may declare a variable:
//   MMDET_ASSIGN_OR_RETURN(auto value, Compute());
#define MMDET_ASSIGN_OR_RETURN(lhs, rexpr) \
  MMDET_ASSIGN_OR_RETURN_IMPL_(MMDET_STATUS_CONCAT_(mmdet_statusor_, __LINE__), lhs, rexpr)

#define MMDET_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

// Returns InvalidArgument with the streamed message unless `cond` holds:
//   MMDET_RET_CHECK(n > 0) << "num_outs must be positive, got " << n;
#define MMDET_RET_CHECK(cond) \
  if (cond) {                 \
  } else /* NOLINT */         \
    return ::mmdet::StatusBuilder(::absl::StatusCode::kInvalidArgument)

#endif  // MMDET_CORE_STATUS_MACROS_H_
