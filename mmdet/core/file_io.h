// Whole-file reads and atomic writes.
//
// Every result file and checkpoint goes through WriteFileAtomically: the bytes land in a
// temporary file beside the target, are flushed to disk, and the temporary is renamed over
// the target, so a crash or a full disk never leaves a truncated file under the real name.
#ifndef MMDET_CORE_FILE_IO_H_
#define MMDET_CORE_FILE_IO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mmdet {

// The contents of `path`. NotFound if it does not exist, InvalidArgument if it is a
// directory, PermissionDenied/Internal for other failures; the message names the path.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Writes `contents` to `path` through "<path>.tmp.<pid>" + fsync + rename. Creates no
// directories: the parent must exist (NotFound otherwise).
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents);

// Creates `path` and its missing parents (mkdir -p); existing folders are fine. The error
// names the first folder that could not be made.
absl::Status MakeDirs(const std::string& path);

// Path helpers on '/'-separated paths (no filesystem access).
std::string Dirname(absl::string_view path);  // "a/b/c.txt" -> "a/b", "c.txt" -> "."
std::string JoinPath(absl::string_view dir, absl::string_view path);  // absolute `path` wins
// Removes "." segments and folds "dir/.." pairs: "a/./b/../c" -> "a/c".
std::string NormalizePath(absl::string_view path);

}  // namespace mmdet

#endif  // MMDET_CORE_FILE_IO_H_
