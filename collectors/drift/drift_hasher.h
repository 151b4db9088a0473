// SHA-256 of host files for the drift collector, through OpenSSL's EVP
// interface, read in chunks so that a file of any size is hashed in constant
// memory; and a cache that hashes a file again only when stat(2) says it
// changed. Not thread-safe: one cache per collector, which the scraper never
// runs twice at once.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/host_fs.h"

namespace strata {

// SHA-256 of a regular file below `root`, read in chunks, as 64 lowercase hex
// digits; `bytes_read` (when not null) receives how much was read. Errors are
// ReadFileChunks' errors, or Internal if OpenSSL fails.
absl::StatusOr<std::string> Sha256HexOfFile(const HostFs& fs, HostRoot root, absl::string_view path,
                                            uint64_t* bytes_read);

// What identifies one version of a file without reading it.
struct FileVersion {
  uint64_t device = 0;
  uint64_t inode = 0;
  int64_t size = 0;
  absl::Time mtime;
  absl::Time ctime;

  static FileVersion Of(const FileStat& stat) {
    return {stat.device, stat.inode, stat.size, stat.mtime, stat.ctime};
  }
  bool operator==(const FileVersion& other) const {
    return device == other.device && inode == other.inode && size == other.size &&
           mtime == other.mtime && ctime == other.ctime;
  }
  bool operator!=(const FileVersion& other) const { return !(*this == other); }
};

// The result of looking at one file named by a baseline.
struct FileDigest {
  enum class State { kHashed, kMissing, kUnreadable };
  State state = State::kHashed;
  std::string sha256;  // when kHashed
  std::string error;   // when kUnreadable: why, with the file's absolute path
};

class FileDigestCache {
 public:
  explicit FileDigestCache(const HostFs& fs) : fs_(fs) {}

  // The digest of a file below --path.rootfs. Missing when the path or one of
  // its directories does not exist (NotFound: ENOENT, ENOTDIR); unreadable for
  // any other error (permission, a symlink loop) and for anything that is not
  // a regular file, which is never opened (a FIFO would block).
  FileDigest Get(const std::string& path);

  // Drops the entries of files not asked for since the last call, so that
  // files no longer in a baseline do not stay cached. Call once per scrape.
  void Sweep();

  uint64_t files_hashed() const { return files_hashed_; }
  uint64_t bytes_hashed() const { return bytes_hashed_; }

 private:
  struct Entry {
    FileVersion version;
    std::string sha256;
    bool used = false;
  };

  const HostFs& fs_;
  std::map<std::string, Entry> entries_;
  uint64_t files_hashed_ = 0;
  uint64_t bytes_hashed_ = 0;
};

}  // namespace strata
