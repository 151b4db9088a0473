// Reading a convergence tool's report file (Ansible's results, Chef's run
// report) safely: absent is not an error, anything but a regular file is
// refused before it is opened (a FIFO would block the read), and a file over
// the caller's cap is refused before it is read.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/host_fs.h"

namespace strata {

// The contents of `path` below `root`; nullopt when the file does not exist
// (or vanished while being read). Errors name the absolute path: another
// stat or read error (permission, symlink loop) as HostFs reports it,
// FailedPrecondition for a directory, FIFO or device, ResourceExhausted for a
// file larger than `max_bytes`.
absl::StatusOr<std::optional<std::string>> ReadReportFile(const HostFs& fs, HostRoot root,
                                                          absl::string_view path, size_t max_bytes);

}  // namespace strata
