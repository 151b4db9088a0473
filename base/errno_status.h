// An errno as an absl::Status naming what failed on which path.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace strata {

// "<what> <path>: <strerror>", as NotFound (ENOENT, ENOTDIR), PermissionDenied
// (EACCES, EPERM) or Internal (anything else).
absl::Status ErrnoStatus(int err, absl::string_view what, absl::string_view path);

}  // namespace strata
