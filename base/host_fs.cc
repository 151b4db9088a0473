#include "base/host_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/directory_watch.h"
#include "base/errno_status.h"
#include "base/inotify_watch.h"

namespace strata {
namespace {

// Closes a file descriptor when it goes out of scope.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Checks that `fd` (open for reading) is a regular file before a read could
// block on it (O_NONBLOCK covers a FIFO swapped in meanwhile); closes it
// otherwise. `st` receives the file's stat.
absl::StatusOr<int> CheckRegularFile(int fd, const std::string& full, struct stat& st) {
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    return ErrnoStatus(err, "stat", full);
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return absl::FailedPreconditionError(absl::StrCat("read ", full, ": not a regular file"));
  }
  return fd;
}

constexpr int kReadFlags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;

// Enough for any cgroup or sysfs file in one read; memory.stat is about 1.5 KiB.
constexpr size_t kSmallFileBuffer = 16 << 10;

// Reads the whole of `fd` from offset 0 into `buffer`; a short read is the end.
absl::StatusOr<absl::string_view> PreadWhole(int fd, const std::string& full, std::string& buffer) {
  if (buffer.size() < kSmallFileBuffer) buffer.resize(kSmallFileBuffer);
  size_t have = 0;
  while (true) {
    const size_t room = buffer.size() - have;
    const ssize_t n = pread(fd, &buffer[have], room, static_cast<off_t>(have));
    if (n < 0) {
      if (errno == EINTR) continue;
      // kernfs answers ENODEV once the file's cgroup or device is removed.
      if (errno == ENODEV) return absl::NotFoundError(absl::StrCat("read ", full, ": removed"));
      return ErrnoStatus(errno, "read", full);
    }
    have += static_cast<size_t>(n);
    if (static_cast<size_t>(n) < room) break;  // the end of the file
    if (buffer.size() > kMaxHostFileBytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("read ", full, ": larger than ", kMaxHostFileBytes, " bytes"));
    }
    buffer.resize(std::min(buffer.size() * 2, kMaxHostFileBytes + 1));
  }
  return absl::string_view(buffer.data(), have);
}

class KeptFile : public RereadableFile {
 public:
  KeptFile(int fd, std::string full) : fd_(fd), full_(std::move(full)) {}
  absl::StatusOr<absl::string_view> Reread(std::string& buffer) override {
    return PreadWhole(fd_.get(), full_, buffer);
  }

 private:
  ScopedFd fd_;
  const std::string full_;
};

class RealHostFs : public HostFs {
 public:
  explicit RealHostFs(HostPaths paths)
      : paths_(std::move(paths)),
        rootfs_is_slash_(paths_.rootfs.find_first_not_of('/') == std::string::npos) {}

  absl::StatusOr<std::string> ReadFile(HostRoot root, absl::string_view path) const override {
    const std::string full = Resolve(root, path);
    struct stat st;
    absl::StatusOr<int> opened = OpenRegularFile(root, path, full, st);
    if (!opened.ok()) return opened.status();
    ScopedFd fd(*opened);
    std::string contents;
    // Files in procfs and sysfs report size 0, so read until end of file.
    char buffer[16384];
    while (true) {
      ssize_t n = read(fd.get(), buffer, sizeof(buffer));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "read", full);
      }
      if (n == 0) break;
      contents.append(buffer, static_cast<size_t>(n));
      if (contents.size() > kMaxHostFileBytes) {
        return absl::ResourceExhaustedError(
            absl::StrCat("read ", full, ": larger than ", kMaxHostFileBytes, " bytes"));
      }
    }
    return contents;
  }

  absl::StatusOr<absl::string_view> ReadSmallFile(HostRoot root, absl::string_view path,
                                                  std::string& buffer) const override {
    const std::string full = Resolve(root, path);
    absl::StatusOr<int> opened = Open(root, path, kReadFlags, full);
    if (!opened.ok()) return opened.status();
    ScopedFd fd(*opened);
    return PreadWhole(fd.get(), full, buffer);
  }

  absl::StatusOr<std::unique_ptr<RereadableFile>> OpenRereadable(
      HostRoot root, absl::string_view path) const override {
    std::string full = Resolve(root, path);
    struct stat st;
    absl::StatusOr<int> opened = OpenRegularFile(root, path, full, st);
    if (!opened.ok()) return opened.status();
    return std::make_unique<KeptFile>(*opened, std::move(full));
  }

  absl::StatusOr<std::unique_ptr<DirectoryWatch>> WatchDirectories() const override {
    DirectoryOpener open_below_rootfs;
    if (!rootfs_is_slash_) {
      open_below_rootfs = [this](HostRoot root, absl::string_view path) {
        return Open(root, path, O_PATH | O_DIRECTORY | O_CLOEXEC, Resolve(root, path), "watch");
      };
    }
    return NewInotifyWatch(
        [this](HostRoot root, absl::string_view path) { return Resolve(root, path); },
        std::move(open_below_rootfs));
  }

  absl::StatusOr<std::vector<std::string>> ListDir(HostRoot root,
                                                   absl::string_view path) const override {
    return List(root, path, /*subdirs_only=*/false);
  }

  absl::StatusOr<std::vector<std::string>> ListSubdirs(HostRoot root,
                                                       absl::string_view path) const override {
    return List(root, path, /*subdirs_only=*/true);
  }

  absl::StatusOr<bool> Exists(HostRoot root, absl::string_view path) const override {
    const std::string full = Resolve(root, path);
    absl::StatusOr<int> opened = Open(root, path, O_PATH | O_CLOEXEC, full, "stat");
    if (opened.ok()) {
      close(*opened);
      return true;
    }
    if (absl::IsNotFound(opened.status())) return false;
    return opened.status();
  }

  absl::StatusOr<FileStat> Stat(HostRoot root, absl::string_view path) const override {
    const std::string full = Resolve(root, path);
    absl::StatusOr<int> opened = Open(root, path, O_PATH | O_CLOEXEC, full, "stat");
    if (!opened.ok()) return opened.status();
    ScopedFd fd(*opened);
    struct stat st;
    if (fstat(fd.get(), &st) != 0) return ErrnoStatus(errno, "stat", full);
    return ToFileStat(st);
  }

  absl::StatusOr<std::string> RealPath(HostRoot root, absl::string_view path) const override {
    const std::string full = Resolve(root, path);
    absl::StatusOr<int> opened = Open(root, path, O_PATH | O_CLOEXEC, full);
    if (!opened.ok()) return opened.status();
    ScopedFd fd(*opened);
    // The kernel's name for the open file: every symlink already resolved.
    const std::string link = absl::StrCat("/proc/self/fd/", fd.get());
    char target[4096];
    const ssize_t n = readlink(link.c_str(), target, sizeof(target));
    if (n < 0) return ErrnoStatus(errno, "readlink", link);
    if (static_cast<size_t>(n) == sizeof(target)) {
      return absl::OutOfRangeError(absl::StrCat("readlink ", link, ": path too long"));
    }
    return std::string(target, static_cast<size_t>(n));
  }

  absl::Status ReadFileChunks(HostRoot root, absl::string_view path,
                              const ChunkConsumer& consume) const override {
    const std::string full = Resolve(root, path);
    struct stat st;
    absl::StatusOr<int> opened = OpenRegularFile(root, path, full, st);
    if (!opened.ok()) return opened.status();
    ScopedFd fd(*opened);
    std::vector<char> buffer(64 << 10);
    while (true) {
      ssize_t n = read(fd.get(), buffer.data(), buffer.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "read", full);
      }
      if (n == 0) return absl::OkStatus();
      absl::Status status = consume(absl::string_view(buffer.data(), static_cast<size_t>(n)));
      if (!status.ok()) return status;
    }
  }

  absl::StatusOr<std::string> ReadFileTail(HostRoot root, absl::string_view path,
                                           size_t max_bytes) const override {
    const std::string full = Resolve(root, path);
    struct stat st;
    absl::StatusOr<int> opened = OpenRegularFile(root, path, full, st);
    if (!opened.ok()) return opened.status();
    ScopedFd fd(*opened);
    const off_t size = st.st_size;
    off_t offset = size > static_cast<off_t>(max_bytes) ? size - static_cast<off_t>(max_bytes) : 0;
    // The file may grow while it is read: take at most max_bytes from offset.
    std::string contents(max_bytes, '\0');
    size_t have = 0;
    while (have < max_bytes) {
      ssize_t n = pread(fd.get(), &contents[have], max_bytes - have, offset + have);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "read", full);
      }
      if (n == 0) break;
      have += static_cast<size_t>(n);
    }
    contents.resize(have);
    return contents;
  }

  absl::StatusOr<std::string> ReadLink(HostRoot root, absl::string_view path) const override {
    const std::string full = Resolve(root, path);
    // One byte more than the limit, to tell a target of exactly the limit
    // from a truncated one (readlink(2) truncates silently).
    std::string target(kMaxLinkTargetBytes + 1, '\0');
    const ssize_t n = readlink(full.c_str(), target.data(), target.size());
    if (n < 0) {
      if (errno == EINVAL) {
        return absl::FailedPreconditionError(
            absl::StrCat("readlink ", full, ": not a symbolic link"));
      }
      return ErrnoStatus(errno, "readlink", full);
    }
    if (static_cast<size_t>(n) > kMaxLinkTargetBytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("readlink ", full, ": target longer than ", kMaxLinkTargetBytes, " bytes"));
    }
    target.resize(static_cast<size_t>(n));
    return target;
  }

  std::string Resolve(HostRoot root, absl::string_view path) const override {
    absl::string_view base;
    switch (root) {
      case HostRoot::kProc:
        base = paths_.procfs;
        break;
      case HostRoot::kSys:
        base = paths_.sysfs;
        break;
      case HostRoot::kRootfs:
        base = paths_.rootfs;
        break;
    }
    absl::ConsumeSuffix(&base, "/");
    absl::ConsumePrefix(&path, "/");
    return absl::StrCat(base, "/", path);
  }

 private:
  // Opens `path` below its root with `flags` (`full` is its name for errors).
  // Below a rootfs other than "/", openat2's RESOLVE_IN_ROOT makes "/" and
  // ".." in the path and in every symlink on the way mean the rootfs; magic
  // links (/proc/PID/fd/...) are refused. Kernels before 5.6 lack openat2:
  // there the path is opened as named.
  absl::StatusOr<int> Open(HostRoot root, absl::string_view path, int flags,
                           const std::string& full, absl::string_view verb = "open") const {
    if (root == HostRoot::kRootfs && !rootfs_is_slash_) {
      ScopedFd base(open(paths_.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (base.get() < 0) return ErrnoStatus(errno, "open", paths_.rootfs);
      absl::ConsumePrefix(&path, "/");
      const std::string relative = path.empty() ? "." : std::string(path);
      struct open_how how = {};
      how.flags = static_cast<uint64_t>(flags);
      how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
      const long fd = syscall(SYS_openat2, base.get(), relative.c_str(), &how, sizeof(how));
      if (fd >= 0) return static_cast<int>(fd);
      if (errno != ENOSYS) return ErrnoStatus(errno, verb, full);
    }
    const int fd = open(full.c_str(), flags);
    if (fd < 0) return ErrnoStatus(errno, verb, full);
    return fd;
  }

  absl::StatusOr<int> OpenRegularFile(HostRoot root, absl::string_view path,
                                      const std::string& full, struct stat& st) const {
    absl::StatusOr<int> opened = Open(root, path, kReadFlags, full);
    if (!opened.ok()) return opened.status();
    return CheckRegularFile(*opened, full, st);
  }

  absl::StatusOr<std::vector<std::string>> List(HostRoot root, absl::string_view path,
                                                bool subdirs_only) const {
    const std::string full = Resolve(root, path);
    absl::StatusOr<int> opened =
        Open(root, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, full, "opendir");
    if (!opened.ok()) return opened.status();
    DIR* dir = fdopendir(*opened);
    if (dir == nullptr) {
      const int err = errno;
      close(*opened);
      return ErrnoStatus(err, "opendir", full);
    }
    std::vector<std::string> names;
    errno = 0;
    while (dirent* entry = readdir(dir)) {
      absl::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      if (subdirs_only && !IsDirectory(dirfd(dir), entry)) continue;
      names.emplace_back(name);
    }
    int err = errno;
    closedir(dir);
    if (err != 0) return ErrnoStatus(err, "readdir", full);
    std::sort(names.begin(), names.end());
    return names;
  }

  static FileStat ToFileStat(const struct stat& st) {
    FileStat out;
    if (S_ISREG(st.st_mode)) {
      out.type = FileStat::Type::kRegular;
    } else if (S_ISDIR(st.st_mode)) {
      out.type = FileStat::Type::kDirectory;
    } else if (S_ISLNK(st.st_mode)) {
      out.type = FileStat::Type::kSymlink;
    } else if (S_ISFIFO(st.st_mode)) {
      out.type = FileStat::Type::kFifo;
    } else if (S_ISSOCK(st.st_mode)) {
      out.type = FileStat::Type::kSocket;
    } else if (S_ISCHR(st.st_mode)) {
      out.type = FileStat::Type::kCharDevice;
    } else {
      out.type = FileStat::Type::kBlockDevice;
    }
    out.mode = static_cast<uint32_t>(st.st_mode & 07777);
    out.device = static_cast<uint64_t>(st.st_dev);
    out.inode = static_cast<uint64_t>(st.st_ino);
    out.size = static_cast<int64_t>(st.st_size);
    out.mtime = absl::TimeFromTimespec(st.st_mtim);
    out.ctime = absl::TimeFromTimespec(st.st_ctim);
    return out;
  }

  // d_type saves a stat per entry; file systems that do not fill it get one.
  static bool IsDirectory(int dir_fd, const dirent* entry) {
    if (entry->d_type != DT_UNKNOWN) return entry->d_type == DT_DIR;
    struct stat st;
    return fstatat(dir_fd, entry->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode);
  }

  const HostPaths paths_;
  const bool rootfs_is_slash_;  // "/" (or "//"): plain opens
};

}  // namespace

absl::StatusOr<absl::string_view> HostFs::ReadSmallFile(HostRoot root, absl::string_view path,
                                                        std::string& buffer) const {
  absl::StatusOr<std::string> text = ReadFile(root, path);
  if (!text.ok()) return text.status();
  buffer = *std::move(text);
  return absl::string_view(buffer);
}

namespace {

// For file systems that cannot keep a file: read by name each time.
class ReopenedFile : public RereadableFile {
 public:
  ReopenedFile(const HostFs& fs, HostRoot root, std::string path)
      : fs_(fs), root_(root), path_(std::move(path)) {}
  absl::StatusOr<absl::string_view> Reread(std::string& buffer) override {
    return fs_.ReadSmallFile(root_, path_, buffer);
  }

 private:
  const HostFs& fs_;
  const HostRoot root_;
  const std::string path_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RereadableFile>> HostFs::OpenRereadable(
    HostRoot root, absl::string_view path) const {
  return std::make_unique<ReopenedFile>(*this, root, std::string(path));
}

absl::StatusOr<std::unique_ptr<DirectoryWatch>> HostFs::WatchDirectories() const {
  return nullptr;  // cannot watch: callers list again each time
}

std::unique_ptr<HostFs> NewRealHostFs(HostPaths paths) {
  return std::make_unique<RealHostFs>(std::move(paths));
}

}  // namespace strata
