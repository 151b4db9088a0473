#include "collectors/common/report_file.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace strata {

absl::StatusOr<std::optional<std::string>> ReadReportFile(const HostFs& fs, HostRoot root,
                                                          absl::string_view path,
                                                          size_t max_bytes) {
  absl::StatusOr<FileStat> stat = fs.Stat(root, path);
  if (absl::IsNotFound(stat.status())) return std::nullopt;
  if (!stat.ok()) return stat.status();
  const std::string full = fs.Resolve(root, path);
  if (stat->type != FileStat::Type::kRegular) {
    return absl::FailedPreconditionError(absl::StrCat(full, ": not a regular file"));
  }
  auto too_large = [&](size_t size) {
    return absl::ResourceExhaustedError(
        absl::StrCat(full, ": ", size, " bytes, more than the ", max_bytes, "-byte limit"));
  };
  if (stat->size > 0 && static_cast<size_t>(stat->size) > max_bytes) return too_large(stat->size);
  absl::StatusOr<std::string> text = fs.ReadFile(root, path);
  if (absl::IsNotFound(text.status())) return std::nullopt;
  if (!text.ok()) return text.status();
  if (text->size() > max_bytes) return too_large(text->size());  // grew since the stat
  return std::move(*text);
}

}  // namespace strata
