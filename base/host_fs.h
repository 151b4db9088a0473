// Read-only access to the host's files, rooted at --path.procfs, --path.sysfs
// and --path.rootfs.
//
// Every file a collector reads goes through this interface, so the same code
// runs on the live host, on a committed fixture tree, or on a fake that
// injects faults. Implementations are thread-safe; nothing is ever written.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace strata {

// Which injected root a path is relative to. Below a --path.rootfs other
// than "/" (the host's / mounted into a container), symlinks resolve inside
// that root, as they do on the host: an absolute link such as
// /var/run -> /run names the host's /run, never the exporter's own, and no
// ".." leaves the root. procfs and sysfs are taken as the kernel gives them.
enum class HostRoot { kProc, kSys, kRootfs };

// The three roots, as given on the command line.
struct HostPaths {
  std::string procfs = "/proc";
  std::string sysfs = "/sys";
  std::string rootfs = "/";
};

// What stat(2) says about a file, as far as collectors need it.
struct FileStat {
  enum class Type { kRegular, kDirectory, kSymlink, kFifo, kSocket, kCharDevice, kBlockDevice };
  Type type = Type::kRegular;
  uint32_t mode = 0;  // permission bits (st_mode & 07777)
  uint64_t device = 0;
  uint64_t inode = 0;
  int64_t size = 0;
  absl::Time mtime;  // nanosecond resolution where the file system keeps it
  absl::Time ctime;
};

// Receives the chunks of a file in order; a non-OK return stops the read and
// is passed on to the caller.
using ChunkConsumer = std::function<absl::Status(absl::string_view chunk)>;

class DirectoryWatch;

// A small file kept open to be read again from its start, one pread each
// time instead of open, read and close (HostFs::OpenRereadable).
class RereadableFile {
 public:
  virtual ~RereadableFile() = default;
  // The whole file as it is now, into `buffer`, as ReadSmallFile reads it.
  // NotFound once the file is gone (a removed cgroup's file reads ENODEV).
  virtual absl::StatusOr<absl::string_view> Reread(std::string& buffer) = 0;
};

class HostFs {
 public:
  virtual ~HostFs() = default;

  // Whole contents of a regular file. NotFound if it does not exist,
  // PermissionDenied if it may not be read, ResourceExhausted if larger than
  // the read limit, FailedPrecondition if it is not a regular file (a FIFO, a
  // device, a socket, a directory); the message always names the absolute
  // path. Opened without blocking (O_NONBLOCK|O_CLOEXEC) and checked with
  // fstat before any read, so a FIFO with no writer cannot hang the caller.
  virtual absl::StatusOr<std::string> ReadFile(HostRoot root, absl::string_view path) const = 0;

  // Names in a directory, sorted, without "." and "..". Same errors as ReadFile.
  virtual absl::StatusOr<std::vector<std::string>> ListDir(HostRoot root,
                                                           absl::string_view path) const = 0;

  // Names of the subdirectories of a directory, sorted. Same errors as ReadFile.
  virtual absl::StatusOr<std::vector<std::string>> ListSubdirs(HostRoot root,
                                                               absl::string_view path) const = 0;

  // Whether the path exists (file, directory or anything else). Errors other
  // than "does not exist" are returned as such.
  virtual absl::StatusOr<bool> Exists(HostRoot root, absl::string_view path) const = 0;

  // stat(2) of the path, following symbolic links. Same errors as ReadFile;
  // a symlink loop (ELOOP) is Internal, with the message saying so.
  virtual absl::StatusOr<FileStat> Stat(HostRoot root, absl::string_view path) const = 0;

  // Reads a regular file from start to end in chunks of at most 64 KiB,
  // handing each to `consume`, so files of any size can be hashed without
  // holding them in memory; there is no size limit. The file is opened
  // without blocking (O_NONBLOCK), so a FIFO with no writer cannot hang the
  // caller: anything but a regular file is FailedPrecondition. Same errors as
  // ReadFile otherwise, plus whatever `consume` returns.
  virtual absl::Status ReadFileChunks(HostRoot root, absl::string_view path,
                                      const ChunkConsumer& consume) const = 0;

  // The last `max_bytes` bytes of a regular file (all of it when smaller), for
  // logs that only ever grow and whose newest lines are all that matter. Opened
  // without blocking, as ReadFileChunks: anything but a regular file is
  // FailedPrecondition. Same errors as ReadFile otherwise.
  virtual absl::StatusOr<std::string> ReadFileTail(HostRoot root, absl::string_view path,
                                                   size_t max_bytes) const = 0;

  // The target of a symbolic link, as readlink(2) gives it (not resolved):
  // "net:[4026531840]" for /proc/PID/ns/net. NotFound if it does not exist
  // (a task that exited), PermissionDenied if it may not be read (another
  // user's task without CAP_SYS_PTRACE), FailedPrecondition if it is not a
  // symbolic link, ResourceExhausted if the target is longer than
  // kMaxLinkTargetBytes; the message names the absolute path.
  virtual absl::StatusOr<std::string> ReadLink(HostRoot root, absl::string_view path) const = 0;

  // The whole of a small file in as few system calls as the kernel allows:
  // open, one pread from offset 0 into `buffer` (kept by the caller from one file to the
  // next, so nothing is allocated per file), close. A read shorter than the
  // buffer is taken as the end of the file, as it is for regular files and
  // for the one-record files of cgroupfs and sysfs; multi-record procfs files
  // (mountinfo) need ReadFile. No fstat: a FIFO cannot block it (O_NONBLOCK,
  // and pread refuses pipes), and a file that never ends stops at kMaxHostFileBytes
  // (ResourceExhausted). Returns a view into `buffer`, valid until its next
  // use. Errors as ReadFile, except that a directory or device is Internal or
  // read as it is rather than FailedPrecondition.
  virtual absl::StatusOr<absl::string_view> ReadSmallFile(HostRoot root, absl::string_view path,
                                                          std::string& buffer) const;

  // Opens a small file to be read again and again (RereadableFile). Each
  // one holds a descriptor and, in cgroupfs and sysfs, about 4 KB of kernel
  // memory (its seq_file buffer) for as long as it is kept. Errors as
  // ReadFile; anything but a regular file is FailedPrecondition. The default
  // reads the file by name each time.
  virtual absl::StatusOr<std::unique_ptr<RereadableFile>> OpenRereadable(
      HostRoot root, absl::string_view path) const;

  // A watch over directories below the roots, for trees listed once and
  // kept true (directory_watch.h); nullptr where the file system cannot tell
  // (fakes), and then callers list again each time. An error when watching
  // is possible but failed (the host's limit on inotify instances).
  virtual absl::StatusOr<std::unique_ptr<DirectoryWatch>> WatchDirectories() const;

  // The absolute path a root-relative path resolves to, for messages.
  virtual std::string Resolve(HostRoot root, absl::string_view path) const = 0;

  // The path, in the exporter's own file system, of what `path` names once
  // every symlink in it is resolved below its root, for what must be handed
  // to other code by name (a Unix socket to connect to). NotFound and
  // PermissionDenied as ReadFile. The default, for trees without symlinks
  // that leave the root, is Resolve().
  virtual absl::StatusOr<std::string> RealPath(HostRoot root, absl::string_view path) const {
    return Resolve(root, path);
  }
};

// The real file system below the given roots.
std::unique_ptr<HostFs> NewRealHostFs(HostPaths paths);

// Parses the text of a file read from `path` (or the error reading it) with
// `parse` (text -> StatusOr<T>), so one read can feed several parsers. A read
// error is returned as it is; a parse error with the file's absolute path in
// front.
template <typename Parser>
auto ParseRead(const HostFs& fs, HostRoot root, absl::string_view path,
               const absl::StatusOr<std::string>& text, Parser parse)
    -> decltype(parse(absl::string_view())) {
  if (!text.ok()) return text.status();
  auto parsed = parse(*text);
  if (!parsed.ok()) {
    return absl::Status(parsed.status().code(),
                        absl::StrCat(fs.Resolve(root, path), ": ", parsed.status().message()));
  }
  return parsed;
}

// Reads one file and parses its text with `parse` (text -> StatusOr<T>). A
// parse error is returned with the file's absolute path in front.
template <typename Parser>
auto ReadAndParse(const HostFs& fs, HostRoot root, absl::string_view path, Parser parse)
    -> decltype(parse(absl::string_view())) {
  return ParseRead(fs, root, path, fs.ReadFile(root, path), parse);
}

// Largest file ReadFile returns; kernel files are far smaller.
inline constexpr size_t kMaxHostFileBytes = 16 << 20;

// Longest symbolic link target ReadLink returns (PATH_MAX).
inline constexpr size_t kMaxLinkTargetBytes = 4096;

}  // namespace strata
