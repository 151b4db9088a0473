// A floor for collector benchmarks: record the file system calls one
// collection makes, then replay exactly those calls with no parsing and no
// metric building. A collector's time divided by its replay's time is the
// cost of everything but I/O.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/host_fs.h"

namespace strata {

class RecordingHostFs : public HostFs {
 public:
  enum class Call { kRead, kList, kListSubdirs, kExists, kStat, kReadChunks, kReadTail, kReadLink };
  struct Access {
    Call call;
    HostRoot root;
    std::string path;
    size_t max_bytes = 0;  // kReadTail only
  };

  explicit RecordingHostFs(const HostFs& inner) : inner_(inner) {}

  absl::StatusOr<std::string> ReadFile(HostRoot root, absl::string_view path) const override {
    accesses_.push_back({Call::kRead, root, std::string(path)});
    return inner_.ReadFile(root, path);
  }
  absl::StatusOr<std::vector<std::string>> ListDir(HostRoot root,
                                                   absl::string_view path) const override {
    accesses_.push_back({Call::kList, root, std::string(path)});
    return inner_.ListDir(root, path);
  }
  absl::StatusOr<std::vector<std::string>> ListSubdirs(HostRoot root,
                                                       absl::string_view path) const override {
    accesses_.push_back({Call::kListSubdirs, root, std::string(path)});
    return inner_.ListSubdirs(root, path);
  }
  absl::StatusOr<bool> Exists(HostRoot root, absl::string_view path) const override {
    accesses_.push_back({Call::kExists, root, std::string(path)});
    return inner_.Exists(root, path);
  }
  absl::StatusOr<FileStat> Stat(HostRoot root, absl::string_view path) const override {
    accesses_.push_back({Call::kStat, root, std::string(path)});
    return inner_.Stat(root, path);
  }
  absl::Status ReadFileChunks(HostRoot root, absl::string_view path,
                              const ChunkConsumer& consume) const override {
    accesses_.push_back({Call::kReadChunks, root, std::string(path)});
    return inner_.ReadFileChunks(root, path, consume);
  }
  absl::StatusOr<std::string> ReadFileTail(HostRoot root, absl::string_view path,
                                           size_t max_bytes) const override {
    accesses_.push_back({Call::kReadTail, root, std::string(path), max_bytes});
    return inner_.ReadFileTail(root, path, max_bytes);
  }
  absl::StatusOr<std::string> ReadLink(HostRoot root, absl::string_view path) const override {
    accesses_.push_back({Call::kReadLink, root, std::string(path)});
    return inner_.ReadLink(root, path);
  }
  std::string Resolve(HostRoot root, absl::string_view path) const override {
    return inner_.Resolve(root, path);
  }
  absl::StatusOr<std::string> RealPath(HostRoot root, absl::string_view path) const override {
    return inner_.RealPath(root, path);
  }

  const std::vector<Access>& accesses() const { return accesses_; }

 private:
  const HostFs& inner_;
  mutable std::vector<Access> accesses_;
};

// Makes the recorded calls again against `fs`.
inline void Replay(const HostFs& fs, const std::vector<RecordingHostFs::Access>& accesses) {
  for (const RecordingHostFs::Access& access : accesses) {
    switch (access.call) {
      case RecordingHostFs::Call::kRead:
        (void)fs.ReadFile(access.root, access.path);
        break;
      case RecordingHostFs::Call::kList:
        (void)fs.ListDir(access.root, access.path);
        break;
      case RecordingHostFs::Call::kListSubdirs:
        (void)fs.ListSubdirs(access.root, access.path);
        break;
      case RecordingHostFs::Call::kExists:
        (void)fs.Exists(access.root, access.path);
        break;
      case RecordingHostFs::Call::kStat:
        (void)fs.Stat(access.root, access.path);
        break;
      case RecordingHostFs::Call::kReadChunks:
        (void)fs.ReadFileChunks(access.root, access.path,
                                [](absl::string_view) { return absl::OkStatus(); });
        break;
      case RecordingHostFs::Call::kReadTail:
        (void)fs.ReadFileTail(access.root, access.path, access.max_bytes);
        break;
      case RecordingHostFs::Call::kReadLink:
        (void)fs.ReadLink(access.root, access.path);
        break;
    }
  }
}

}  // namespace strata
