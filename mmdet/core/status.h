// Error context and the mapping from a Status to a process exit code.
//
// Context is added on the way up, so the message a user finally sees names the file, the
// config path or the flag that caused it:
//
//   return mmdet::Annotate(status, "configs/x.pbtxt");
//   // -> "configs/x.pbtxt: <original message>", same code
//
// Exit codes follow Abseil's status.h guidance: input the user can fix (InvalidArgument,
// NotFound, DataLoss, FailedPrecondition, OutOfRange, AlreadyExists) -> 2; anything else
// (Internal, Unknown, ...) is our bug -> 1; OK -> 0.
#ifndef MMDET_CORE_STATUS_H_
#define MMDET_CORE_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mmdet {

// Returns `status` with "context: " prepended to its message; OK stays OK.
absl::Status Annotate(const absl::Status& status, absl::string_view context);

// 0 for OK, 2 for errors in the user's input, 1 for internal errors.
int ExitCodeForStatus(const absl::Status& status);

}  // namespace mmdet

#endif  // MMDET_CORE_STATUS_H_
