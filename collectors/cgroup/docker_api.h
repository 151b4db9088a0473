// Container metadata from a Docker Engine API, or Podman's Docker-compatible
// API, on a unix socket: names, images, creation times and labels of the
// running containers, for strata_container_info.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace strata {

struct EngineContainer {
  std::string id;              // full id, 64 hex digits
  std::string name;            // without the leading '/'
  std::string image;           // as the container was created, e.g. "nginx:1.25"
  std::string image_id;        // e.g. "sha256:..."
  double created_seconds = 0;  // since the epoch
  std::map<std::string, std::string> labels;
};

// Parses the body of GET /containers/json. InvalidArgument, naming what is
// wrong, when it is not the API's JSON.
absl::StatusOr<std::vector<EngineContainer>> ParseContainerList(absl::string_view json);

// Lists containers; an interface so the cache can be tested without a socket.
class ContainerLister {
 public:
  virtual ~ContainerLister() = default;
  // Running containers. Unavailable when the engine cannot be reached.
  virtual absl::StatusOr<std::vector<EngineContainer>> ListContainers() const = 0;
};

// One GET of the engine API; an interface so what asks it can be tested
// without a socket.
class EngineApi {
 public:
  virtual ~EngineApi() = default;
  // The body of a 200 answer to GET `path` ("/containers/ID/changes"),
  // bounded by `timeout` and in size. Unavailable, naming the path and the
  // socket, when the engine cannot be reached, does not answer in time or
  // answers with another status.
  virtual absl::StatusOr<std::string> Get(absl::string_view path, absl::Duration timeout) const = 0;
  // Where the API is, for error messages ("unix socket /run/docker.sock").
  virtual std::string Where() const = 0;
};

// The API on the unix socket at `socket_path`, with libcurl
// (docker_api_client.cc, only in builds with STRATA_WITH_DOCKER_API).
// Thread-compatible.
std::unique_ptr<EngineApi> NewDockerApiClient(std::string socket_path);

// GET /containers/json over the unix socket at `socket_path` with libcurl
// (docker_api_client.cc, only in builds with STRATA_WITH_DOCKER_API),
// bounded by `timeout`. Thread-compatible.
std::unique_ptr<ContainerLister> NewDockerApiLister(std::string socket_path,
                                                    absl::Duration timeout);

// Remembers the engine's answer and asks again when the set of container ids
// seen in the cgroup tree changes (a container started or stopped), when the
// answer is `max_age` old (a rename changes neither id nor cgroup, so only
// this shows it), and, for a container whose cgroup appeared before the engine
// listed it as running, after `retry_missing`. Between those a steady host
// costs no API call per scrape: a listing takes the engine milliseconds to
// seconds, growing with the number of containers.
// Not thread-safe: owned by one collector, which the scraper never runs twice at once.
class ContainerMetadataCache {
 public:
  // `clock` tells the time (tests pass their own). A zero `max_age` asks on
  // every Refresh.
  explicit ContainerMetadataCache(std::unique_ptr<ContainerLister> lister,
                                  absl::Duration retry_missing = absl::Seconds(30),
                                  absl::Duration max_age = absl::Minutes(1),
                                  std::function<absl::Time()> clock = absl::Now);

  // Makes sure metadata is current for `ids` (full ids found in cgroup
  // paths). Returns the engine's error, if it had to ask and that failed;
  // the previous answer is then kept.
  absl::Status Refresh(const std::set<std::string>& ids);

  // Metadata of a container by full id, or null when the engine did not list it.
  const EngineContainer* Find(absl::string_view id) const;

  // How many times the engine was asked (for tests).
  int requests() const { return requests_; }

 private:
  std::unique_ptr<ContainerLister> lister_;
  const absl::Duration retry_missing_;
  const absl::Duration max_age_;
  const std::function<absl::Time()> clock_;
  std::set<std::string> last_ids_;
  bool fetched_ = false;
  bool all_found_ = false;  // the last answer listed every id asked about
  absl::Time fetched_at_ = absl::InfinitePast();
  std::map<std::string, EngineContainer, std::less<>> by_id_;
  int requests_ = 0;
};

}  // namespace strata
