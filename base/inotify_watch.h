// DirectoryWatch through Linux's inotify: one inotify instance, one watch per
// directory, events read without blocking when asked for.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "base/directory_watch.h"

namespace strata {

// Opens a directory below a root with O_PATH, as HostFs would (below a
// rootfs other than "/", without leaving it); the caller closes the fd.
using DirectoryOpener = std::function<absl::StatusOr<int>(HostRoot, absl::string_view)>;

// `resolve` names a root-relative path, for plain watches and messages;
// `open_below_rootfs` is used for kRootfs paths when the rootfs is not "/",
// so that symlinks cannot lead the watch out of it.
absl::StatusOr<std::unique_ptr<DirectoryWatch>> NewInotifyWatch(
    std::function<std::string(HostRoot, absl::string_view)> resolve,
    DirectoryOpener open_below_rootfs);

}  // namespace strata
