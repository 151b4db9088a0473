#include "base/host_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace strata {
namespace {

absl::Status ErrnoStatus(int err, absl::string_view what, absl::string_view path) {
  std::string message = absl::StrCat(what, " ", path, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    default:
      return absl::InternalError(message);
  }
}

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

// Opens a regular file for reading; anything else is refused before a read
// could block on it (O_NONBLOCK covers a FIFO swapped in meanwhile). `st`
// receives the file's stat.
absl::StatusOr<int> OpenRegularFile(const std::string& full, struct stat& st) {
  const int fd = open(full.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return ErrnoStatus(errno, "open", full);
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

class RealHostFs : public HostFs {
 public:
  explicit RealHostFs(HostPaths paths) : paths_(std::move(paths)) {}

  absl::StatusOr<std::string> ReadFile(HostRoot root, absl::string_view path) const override {
    const std::string full = Resolve(root, path);
    struct stat st;
    absl::StatusOr<int> opened = OpenRegularFile(full, st);
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
    struct stat st;
    if (stat(full.c_str(), &st) == 0) return true;
    if (errno == ENOENT || errno == ENOTDIR) return false;
    return ErrnoStatus(errno, "stat", full);
  }

  absl::StatusOr<FileStat> Stat(HostRoot root, absl::string_view path) const override {
    const std::string full = Resolve(root, path);
    struct stat st;
    if (stat(full.c_str(), &st) != 0) return ErrnoStatus(errno, "stat", full);
    return ToFileStat(st);
  }

  absl::Status ReadFileChunks(HostRoot root, absl::string_view path,
                              const ChunkConsumer& consume) const override {
    const std::string full = Resolve(root, path);
    struct stat st;
    absl::StatusOr<int> opened = OpenRegularFile(full, st);
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
    absl::StatusOr<int> opened = OpenRegularFile(full, st);
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
  absl::StatusOr<std::vector<std::string>> List(HostRoot root, absl::string_view path,
                                                bool subdirs_only) const {
    const std::string full = Resolve(root, path);
    DIR* dir = opendir(full.c_str());
    if (dir == nullptr) return ErrnoStatus(errno, "opendir", full);
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
};

}  // namespace

std::unique_ptr<HostFs> NewRealHostFs(HostPaths paths) {
  return std::make_unique<RealHostFs>(std::move(paths));
}

}  // namespace strata
