// One collection by a new cgroup collector on the given file system, as the
// exposition text, for the cgroup collector's unit tests. The engine socket
// is left out unless a test sets it.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "base/host_fs.h"
#include "base/logging.h"
#include "collectors/cgroup/cgroup_collector.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"

namespace strata::testing {

struct CgroupCollection {
  absl::Status status;
  std::string text;
};

inline CgroupCollection CollectCgroupsOnce(const HostFs& fs, const Logger& logger,
                                           CgroupCollectorOptions options = {}) {
  options.docker_socket = "";
  auto collector = NewCgroupCollector({fs, logger}, options);
  EXPECT_TRUE(collector.ok()) << collector.status();
  std::vector<prometheus::MetricFamily> families;
  absl::Status status = (*collector)->Collect(families);
  return {status, prometheus::TextSerializer().Serialize(families)};
}

}  // namespace strata::testing
