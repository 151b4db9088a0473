// The cgroup files kept open between scrapes with
// --collector.cgroup.keep-files-open: each is read again with one pread
// instead of open, read and close, for about 4-6 KB of kernel memory per file
// while it is kept. Files not read in a scrape are closed at its end (their
// cgroup was removed, renamed or filtered out); a file whose cgroup was
// removed reads NotFound and is opened again by name, in case a cgroup of
// the same name replaced it. At most `capacity` files are kept; the rest are
// read by name.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/host_fs.h"

namespace strata {

class KeptFiles {
 public:
  KeptFiles(const HostFs& fs, size_t capacity) : fs_(fs), capacity_(capacity) {}

  // The whole file now, into `buffer`, as HostFs::ReadSmallFile.
  absl::StatusOr<absl::string_view> Read(HostRoot root, const std::string& path,
                                         std::string& buffer);

  // Closes the files this scrape did not read.
  void EndScrape();

  size_t size() const { return files_.size(); }

 private:
  struct Kept {
    std::unique_ptr<RereadableFile> file;
    uint64_t scrape = 0;  // the last scrape that read it
  };

  const HostFs& fs_;
  const size_t capacity_;
  std::map<std::pair<HostRoot, std::string>, Kept> files_;
  uint64_t scrape_ = 1;
};

// Three quarters of the soft limit on open files (RLIMIT_NOFILE), which the
// exporter raises to the hard limit at start, keeping at least 1,024 for
// connections, sockets and every other collector.
size_t KeptFilesCapacity();

}  // namespace strata
