// An in-memory HostFs for tests: files and directories set by the test,
// plus injected errors for chosen paths.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/host_fs.h"

namespace strata::testing {

class FakeHostFs : public HostFs {
 public:
  void AddFile(HostRoot root, const std::string& path, std::string contents) {
    files_[{root, path}] = std::move(contents);
  }
  void AddDir(HostRoot root, const std::string& path) { dirs_.insert({root, path}); }
  void FailWith(HostRoot root, const std::string& path, absl::Status status) {
    errors_[{root, path}] = std::move(status);
  }
  void RemoveFile(HostRoot root, const std::string& path) { files_.erase({root, path}); }
  // A symbolic link and its target, which ReadLink returns.
  void AddLink(HostRoot root, const std::string& path, std::string target) {
    links_[{root, path}] = std::move(target);
  }
  void RemoveLink(HostRoot root, const std::string& path) { links_.erase({root, path}); }
  // Called before every ReadLink and ReadFile, with the path, so a test can
  // change the tree between two reads (a task exiting mid-collection).
  void set_on_read(std::function<void(HostRoot, const std::string&)> on_read) {
    on_read_ = std::move(on_read);
  }
  // What Stat returns for a path; without it, a file gets a stat made up from
  // its contents (size, a fixed inode) and a directory type kDirectory.
  void SetStat(HostRoot root, const std::string& path, FileStat stat) {
    stats_[{root, path}] = stat;
  }
  // Size of the chunks ReadFileChunks hands out.
  void set_chunk_size(size_t bytes) { chunk_size_ = bytes; }
  // How often ReadFileChunks was called for a path.
  int chunk_reads(HostRoot root, const std::string& path) const {
    auto it = chunk_reads_.find({root, path});
    return it == chunk_reads_.end() ? 0 : it->second;
  }

  absl::StatusOr<std::string> ReadFile(HostRoot root, absl::string_view path) const override {
    Key key{root, std::string(path)};
    if (on_read_) on_read_(root, key.second);
    if (auto it = errors_.find(key); it != errors_.end()) return it->second;
    if (auto it = files_.find(key); it != files_.end()) return it->second;
    return absl::NotFoundError(absl::StrCat("open ", Resolve(root, path), ": No such file"));
  }

  absl::StatusOr<std::vector<std::string>> ListDir(HostRoot root,
                                                   absl::string_view path) const override {
    Key key{root, std::string(path)};
    if (auto it = errors_.find(key); it != errors_.end()) return it->second;
    if (!dirs_.count(key))
      return absl::NotFoundError(absl::StrCat("opendir ", Resolve(root, path)));
    std::vector<std::string> names;
    const std::string prefix = std::string(path) + "/";
    for (const auto& [file_key, contents] : files_) {
      if (file_key.first == root && file_key.second.rfind(prefix, 0) == 0) {
        names.push_back(file_key.second.substr(prefix.size()));
      }
    }
    return names;
  }

  absl::StatusOr<std::vector<std::string>> ListSubdirs(HostRoot root,
                                                       absl::string_view path) const override {
    Key key{root, std::string(path)};
    if (auto it = errors_.find(key); it != errors_.end()) return it->second;
    if (!dirs_.count(key))
      return absl::NotFoundError(absl::StrCat("opendir ", Resolve(root, path)));
    std::vector<std::string> names;
    const std::string prefix = std::string(path) + "/";
    for (const auto& dir : dirs_) {
      if (dir.first == root && dir.second.rfind(prefix, 0) == 0 &&
          dir.second.find('/', prefix.size()) == std::string::npos) {
        names.push_back(dir.second.substr(prefix.size()));
      }
    }
    return names;
  }

  absl::StatusOr<bool> Exists(HostRoot root, absl::string_view path) const override {
    Key key{root, std::string(path)};
    if (auto it = errors_.find(key); it != errors_.end()) return it->second;
    return files_.count(key) > 0 || dirs_.count(key) > 0;
  }

  absl::StatusOr<FileStat> Stat(HostRoot root, absl::string_view path) const override {
    Key key{root, std::string(path)};
    if (auto it = errors_.find(key); it != errors_.end()) return it->second;
    if (auto it = stats_.find(key); it != stats_.end()) return it->second;
    FileStat stat;
    if (auto it = files_.find(key); it != files_.end()) {
      stat.size = static_cast<int64_t>(it->second.size());
      stat.inode = 1;
      return stat;
    }
    if (dirs_.count(key)) {
      stat.type = FileStat::Type::kDirectory;
      return stat;
    }
    return absl::NotFoundError(absl::StrCat("stat ", Resolve(root, path), ": No such file"));
  }

  absl::Status ReadFileChunks(HostRoot root, absl::string_view path,
                              const ChunkConsumer& consume) const override {
    Key key{root, std::string(path)};
    ++chunk_reads_[key];
    if (auto it = errors_.find(key); it != errors_.end()) return it->second;
    if (auto it = stats_.find(key);
        it != stats_.end() && it->second.type != FileStat::Type::kRegular) {
      return absl::FailedPreconditionError(
          absl::StrCat("read ", Resolve(root, path), ": not a regular file"));
    }
    auto it = files_.find(key);
    if (it == files_.end()) {
      return absl::NotFoundError(absl::StrCat("open ", Resolve(root, path), ": No such file"));
    }
    absl::string_view rest = it->second;
    while (!rest.empty()) {
      size_t n = std::min(chunk_size_, rest.size());
      absl::Status status = consume(rest.substr(0, n));
      if (!status.ok()) return status;
      rest.remove_prefix(n);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> ReadFileTail(HostRoot root, absl::string_view path,
                                           size_t max_bytes) const override {
    Key key{root, std::string(path)};
    if (auto it = errors_.find(key); it != errors_.end()) return it->second;
    if (auto it = stats_.find(key);
        it != stats_.end() && it->second.type != FileStat::Type::kRegular) {
      return absl::FailedPreconditionError(
          absl::StrCat("read ", Resolve(root, path), ": not a regular file"));
    }
    auto it = files_.find(key);
    if (it == files_.end()) {
      return absl::NotFoundError(absl::StrCat("open ", Resolve(root, path), ": No such file"));
    }
    const std::string& contents = it->second;
    return contents.size() > max_bytes ? contents.substr(contents.size() - max_bytes) : contents;
  }

  absl::StatusOr<std::string> ReadLink(HostRoot root, absl::string_view path) const override {
    Key key{root, std::string(path)};
    if (on_read_) on_read_(root, key.second);
    if (auto it = errors_.find(key); it != errors_.end()) return it->second;
    if (auto it = links_.find(key); it != links_.end()) return it->second;
    if (files_.count(key) > 0 || dirs_.count(key) > 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("readlink ", Resolve(root, path), ": not a symbolic link"));
    }
    return absl::NotFoundError(absl::StrCat("readlink ", Resolve(root, path), ": No such file"));
  }

  std::string Resolve(HostRoot root, absl::string_view path) const override {
    static constexpr const char* kRoots[] = {"/fake/proc/", "/fake/sys/", "/fake/root/"};
    return absl::StrCat(kRoots[static_cast<int>(root)], path);
  }

 private:
  using Key = std::pair<HostRoot, std::string>;
  std::map<Key, std::string> files_;
  std::set<Key> dirs_;
  std::map<Key, absl::Status> errors_;
  std::map<Key, FileStat> stats_;
  std::map<Key, std::string> links_;
  std::function<void(HostRoot, const std::string&)> on_read_;
  size_t chunk_size_ = 64 << 10;
  mutable std::map<Key, int> chunk_reads_;
};

// procfs and sysfs from one HostFs (a fake), the rootfs from another (a real
// tree with links), for tests of what only a real file system does.
class RootfsFromElsewhere : public HostFs {
 public:
  RootfsFromElsewhere(const HostFs& kernel, const HostFs& rootfs)
      : kernel_(kernel), rootfs_(rootfs) {}

  absl::StatusOr<std::string> ReadFile(HostRoot root, absl::string_view path) const override {
    return For(root).ReadFile(root, path);
  }
  absl::StatusOr<std::vector<std::string>> ListDir(HostRoot root,
                                                   absl::string_view path) const override {
    return For(root).ListDir(root, path);
  }
  absl::StatusOr<std::vector<std::string>> ListSubdirs(HostRoot root,
                                                       absl::string_view path) const override {
    return For(root).ListSubdirs(root, path);
  }
  absl::StatusOr<bool> Exists(HostRoot root, absl::string_view path) const override {
    return For(root).Exists(root, path);
  }
  absl::StatusOr<FileStat> Stat(HostRoot root, absl::string_view path) const override {
    return For(root).Stat(root, path);
  }
  absl::Status ReadFileChunks(HostRoot root, absl::string_view path,
                              const ChunkConsumer& consume) const override {
    return For(root).ReadFileChunks(root, path, consume);
  }
  absl::StatusOr<std::string> ReadFileTail(HostRoot root, absl::string_view path,
                                           size_t max_bytes) const override {
    return For(root).ReadFileTail(root, path, max_bytes);
  }
  std::string Resolve(HostRoot root, absl::string_view path) const override {
    return For(root).Resolve(root, path);
  }
  absl::StatusOr<std::string> RealPath(HostRoot root, absl::string_view path) const override {
    return For(root).RealPath(root, path);
  }
  absl::StatusOr<std::string> ReadLink(HostRoot root, absl::string_view path) const override {
    return For(root).ReadLink(root, path);
  }

 private:
  const HostFs& For(HostRoot root) const { return root == HostRoot::kRootfs ? rootfs_ : kernel_; }

  const HostFs& kernel_;
  const HostFs& rootfs_;
};

}  // namespace strata::testing
