// SHA-256 (FIPS 180-4), for publish_model's file hash (`sha256sum`'s digest).
#ifndef MMDET_CORE_SHA256_H_
#define MMDET_CORE_SHA256_H_

#include <string>

#include "absl/strings/string_view.h"

namespace mmdet {

// The digest of `data` as 64 lowercase hex digits.
std::string Sha256Hex(absl::string_view data);

}  // namespace mmdet

#endif  // MMDET_CORE_SHA256_H_
