// Tells which directories had subdirectories made, removed or renamed in
// them, so a tree can be listed once and then kept true by listing again only
// what changed. Obtained from HostFs::WatchDirectories; polled, never blocks.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/host_fs.h"

namespace strata {

struct DirectoryChanges {
  // Ids (from Add) of the directories whose subdirectories changed, or that
  // were themselves removed or renamed; each id at most once.
  std::vector<int> changed;
  // Changes were lost (the kernel's queue overflowed): nothing said here can
  // be trusted, and the whole tree must be listed again.
  bool overflowed = false;
};

class DirectoryWatch {
 public:
  virtual ~DirectoryWatch() = default;

  // Starts watching a directory. One directory reached by two paths (a bind
  // mount) has one id. NotFound if it does not exist; ResourceExhausted when
  // the host's limit on watches is reached.
  virtual absl::StatusOr<int> Add(HostRoot root, absl::string_view path) = 0;

  // Stops watching; an id the kernel already dropped (a removed directory)
  // is ignored.
  virtual void Remove(int id) = 0;

  // What changed since the last call; returns at once.
  virtual absl::StatusOr<DirectoryChanges> TakeChanges() = 0;
};

}  // namespace strata
