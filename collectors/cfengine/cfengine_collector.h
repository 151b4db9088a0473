// The cfengine collector: CFEngine's last agent run, from the last line of
// promise_summary.log (see cfengine_summary.h): when it ran, how long, the
// policy version and the shares of promises kept, repaired and not kept.
#pragma once

#include <memory>
#include <string>

#include "collectors/collector.h"

namespace strata {

// Where Debian's cfengine3 package logs (its LOGDIR) and where upstream's
// packages do (LOGDIR is the work directory /var/cfengine there).
inline constexpr const char* kCfengineDebianSummaryLog = "/var/log/cfengine3/promise_summary.log";
inline constexpr const char* kCfengineUpstreamSummaryLog = "/var/cfengine/promise_summary.log";

// Bytes read from the end of the log: a line is at most one CF_BUFSIZE
// (4096) buffer plus the two times, and the log only grows on Debian, whose
// masterfiles rotate $(sys.workdir)/promise_summary.log, not LOGDIR's.
inline constexpr size_t kCfengineTailBytes = 16 << 10;

struct CfengineCollectorOptions {
  // Host path below --path.rootfs; empty for the first that exists of the
  // Debian and the upstream path.
  std::string summary_log;
};

std::unique_ptr<CollectorModule> NewCfengineCollectorModule();

// For tests: the collector with explicit options.
std::unique_ptr<Collector> NewCfengineCollector(const CollectorContext& context,
                                                const CfengineCollectorOptions& options);

}  // namespace strata
