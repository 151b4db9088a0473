// Metrics of the image collector: which golden image this host was built from.
#pragma once

#include "base/metric_spec.h"

namespace strata::image_metrics {

using prometheus::MetricType;

inline constexpr MetricSpec kInfo{
    "strata_image_info",
    MetricType::Gauge,
    "The image the host was built from: IMAGE_ID, IMAGE_VERSION and BUILD_ID (a stamp file's "
    "values override os-release's) and the OS's ID and VERSION_ID; empty when not set. Always 1.",
    {"image_id", "image_version", "build_id", "os_id", "os_version"},
    "/etc/os-release (else /usr/lib/os-release); --collector.image.stamp-file"};
inline constexpr MetricSpec kBuildTimestamp{
    "strata_image_build_timestamp_seconds",
    MetricType::Gauge,
    "When the image was built, in seconds since the epoch: the stamp file's BUILD_TIMESTAMP, else "
    "the stamp file's mtime. Absent without a stamp file.",
    {},
    "--collector.image.stamp-file"};

}  // namespace strata::image_metrics
