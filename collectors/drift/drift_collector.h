// The drift collector: files compared with sha256sum baselines and installed
// packages compared with dpkg-query -W baselines, every scrape. Quiet (OK,
// nothing emitted) when no baseline is configured.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "collectors/collector.h"

namespace strata {

struct DriftCollectorOptions {
  std::vector<std::string> files;     // NAME=PATH, PATH below --path.rootfs
  std::vector<std::string> packages;  // NAME=PATH
  int max_drifted_files = 100;        // per baseline
  int max_drifted_packages = 100;     // per baseline
};

// Largest baseline file read; a line is about 70 bytes plus the name, so
// this is tens of thousands of files. dpkg's status database is read with
// HostFs' own 16 MiB limit.
inline constexpr int64_t kMaxBaselineBytes = 4 << 20;

// Where dpkg keeps what is installed, below --path.rootfs.
inline constexpr char kDpkgStatusPath[] = "var/lib/dpkg/status";

std::unique_ptr<CollectorModule> NewDriftCollectorModule();

// For tests: the collector with explicit options. InvalidArgument for a
// value that is not NAME=PATH or a NAME given twice for the same kind.
absl::StatusOr<std::unique_ptr<Collector>> NewDriftCollector(const CollectorContext& context,
                                                             const DriftCollectorOptions& options);

}  // namespace strata
