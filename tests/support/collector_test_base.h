// A GoogleTest fixture base for collector unit tests: one collector kept
// across Collect() calls (so caches and "logged once" behaviour show), a
// debug logger whose output the test can read, and the Collect() result.
#pragma once

#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "collectors/collector.h"
#include "exporter/logging.h"
#include "gtest/gtest.h"
#include "prometheus/metric_family.h"

namespace strata::testing {

struct Collected {
  absl::Status status;
  std::vector<prometheus::MetricFamily> families;
};

class CollectorTestBase : public ::testing::Test {
 protected:
  // Creates the collector with `make(context)` on first use, then collects once.
  template <typename Make>
  Collected CollectWith(const HostFs& fs, Make make) {
    if (!collector_) collector_ = make(CollectorContext{fs, logger_});
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
