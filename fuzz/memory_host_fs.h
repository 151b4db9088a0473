// A HostFs over files held in memory, for fuzz targets whose parser reads
// several files through HostFs. Only ReadFile and Exists are served; the
// other calls answer Unimplemented. Thread-compatible.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/host_fs.h"

namespace strata::fuzz {

class MemoryHostFs : public HostFs {
 public:
  void Add(HostRoot root, std::string path, std::string contents) {
    files_[{root, std::move(path)}] = std::move(contents);
  }

  absl::StatusOr<std::string> ReadFile(HostRoot root, absl::string_view path) const override {
    auto it = files_.find({root, std::string(path)});
    if (it == files_.end()) return absl::NotFoundError(Resolve(root, path));
    return it->second;
  }
  absl::StatusOr<std::vector<std::string>> ListDir(HostRoot, absl::string_view) const override {
    return absl::UnimplementedError("ListDir");
  }
  absl::StatusOr<std::vector<std::string>> ListSubdirs(HostRoot, absl::string_view) const override {
    return absl::UnimplementedError("ListSubdirs");
  }
  absl::StatusOr<bool> Exists(HostRoot root, absl::string_view path) const override {
    return files_.count({root, std::string(path)}) > 0;
  }
  absl::StatusOr<FileStat> Stat(HostRoot, absl::string_view) const override {
    return absl::UnimplementedError("Stat");
  }
  absl::Status ReadFileChunks(HostRoot, absl::string_view, const ChunkConsumer&) const override {
    return absl::UnimplementedError("ReadFileChunks");
  }
  absl::StatusOr<std::string> ReadFileTail(HostRoot, absl::string_view, size_t) const override {
    return absl::UnimplementedError("ReadFileTail");
  }
  absl::StatusOr<std::string> ReadLink(HostRoot, absl::string_view) const override {
    return absl::UnimplementedError("ReadLink");
  }
  std::string Resolve(HostRoot root, absl::string_view path) const override {
    const char* prefix = root == HostRoot::kProc  ? "/proc/"
                         : root == HostRoot::kSys ? "/sys/"
                                                  : "/";
    return absl::StrCat(prefix, path);
  }

 private:
  std::map<std::pair<HostRoot, std::string>, std::string> files_;
};

}  // namespace strata::fuzz
