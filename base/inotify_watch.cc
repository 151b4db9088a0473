#include "base/inotify_watch.h"

#include <errno.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/errno_status.h"

namespace strata {
namespace {

// Subdirectories made, removed or renamed in the directory, and the
// directory itself removed or renamed. File events are not asked for: in
// cgroupfs the kernel makes files, and no file change says anything about
// the tree.
constexpr uint32_t kWatchMask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                                IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

class InotifyWatch : public DirectoryWatch {
 public:
  InotifyWatch(int fd, std::function<std::string(HostRoot, absl::string_view)> resolve,
               DirectoryOpener open_below_rootfs)
      : fd_(fd), resolve_(std::move(resolve)), open_below_rootfs_(std::move(open_below_rootfs)) {}
  ~InotifyWatch() override { close(fd_); }
  InotifyWatch(const InotifyWatch&) = delete;
  InotifyWatch& operator=(const InotifyWatch&) = delete;

  absl::StatusOr<int> Add(HostRoot root, absl::string_view path) override {
    const std::string full = resolve_(root, path);
    int wd;
    if (open_below_rootfs_ != nullptr && root == HostRoot::kRootfs) {
      absl::StatusOr<int> dir = open_below_rootfs_(root, path);
      if (!dir.ok()) return dir.status();
      // The kernel follows the descriptor's link to the directory it opened.
      wd = inotify_add_watch(fd_, absl::StrCat("/proc/self/fd/", *dir).c_str(), kWatchMask);
      const int err = errno;
      close(*dir);
      errno = err;
    } else {
      wd = inotify_add_watch(fd_, full.c_str(), kWatchMask | IN_DONT_FOLLOW);
    }
    if (wd >= 0) return wd;
    if (errno == ENOSPC) {
      return absl::ResourceExhaustedError(absl::StrCat("watch ", full, ": ", std::strerror(errno),
                                                       " (fs.inotify.max_user_watches reached)"));
    }
    return ErrnoStatus(errno, "watch", full);
  }

  void Remove(int id) override { inotify_rm_watch(fd_, id); }

  absl::StatusOr<DirectoryChanges> TakeChanges() override {
    DirectoryChanges changes;
    std::set<int> changed;
    alignas(inotify_event) char buffer[64 << 10];
    while (true) {
      const ssize_t n = read(fd_, buffer, sizeof(buffer));
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) break;
        return absl::InternalError(absl::StrCat("read inotify events: ", std::strerror(errno)));
      }
      if (n == 0) break;
      for (ssize_t at = 0; at + static_cast<ssize_t>(sizeof(inotify_event)) <= n;) {
        const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
        at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
        if (event->mask & IN_Q_OVERFLOW) changes.overflowed = true;
        if (event->wd < 0) continue;
        const bool subdirectory = (event->mask & IN_ISDIR) != 0;
        const bool itself = (event->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) != 0;
        if (subdirectory || itself) changed.insert(event->wd);
      }
    }
    changes.changed.assign(changed.begin(), changed.end());
    return changes;
  }

 private:
  const int fd_;
  const std::function<std::string(HostRoot, absl::string_view)> resolve_;
  const DirectoryOpener open_below_rootfs_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<DirectoryWatch>> NewInotifyWatch(
    std::function<std::string(HostRoot, absl::string_view)> resolve,
    DirectoryOpener open_below_rootfs) {
  const int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return absl::Status(
        err == EMFILE ? absl::StatusCode::kResourceExhausted : absl::StatusCode::kInternal,
        absl::StrCat("inotify_init1: ", std::strerror(err),
                     err == EMFILE ? " (fs.inotify.max_user_instances reached)" : ""));
  }
  return std::make_unique<InotifyWatch>(fd, std::move(resolve), std::move(open_below_rootfs));
}

}  // namespace strata
