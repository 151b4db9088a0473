// The contract every collector implements, and the module that registers it.
//
// A collector is collect-on-scrape: it reads the host when Collect() is
// called and keeps no background activity. The scraper never calls Collect()
// on one instance concurrently, so a collector may keep state (a connection,
// a cache) without locking; different collectors run concurrently.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/host_fs.h"
#include "base/logging.h"
#include "base/metric_spec.h"
#include "prometheus/metric_family.h"

namespace CLI {
class App;
}

namespace strata {

class Collector {
 public:
  virtual ~Collector() = default;

  // Appends this scrape's metric families to `out`. Returns a non-OK status
  // when the collector could not do its job; families appended before the
  // failure are still served. "Not present on this host" is OK with nothing
  // appended. May throw; the scraper reports that as a failure too.
  virtual absl::Status Collect(std::vector<prometheus::MetricFamily>& out) = 0;
};

// What a collector receives when it is created. Outlives every collector.
struct CollectorContext {
  const HostFs& fs;
  const Logger& logger;
};

// Static facts about a collector, for the command line and the catalogue.
struct CollectorInfo {
  std::string_view name;
  bool enabled_by_default;
  std::string_view help;
  std::vector<const MetricSpec*> metrics;
};

// One per collector, listed in registry.cc. Owns the collector's own knobs
// (--collector.NAME.*), which AddFlags binds to its members. A collector with
// knobs builds its module with OptionsCollectorModule (options_collector_module.h).
class CollectorModule {
 public:
  virtual ~CollectorModule() = default;
  virtual const CollectorInfo& info() const = 0;
  virtual void AddFlags(CLI::App& /*app*/) {}
  // Builds the collector once flags are parsed. An error here is a start-up
  // error (a bad knob value), reported before the exporter listens.
  virtual absl::StatusOr<std::unique_ptr<Collector>> Create(const CollectorContext& ctx) const = 0;
};

}  // namespace strata
