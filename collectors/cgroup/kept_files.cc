#include "collectors/cgroup/kept_files.h"

#include <sys/resource.h>

#include <algorithm>

namespace strata {

absl::StatusOr<absl::string_view> KeptFiles::Read(HostRoot root, const std::string& path,
                                                  std::string& buffer) {
  auto key = std::make_pair(root, path);
  auto kept = files_.find(key);
  if (kept != files_.end()) {
    absl::StatusOr<absl::string_view> text = kept->second.file->Reread(buffer);
    if (text.ok()) {
      kept->second.scrape = scrape_;
      return text;
    }
    files_.erase(kept);
    if (!absl::IsNotFound(text.status())) return text.status();
    // Removed: a cgroup of the same name may have replaced it; read by name.
  }
  if (files_.size() >= capacity_) return fs_.ReadSmallFile(root, path, buffer);
  absl::StatusOr<std::unique_ptr<RereadableFile>> file = fs_.OpenRereadable(root, path);
  if (!file.ok()) return file.status();
  absl::StatusOr<absl::string_view> text = (*file)->Reread(buffer);
  if (text.ok()) files_[std::move(key)] = Kept{*std::move(file), scrape_};
  return text;
}

void KeptFiles::EndScrape() {
  for (auto it = files_.begin(); it != files_.end();) {
    it = it->second.scrape == scrape_ ? std::next(it) : files_.erase(it);
  }
  ++scrape_;
}

size_t KeptFilesCapacity() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 1 << 16;
  const rlim_t reserve = std::max<rlim_t>(limit.rlim_cur / 4, 1024);
  return limit.rlim_cur > reserve ? static_cast<size_t>(limit.rlim_cur - reserve) : 0;
}

}  // namespace strata
