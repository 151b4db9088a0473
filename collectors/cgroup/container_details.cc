#include "collectors/cgroup/container_details.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace strata {
namespace {

// Ids go into request paths: only what an engine's ids are made of.
bool IsSafeId(absl::string_view id) {
  return !id.empty() && id.size() <= 256 && std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == ':' || c == '.' || c == '_' ||
           c == '-';
  });
}

}  // namespace

ContainerDetailsCache::ContainerDetailsCache(std::unique_ptr<EngineApi> api,
                                             ContainerDetailsOptions options,
                                             std::function<absl::Time()> clock)
    : api_(std::move(api)), options_(std::move(options)), clock_(std::move(clock)) {}

absl::StatusOr<std::string> ContainerDetailsCache::Get(const std::string& path,
                                                       absl::Time deadline) {
  const absl::Duration left = deadline - clock_();
  if (left <= absl::ZeroDuration()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("GET ", path, " on ", api_->Where(), ": not asked, the refresh budget of ",
                     absl::FormatDuration(options_.budget), " was spent"));
  }
  ++requests_;
  return api_->Get(path, left);
}

absl::Status ContainerDetailsCache::Update(const std::string& id, const std::string& image_id,
                                           absl::Time deadline, ContainerDetails& details) {
  if (!IsSafeId(id)) return absl::InvalidArgumentError("a container id with unexpected characters");
  const std::string container_path = absl::StrCat("/containers/", id, "/json");
  absl::StatusOr<std::string> inspect = Get(container_path, deadline);
  if (!inspect.ok()) return inspect.status();
  absl::StatusOr<std::optional<double>> started = ParseContainerStartedAt(*inspect);
  if (!started.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("GET ", container_path, " on ", api_->Where(),
                                                   ": ", started.status().message()));
  }
  details.started_seconds = *started;

  if (!image_id.empty() && IsSafeId(image_id)) {
    auto known = image_created_.find(image_id);
    if (known == image_created_.end()) {
      const std::string image_path = absl::StrCat("/images/", image_id, "/json");
      absl::StatusOr<std::string> image = Get(image_path, deadline);
      if (!image.ok()) return image.status();
      absl::StatusOr<std::optional<double>> created = ParseImageCreated(*image);
      if (!created.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("GET ", image_path, " on ", api_->Where(),
                                                       ": ", created.status().message()));
      }
      known = image_created_.emplace(image_id, *created).first;
    }
    details.image_created_seconds = known->second;
  }

  if (options_.drift) {
    const std::string changes_path = absl::StrCat("/containers/", id, "/changes");
    absl::StatusOr<std::string> changes = Get(changes_path, deadline);
    if (!changes.ok()) return changes.status();
    absl::StatusOr<ContainerDrift> drift = ParseContainerChanges(*changes, options_.rules);
    if (!drift.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("GET ", changes_path, " on ", api_->Where(),
                                                     ": ", drift.status().message()));
    }
    details.drift = *std::move(drift);
    details.drift_computed_at = clock_();
  }
  return absl::OkStatus();
}

absl::Status ContainerDetailsCache::Refresh(
    const std::vector<std::pair<std::string, std::string>>& containers) {
  const absl::Time now = clock_();
  const absl::Time deadline = now + options_.budget;

  std::set<std::string, std::less<>> ids;
  std::set<std::string> images;
  for (const auto& [id, image_id] : containers) {
    ids.insert(id);
    images.insert(image_id);
  }
  for (auto it = by_id_.begin(); it != by_id_.end();) {
    it = ids.count(it->first) > 0 ? std::next(it) : by_id_.erase(it);
  }
  for (auto it = image_created_.begin(); it != image_created_.end();) {
    it = images.count(it->first) > 0 ? std::next(it) : image_created_.erase(it);
  }

  // Due containers, the longest waiting first, so a budget too small for
  // all of them still reaches each in turn.
  std::vector<std::pair<absl::Time, const std::pair<std::string, std::string>*>> due;
  for (const auto& container : containers) {
    const ContainerDetails& details = by_id_[container.first];
    if (now - details.attempted_at >= options_.interval) {
      due.push_back({details.attempted_at, &container});
    }
  }
  std::sort(due.begin(), due.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second->first < b.second->first;
  });
  for (const auto& [attempted_at, container] : due) {
    if (clock_() >= deadline) break;  // the rest wait for the next scrape
    ContainerDetails& details = by_id_[container->first];
    absl::Status status = Update(container->first, container->second, deadline, details);
    // Not asked for want of budget: asked first next time, and not a failure.
    if (absl::IsResourceExhausted(status)) break;
    details.attempted_at = now;
    details.status =
        status.ok()
            ? status
            : absl::Status(status.code(), absl::StrCat("container ", container->first.substr(0, 12),
                                                       ": ", status.message()));
  }

  int failed = 0;
  absl::Status first;
  for (const auto& [id, details] : by_id_) {
    if (details.status.ok()) continue;
    if (++failed == 1) first = details.status;
  }
  if (failed == 0) return absl::OkStatus();
  return absl::Status(first.code(), absl::StrCat(failed,
                                                 " container(s) without current details, "
                                                 "first: ",
                                                 first.message()));
}

const ContainerDetails* ContainerDetailsCache::Find(absl::string_view id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

}  // namespace strata
