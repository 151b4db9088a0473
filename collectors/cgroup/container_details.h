// Per-container details that cost an engine request each, kept between
// scrapes: when the container started, when its image was built, and its
// drift from the image (container_drift.h). Each container is asked about at
// most once per `interval`, and one Refresh spends at most `budget` on the
// engine, so a host with many containers, a container with millions of
// changes or a hung engine bound what a scrape waits for; a container left
// over keeps its last answer and is asked first next time.
// Not thread-safe: owned by one collector, which the scraper never runs twice at once.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "collectors/cgroup/container_drift.h"
#include "collectors/cgroup/docker_api.h"

namespace strata {

struct ContainerDetailsOptions {
  // Ask for the drift (GET /containers/{id}/changes) too.
  bool drift = true;
  DriftRules rules;
  // Least time between two computations for one container.
  absl::Duration interval = absl::Minutes(5);
  // Most time one Refresh spends waiting for the engine.
  absl::Duration budget = absl::Seconds(2);
};

struct ContainerDetails {
  std::optional<double> started_seconds;        // State.StartedAt
  std::optional<double> image_created_seconds;  // the image's Created
  std::optional<ContainerDrift> drift;          // from the last successful computation
  absl::Time drift_computed_at = absl::InfinitePast();
  absl::Time attempted_at = absl::InfinitePast();
  absl::Status status;  // of the last attempt
};

class ContainerDetailsCache {
 public:
  // `clock` tells the time (tests pass their own).
  ContainerDetailsCache(std::unique_ptr<EngineApi> api, ContainerDetailsOptions options,
                        std::function<absl::Time()> clock = absl::Now);

  // Brings the details of `containers` (full container id, image id) up to
  // date as far as the interval and the budget allow, and forgets other
  // containers. Returns an error naming the container and the engine's
  // answer while the last attempt for any of them failed (their previous
  // details are kept).
  absl::Status Refresh(const std::vector<std::pair<std::string, std::string>>& containers);

  // Details of a container by full id, or null when never asked about.
  const ContainerDetails* Find(absl::string_view id) const;

  // How many requests the engine got (for tests).
  int requests() const { return requests_; }

 private:
  // Asks about one container, each request bounded by what is left of `deadline`.
  absl::Status Update(const std::string& id, const std::string& image_id, absl::Time deadline,
                      ContainerDetails& details);
  absl::StatusOr<std::string> Get(const std::string& path, absl::Time deadline);

  const std::unique_ptr<EngineApi> api_;
  const ContainerDetailsOptions options_;
  const std::function<absl::Time()> clock_;
  std::map<std::string, ContainerDetails, std::less<>> by_id_;
  // Image build times by image id: an image id names immutable content.
  std::map<std::string, std::optional<double>> image_created_;
  int requests_ = 0;
};

}  // namespace strata
