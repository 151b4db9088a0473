// The libvirt side of the collector: one read-only connection kept between
// scrapes (with keepalive, so a dead or hung daemon is noticed), one bulk
// virConnectGetAllDomainStats per scrape for the groups whose values change
// all the time (state, cpu-total, vcpu, interface), the slow groups (balloon,
// block) only for the domains whose last answer is due (see StatsCache), and
// a cache of domain definitions read only when a domain appears or changes
// state.
//
// Not thread-safe: the collector runs at most one Snapshot() at a time, on a
// worker thread it can abandon if libvirt hangs.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collectors/libvirt/domain_stats.h"
#include "collectors/libvirt/domain_xml.h"
#include "collectors/libvirt/stats_cache.h"

namespace strata {

struct DomainSnapshot {
  std::string name;
  std::string uuid;
  DomainStats stats;
  DomainDefinition definition;
  // The bulk call could not read it fully (its job was busy under NOWAIT):
  // only its identity and state are reported, and it counts as skipped.
  bool incomplete = false;
};

struct HypervisorSnapshot {
  double cpus = 0;
  double memory_bytes = 0;
  std::vector<DomainSnapshot> domains;
  int skipped = 0;
};

class LibvirtSession {
 public:
  explicit LibvirtSession(std::string uri, SlowGroupIntervals intervals = {},
                          std::function<absl::Time()> clock = absl::Now);
  ~LibvirtSession();
  LibvirtSession(const LibvirtSession&) = delete;
  LibvirtSession& operator=(const LibvirtSession&) = delete;

  // Connects if needed and reads everything for one scrape. Unavailable when
  // the hypervisor cannot be reached (the connection is then dropped and made
  // again next time).
  absl::StatusOr<HypervisorSnapshot> Snapshot();

  // Whether the last Snapshot had to open a new connection.
  bool reconnected() const { return reconnected_; }

 private:
  absl::Status Connect();
  void Disconnect();
  absl::Status Fail(absl::string_view what);

  const std::string uri_;
  const std::function<absl::Time()> clock_;
  StatsCache stats_cache_;
  struct Connection;
  std::unique_ptr<Connection> connection_;
  bool reconnected_ = false;

  // Definitions by UUID, with the activity they were read in.
  struct CachedDefinition {
    DomainDefinition definition;
    bool active = false;
    absl::Time read_at;
  };
  std::map<std::string, CachedDefinition> definitions_;
};

// Starts libvirt's event loop thread once per process: keepalive needs it.
void EnsureLibvirtEventLoop();

}  // namespace strata
