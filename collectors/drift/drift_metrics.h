// Metrics of the drift collector: files and packages compared with baselines.
#pragma once

#include "base/metric_spec.h"

namespace strata::drift_metrics {

using prometheus::MetricType;

inline constexpr MetricSpec kFiles{
    "strata_drift_files",
    MetricType::Gauge,
    "Files named by a sha256sum baseline, by state: matching, modified (another SHA-256), missing "
    "(no such file), unreadable (could not be hashed: permission, symlink loop, not a regular "
    "file). All four states are always present.",
    {"baseline", "state"},
    "the baseline file (sha256sum output) and the files it names, below --path.rootfs"};
inline constexpr MetricSpec kFileDrifted{
    "strata_drift_file_drifted",
    MetricType::Gauge,
    "A file of a baseline that is not matching, with its state (modified, missing, unreadable); "
    "always 1. At most --collector.drift.max-drifted-files per baseline, in path order.",
    {"baseline", "path", "state"},
    "the baseline file and the files it names"};
inline constexpr MetricSpec kFileDriftedOmitted{
    "strata_drift_file_drifted_omitted",
    MetricType::Gauge,
    "Drifted files of a baseline left out of strata_drift_file_drifted by "
    "--collector.drift.max-drifted-files.",
    {"baseline"},
    "the baseline file and the files it names"};
inline constexpr MetricSpec kFileHashes{
    "strata_drift_file_hashes_total",
    MetricType::Counter,
    "Files hashed since the exporter started. A file is hashed again only when its device, inode, "
    "size, mtime or ctime changed, so this stays flat while nothing changes.",
    {},
    "the files the baselines name"};
inline constexpr MetricSpec kHashedBytes{"strata_drift_hashed_bytes_total",
                                         MetricType::Counter,
                                         "Bytes read to hash files since the exporter started.",
                                         {},
                                         "the files the baselines name"};
inline constexpr MetricSpec kPackages{
    "strata_drift_packages",
    MetricType::Gauge,
    "Packages of a dpkg baseline, by state: matching, version_differs, missing (not installed); "
    "and unexpected (installed but not in the baseline) only for a baseline marked complete.",
    {"baseline", "state"},
    "the package baseline (dpkg-query -W output); /var/lib/dpkg/status below --path.rootfs"};
inline constexpr MetricSpec kPackageDrifted{
    "strata_drift_package_drifted",
    MetricType::Gauge,
    "A package of a baseline that is not matching, with its state and both versions (empty when "
    "not installed or not in the baseline); always 1. At most "
    "--collector.drift.max-drifted-packages "
    "per baseline, in name order.",
    {"baseline", "package", "state", "expected_version", "installed_version"},
    "the package baseline; /var/lib/dpkg/status"};
inline constexpr MetricSpec kPackageDriftedOmitted{
    "strata_drift_package_drifted_omitted",
    MetricType::Gauge,
    "Drifted packages of a baseline left out of strata_drift_package_drifted by "
    "--collector.drift.max-drifted-packages.",
    {"baseline"},
    "the package baseline; /var/lib/dpkg/status"};

}  // namespace strata::drift_metrics
