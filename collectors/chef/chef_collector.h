// The chef collector: Chef Infra Client's last run, from the newest report its
// json_file handler wrote (see chef_report.h): success, start and end,
// elapsed time, resources updated and in total, the client's version.
#pragma once

#include <memory>
#include <string>

#include "collectors/collector.h"

namespace strata {

// Reports carry the whole node object with Ohai's attributes, commonly a few
// MiB: allow the same 16 MiB as any host file, refusing larger ones unread.
inline constexpr size_t kChefMaxReportBytes = 16 << 20;

struct ChefCollectorOptions {
  // Host directory below --path.rootfs; the json_file handler's default.
  std::string reports_dir = "/var/chef/reports";
};

std::unique_ptr<CollectorModule> NewChefCollectorModule();

// For tests: the collector with explicit options.
std::unique_ptr<Collector> NewChefCollector(const CollectorContext& context,
                                            const ChefCollectorOptions& options);

}  // namespace strata
