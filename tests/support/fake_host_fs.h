// An in-memory HostFs for tests: files and directories set by the test,
// plus injected errors for chosen paths.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "collectors/host_fs.h"

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

  absl::StatusOr<std::string> ReadFile(HostRoot root, absl::string_view path) const override {
    Key key{root, std::string(path)};
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

  std::string Resolve(HostRoot root, absl::string_view path) const override {
    static constexpr const char* kRoots[] = {"/fake/proc/", "/fake/sys/", "/fake/root/"};
    return absl::StrCat(kRoots[static_cast<int>(root)], path);
  }

 private:
  using Key = std::pair<HostRoot, std::string>;
  std::map<Key, std::string> files_;
  std::set<Key> dirs_;
  std::map<Key, absl::Status> errors_;
};

}  // namespace strata::testing
