// A GoogleTest fixture base for collector unit tests: one collector kept
// across Collect() calls (so caches and "logged once" behaviour show), a
// debug logger whose output the test can read, and the Collect() result.
// Beside it, checks on that result and a real file system for fault tests.
#pragma once

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/host_fs.h"
#include "base/logging.h"
#include "collectors/collector.h"
#include "gtest/gtest.h"
#include "prometheus/metric_family.h"

namespace strata::testing {

struct Collected {
  absl::Status status;
  std::vector<prometheus::MetricFamily> families;
};

// What a collector returns when the thing it reports is not there: OK, and nothing appended.
inline ::testing::AssertionResult IsQuiet(const Collected& c) {
  if (!c.status.ok()) return ::testing::AssertionFailure() << "status " << c.status;
  if (!c.families.empty()) {
    return ::testing::AssertionFailure()
           << c.families.size() << " families, the first " << c.families.front().name;
  }
  return ::testing::AssertionSuccess();
}

// The labels of the one sample of family `name`; empty unless there is exactly one.
inline std::map<std::string, std::string> OnlySampleLabels(const Collected& c,
                                                           const std::string& name) {
  std::map<std::string, std::string> labels;
  for (const prometheus::MetricFamily& family : c.families) {
    if (family.name != name || family.metric.size() != 1) continue;
    for (const prometheus::ClientMetric::Label& label : family.metric[0].label) {
      labels[label.name] = label.value;
    }
  }
  return labels;
}

// The real file system, with `rootfs` as --path.rootfs: for the faults a
// fake cannot show (symbolic link loops, FIFOs, sparse files).
inline std::unique_ptr<HostFs> RealHostFsWithRootfs(const std::filesystem::path& rootfs) {
  return NewRealHostFs({"/proc", "/sys", rootfs.string()});
}

class CollectorTestBase : public ::testing::Test {
 protected:
  // Creates the collector with `make(context)` on first use, then collects
  // once. `make` returns the collector, or a StatusOr of it; a creation
  // error is returned as the status, with nothing collected.
  template <typename Make>
  Collected CollectWith(const HostFs& fs, Make make) {
    if (!collector_) {
      absl::StatusOr<std::unique_ptr<Collector>> made = make(CollectorContext{fs, logger_});
      if (!made.ok()) return {made.status(), {}};
      collector_ = *std::move(made);
    }
    Collected c;
    c.status = collector_->Collect(c.families);
    return c;
  }

  size_t LogLines() const {
    const std::string text = log_.str();
    return std::count(text.begin(), text.end(), '\n');
  }

  std::ostringstream log_;
  Logger logger_{LogLevel::kDebug, log_};
  std::unique_ptr<Collector> collector_;
};

}  // namespace strata::testing
