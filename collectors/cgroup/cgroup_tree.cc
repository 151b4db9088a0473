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
    // Copies: listing again can drop watches, this one among them.
    std::vector<std::pair<size_t, std::string>> directories;
    for (const auto& [h, path] : it->second) directories.push_back({h, *path});
    for (const auto& [h, path] : directories) {
      if (watch_ == nullptr) break;
      Relist(h, path);
    }
  }
  Publish();
  return walk_;
}

void CgroupTree::Forget(const std::string& path) {
  for (size_t h = 0; h < hierarchies_.size(); ++h) RemoveSubtree(h, path);
  Publish();
}

void CgroupTree::WalkEverything(absl::Time now) {
  ++full_walks_;
  last_walk_ = now;
  nodes_.clear();
  watched_.clear();
  watch_.reset();  // a new instance: every old watch goes with the old one
  // Walking every time needs no watch; after a failure, try again later.
  if (rescan_interval_ > absl::ZeroDuration() && now >= watch_retry_after_) {
    // nullptr: this file system cannot watch, which is no problem to report.
    absl::StatusOr<std::unique_ptr<DirectoryWatch>> watch = fs_.WatchDirectories();
    if (watch.ok()) {
      watch_ = *std::move(watch);
    } else {
      DropWatch(watch.status().message());
    }
  }
  for (size_t h = 0; h < hierarchies_.size(); ++h) AddSubtree(h, "/", 0);
  Publish();
}

void CgroupTree::AddSubtree(size_t h, const std::string& top, int top_depth) {
  const HierarchyLocation& hierarchy = hierarchies_[h];
  // Depth-first with an explicit stack: (cgroup path, depth).
  std::vector<std::pair<std::string, int>> stack = {{top, top_depth}};
  while (!stack.empty()) {
    auto [path, depth] = std::move(stack.back());
    stack.pop_back();
    auto [node, made] = nodes_.try_emplace(std::move(path));
    if (made) {
      node->second.depth = depth;
      node->second.watch.assign(hierarchies_.size(), kAbsent);
    } else if (node->second.watch[h] != kAbsent) {
      continue;  // already listed in this hierarchy
    }
    const std::string& key = node->first;
    const std::string dir = DirectoryOf(hierarchy, key);
    int& watch = node->second.watch[h];
    watch = kUnwatched;
    // Watched before it is listed, so a cgroup made in between raises an event.
    if (watch_ != nullptr && depth < max_depth_) {
      absl::StatusOr<int> id = watch_->Add(hierarchy.root, dir);
      if (id.ok()) {
        watch = *id;
        watched_[*id].push_back({h, &key});
      } else if (!absl::IsNotFound(id.status())) {
        DropWatch(id.status().message());
      }
    }
    absl::StatusOr<std::vector<std::string>> children = fs_.ListSubdirs(hierarchy.root, dir);
    if (!children.ok()) {
      if (key != "/" && absl::IsNotFound(children.status())) {
        vanished_paths_.insert(key);
      } else {
        status_.Update(children.status());
      }
      Leave(h, node);
      continue;
    }
    if (depth >= max_depth_) continue;
    for (const std::string& child : *children) {
      std::string child_path = ChildPath(key, child);
      auto known = nodes_.find(child_path);
      if (known == nodes_.end() || known->second.watch[h] == kAbsent) {
        stack.push_back({std::move(child_path), depth + 1});
      }
    }
  }
}

CgroupTree::Nodes::iterator CgroupTree::Leave(size_t h, Nodes::iterator node) {
  int& watch = node->second.watch[h];
  if (watch >= 0) {
    auto watched = watched_.find(watch);
    if (watched != watched_.end()) {
      auto& users = watched->second;
      users.erase(std::remove(users.begin(), users.end(), std::make_pair(h, &node->first)),
                  users.end());
      if (users.empty()) {
        if (watch_ != nullptr) watch_->Remove(watch);
        watched_.erase(watched);
      }
    }
  }
  watch = kAbsent;
  for (int state : node->second.watch) {
    if (state != kAbsent) return std::next(node);
  }
  return nodes_.erase(node);
}

void CgroupTree::RemoveSubtree(size_t h, const std::string& top) {
  const std::string prefix = top == "/" ? "/" : absl::StrCat(top, "/");
  for (auto node = nodes_.lower_bound(top);
       node != nodes_.end() && (node->first == top || absl::StartsWith(node->first, prefix));) {
    node = node->second.watch[h] == kAbsent ? std::next(node) : Leave(h, node);
  }
}

void CgroupTree::Relist(size_t h, const std::string& path) {
  auto node = nodes_.find(path);
  if (node == nodes_.end() || node->second.watch[h] == kAbsent) return;
  const int depth = node->second.depth;
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
  for (auto known = nodes_.upper_bound(path);
       known != nodes_.end() && absl::StartsWith(known->first, prefix); ++known) {
    const bool direct = known->first.find('/', prefix.size()) == std::string::npos;
    if (!direct || known->second.watch[h] == kAbsent) continue;
    if (listed.erase(known->first) == 0) gone.push_back(known->first);
  }
  for (const std::string& child : gone) RemoveSubtree(h, child);
  for (const std::string& child : listed) AddSubtree(h, child, depth + 1);
}

void CgroupTree::Publish() {
  walk_.paths.clear();
  walk_.paths.reserve(nodes_.size());
  for (const auto& [path, node] : nodes_) walk_.paths.push_back(path);
  // Gone from one hierarchy but listed in another: not vanished.
  walk_.vanished = 0;
  for (const std::string& path : vanished_paths_) walk_.vanished += nodes_.count(path) == 0;
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
  for (auto& [path, node] : nodes_) {
    for (int& watch : node.watch) {
      if (watch >= 0) watch = kUnwatched;
    }
  }
}

}  // namespace strata
