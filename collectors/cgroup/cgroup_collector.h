// The cgroup collector: every container, pod, service, slice and VM cgroup
// of the host, on cgroup v1, v2 and hybrid hosts, with optional container
// names and images from a Docker-compatible engine API.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "collectors/cgroup/container_drift.h"
#include "collectors/collector.h"

namespace strata {

struct CgroupCollectorOptions {
  // Regexes searched in the cgroup path ("/system.slice/nginx.service"), as
  // node_exporter's include/exclude flags are: anchor them to match whole paths.
  std::string path_include = ".*";
  std::string path_exclude =
      R"(\.(mount|swap|socket)$|/(session-[^/]+|run-[^/]+|libpod-conmon-[^/]+|crio-conmon-[^/]+)\.scope$|/conmon$|\.scope/)";
  int max_depth = 6;
  // Longest time between two walks of the whole tree (cgroup_tree.h).
  absl::Duration rescan_interval = absl::Minutes(1);
  // Keep cgroup files open between scrapes (kept_files.h): less CPU, more kernel memory.
  bool keep_files_open = false;
  int max_cgroups = 1000;
  std::string docker_socket = "/var/run/docker.sock";
  std::vector<std::string> docker_labels;
  absl::Duration docker_timeout = absl::Seconds(2);
  // Longest time the engine's answer is kept while the containers stay the same.
  absl::Duration docker_refresh_interval = absl::Minutes(1);
  // Per-container details from the engine: start time, image build time and
  // drift from the image (container_details.h).
  bool drift = true;
  absl::Duration drift_interval = absl::Minutes(5);
  absl::Duration drift_timeout = absl::Seconds(2);
  std::vector<std::string> drift_paths = {"/etc"};
  std::vector<std::string> drift_expected_paths = DriftRules().expected_prefixes;
  int drift_max_paths = 20;
  // Network I/O of containers and pods with a namespace of their own (network.h).
  bool network = true;
  int network_max_interfaces = 64;
};

std::unique_ptr<CollectorModule> NewCgroupCollectorModule();

// For tests: the collector with explicit options.
absl::StatusOr<std::unique_ptr<Collector>> NewCgroupCollector(
    const CollectorContext& context, const CgroupCollectorOptions& options);

}  // namespace strata
