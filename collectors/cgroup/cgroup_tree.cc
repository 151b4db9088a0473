#include "collectors/cgroup/cgroup_tree.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace strata {
namespace {

std::string ChildPath(const std::string& parent, absl::string_view name) {
  return parent == "/" ? absl::StrCat("/", name) : absl::StrCat(parent, "/", name);
}

std::string DirectoryOf(const HierarchyLocation& hierarchy, const std::string& path) {
  return path == "/" ? hierarchy.path : absl::StrCat(hierarchy.path, path);
}

}  // namespace

CgroupTree::CgroupTree(const HostFs& fs, const Logger& logger, int max_depth,
                       absl::Duration rescan_interval)
    : fs_(fs), logger_(logger), max_depth_(max_depth), rescan_interval_(rescan_interval) {}

const CgroupWalk& CgroupTree::Refresh(const std::vector<HierarchyLocation>& hierarchies,
                                      absl::Time now) {
  status_ = absl::OkStatus();
  vanished_paths_.clear();
  now_ = now;
  const bool due = now - last_walk_ >= rescan_interval_;
  if (hierarchies != hierarchies_ || watch_ == nullptr || due || !walk_.status.ok()) {
    hierarchies_ = hierarchies;
    WalkEverything(now);
    return walk_;
  }
  absl::StatusOr<DirectoryChanges> changes = watch_->TakeChanges();
  if (!changes.ok() || changes->overflowed) {
    logger_.Debug("cgroup directory events lost; walking every hierarchy again",
                  {{"collector", "cgroup"},
                   {"reason", changes.ok() ? std::string("overflow")
                                           : std::string(changes.status().message())}});
    WalkEverything(now);
    return walk_;
  }
  if (changes->changed.empty()) {
    walk_.vanished = 0;
    return walk_;
  }
  for (int id : changes->changed) {
    auto it = watched_.find(id);
    if (it == watched_.end()) continue;
    // A copy: listing again can drop watches, this one among them.
    const std::set<std::pair<size_t, std::string>> directories = it->second;
    for (const auto& [h, path] : directories) {
      if (watch_ == nullptr) break;
      Relist(h, path);
    }
  }
  Publish();
  return walk_;
}

void CgroupTree::Forget(const std::string& path) {
  for (size_t h = 0; h < dirs_.size(); ++h) RemoveSubtree(h, path);
  Publish();
}

void CgroupTree::WalkEverything(absl::Time now) {
  ++full_walks_;
  last_walk_ = now;
  dirs_.assign(hierarchies_.size(), Dirs());
  watched_.clear();
  watch_.reset();  // a new instance: every old watch goes with the old one
  // Walking every time needs no watch; after a failure, try again later.
  if (rescan_interval_ > absl::ZeroDuration() && now >= watch_retry_after_) {
    absl::StatusOr<std::unique_ptr<DirectoryWatch>> watch = fs_.WatchDirectories();
    if (watch.ok()) {
      watch_ = *std::move(watch);
    } else if (!absl::IsUnimplemented(watch.status())) {
      DropWatch(watch.status().message());
    }
  }
  for (size_t h = 0; h < hierarchies_.size(); ++h) AddSubtree(h, "/", 0);
  Publish();
}

void CgroupTree::AddSubtree(size_t h, const std::string& top, int top_depth) {
  const HierarchyLocation& hierarchy = hierarchies_[h];
  Dirs& dirs = dirs_[h];
  // Depth-first with an explicit stack: (cgroup path, depth).
  std::vector<std::pair<std::string, int>> stack = {{top, top_depth}};
  while (!stack.empty()) {
    auto [path, depth] = std::move(stack.back());
    stack.pop_back();
    const std::string dir = DirectoryOf(hierarchy, path);
    Dir entry;
    entry.depth = depth;
    // Watched before it is listed, so a cgroup made in between raises an event.
    if (watch_ != nullptr && depth < max_depth_) {
      absl::StatusOr<int> id = watch_->Add(hierarchy.root, dir);
      if (id.ok()) {
        entry.watch = *id;
        watched_[*id].insert({h, path});
      } else if (!absl::IsNotFound(id.status())) {
        DropWatch(id.status().message());
      }
    }
    absl::StatusOr<std::vector<std::string>> children = fs_.ListSubdirs(hierarchy.root, dir);
    if (!children.ok()) {
      if (entry.watch >= 0) {
        auto watched = watched_.find(entry.watch);
        watched->second.erase({h, path});
        if (watched->second.empty()) {
          if (watch_ != nullptr) watch_->Remove(entry.watch);
          watched_.erase(watched);
        }
      }
      if (path != "/" && absl::IsNotFound(children.status())) {
        vanished_paths_.insert(path);
      } else {
        status_.Update(children.status());
      }
      continue;
    }
    dirs[path] = entry;
    if (depth >= max_depth_) continue;
    for (const std::string& child : *children) {
      std::string child_path = ChildPath(path, child);
      if (dirs.count(child_path) == 0) stack.push_back({std::move(child_path), depth + 1});
    }
  }
}

void CgroupTree::RemoveSubtree(size_t h, const std::string& top) {
  Dirs& dirs = dirs_[h];
  const std::string prefix = top == "/" ? "/" : absl::StrCat(top, "/");
  auto first = dirs.lower_bound(top);
  auto last = first;
  while (last != dirs.end() && (last->first == top || absl::StartsWith(last->first, prefix))) {
    if (last->second.watch >= 0) {
      auto watched = watched_.find(last->second.watch);
      if (watched != watched_.end()) {
        watched->second.erase({h, last->first});
        if (watched->second.empty()) {
          if (watch_ != nullptr) watch_->Remove(last->second.watch);
          watched_.erase(watched);
        }
      }
    }
    ++last;
  }
  dirs.erase(first, last);
}

void CgroupTree::Relist(size_t h, const std::string& path) {
  Dirs& dirs = dirs_[h];
  auto it = dirs.find(path);
  if (it == dirs.end()) return;
  const int depth = it->second.depth;
  const HierarchyLocation& hierarchy = hierarchies_[h];
  absl::StatusOr<std::vector<std::string>> children =
      fs_.ListSubdirs(hierarchy.root, DirectoryOf(hierarchy, path));
  if (!children.ok()) {
    if (path != "/" && absl::IsNotFound(children.status())) {
      RemoveSubtree(h, path);
    } else {
      status_.Update(children.status());
    }
    return;
  }
  if (depth >= max_depth_) return;
  std::set<std::string> listed;
  for (const std::string& child : *children) listed.insert(ChildPath(path, child));
  const std::string prefix = path == "/" ? "/" : absl::StrCat(path, "/");
  std::vector<std::string> gone;
  for (auto known = dirs.upper_bound(path);
       known != dirs.end() && absl::StartsWith(known->first, prefix); ++known) {
    const bool direct = known->first.find('/', prefix.size()) == std::string::npos;
    if (direct && listed.erase(known->first) == 0) gone.push_back(known->first);
  }
  for (const std::string& child : gone) RemoveSubtree(h, child);
  for (const std::string& child : listed) AddSubtree(h, child, depth + 1);
}

void CgroupTree::Publish() {
  std::set<std::string> paths;
  for (const Dirs& dirs : dirs_) {
    for (const auto& [path, dir] : dirs) paths.insert(paths.end(), path);
  }
  walk_.paths.assign(paths.begin(), paths.end());
  // Gone from one hierarchy but listed in another: not vanished.
  walk_.vanished = 0;
  for (const std::string& path : vanished_paths_) walk_.vanished += paths.count(path) == 0;
  walk_.status = status_;
}

void CgroupTree::DropWatch(absl::string_view reason) {
  if (reason != watch_error_logged_) {
    logger_.Warn("cannot watch cgroup directories; walking every hierarchy on each scrape",
                 {{"collector", "cgroup"}, {"reason", std::string(reason)}});
    watch_error_logged_ = std::string(reason);
  }
  watch_.reset();
  watched_.clear();
  watch_retry_after_ = now_ + std::max(rescan_interval_, absl::Minutes(10));
  for (Dirs& dirs : dirs_) {
    for (auto& [path, dir] : dirs) dir.watch = -1;
  }
}

}  // namespace strata
