// The cgroups of the host, listed once and then kept true between scrapes.
//
// A directory watch (inotify) reports each directory in which a cgroup was
// made, removed or renamed, and only those are listed again, so a scrape of
// an unchanged host lists no directory at all. The whole tree is walked
// again when the hierarchies change, when the watch overflows or cannot be
// had (then on every refresh, as before), and once per rescan interval: a
// cgroup made through another mount of the same hierarchy (another cgroup
// namespace's, as a nested container manager has) raises no event on ours.
// Removals are always seen at once, since their files are gone (Forget).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/time/time.h"
#include "base/directory_watch.h"
#include "base/host_fs.h"
#include "base/logging.h"
#include "collectors/cgroup/walker.h"

namespace strata {

class CgroupTree {
 public:
  // `rescan_interval` 0 walks the whole tree on every refresh.
  CgroupTree(const HostFs& fs, const Logger& logger, int max_depth, absl::Duration rescan_interval);

  // The cgroups now. `vanished` counts directories removed while they were
  // being listed by this refresh.
  const CgroupWalk& Refresh(const std::vector<HierarchyLocation>& hierarchies, absl::Time now);

  // A cgroup found gone from every hierarchy (its files could not be read):
  // it and everything below it are dropped until they are listed again.
  void Forget(const std::string& path);

  // Whole-tree walks so far, for tests and benchmarks.
  int full_walks() const { return full_walks_; }

 private:
  // A cgroup path and, per hierarchy, whether it is there and its watch.
  static constexpr int kAbsent = -2;     // not in this hierarchy
  static constexpr int kUnwatched = -1;  // there, not watched (depth limit, no watch)
  struct Node {
    int depth = 0;
    absl::InlinedVector<int, 8> watch;  // per hierarchy: kAbsent, kUnwatched or the watch id
  };
  // One map for every hierarchy: a path is kept once however many list it.
  using Nodes = std::map<std::string, Node>;

  void WalkEverything(absl::Time now);
  // Lists `path` (depth `depth`) of hierarchy `h` and everything below it.
  void AddSubtree(size_t h, const std::string& path, int depth);
  void RemoveSubtree(size_t h, const std::string& path);
  // Lists a known directory again and adds or removes the children that changed.
  void Relist(size_t h, const std::string& path);
  // Marks the node absent from hierarchy `h`, dropping its watch there; erases
  // it when no hierarchy has it. Returns the next node.
  Nodes::iterator Leave(size_t h, Nodes::iterator node);
  void Publish();
  void DropWatch(absl::string_view reason);

  const HostFs& fs_;
  const Logger& logger_;
  const int max_depth_;
  const absl::Duration rescan_interval_;
  std::vector<HierarchyLocation> hierarchies_;
  Nodes nodes_;
  std::unique_ptr<DirectoryWatch> watch_;
  // Watch id to the (hierarchy, path) it stands for, the path being a node's
  // key; a bind-mounted directory is one id for several.
  absl::flat_hash_map<int, absl::InlinedVector<std::pair<size_t, const std::string*>, 1>> watched_;
  std::string watch_error_logged_;
  absl::Time last_walk_ = absl::InfinitePast();
  absl::Time now_;                                       // of the refresh under way
  absl::Time watch_retry_after_ = absl::InfinitePast();  // after a failed watch
  int full_walks_ = 0;
  CgroupWalk walk_;
  std::set<std::string> vanished_paths_;  // listed by a parent, gone when listed
  absl::Status status_;
};

}  // namespace strata
