// Runs collectors for one scrape with isolation: each collector runs on its
// own thread, bounded by the scrape's deadline, and whatever it does (fail,
// throw, hang) is reported in strata_scrape_collector_success and
// strata_scrape_collector_duration_seconds without touching the others.
//
// Scrapes that overlap share one collection per collector (coalescing): a
// scrape that asks for a collector while it is collecting waits for that
// collection instead of starting another, so a burst of scrapes (or a client
// looping with a tiny timeout) costs one collection, never one per request.
// A collector that overruns keeps its thread until it returns; until then
// later scrapes wait for it only up to their own deadline, so a hung
// collector never piles up threads or blocks other collectors.
//
// Every collector's families are made valid UTF-8 (base/utf8.h) as its
// collection ends, and the replacements are counted per collector in
// strata_exposition_invalid_utf8_replacements_total. Thread-safe: scrapes
// may run concurrently.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/logging.h"
#include "collectors/collector.h"
#include "prometheus/metric_family.h"

namespace strata {

// Joins families that share a name (several collectors report, say,
// strata_convergence_resources with their own tool label) into one, as the
// text format requires. `sorted` must be sorted by name.
void MergeSameNameFamilies(std::vector<prometheus::MetricFamily>& sorted);

class Scraper {
 public:
  struct NamedCollector {
    std::string name;
    std::unique_ptr<Collector> collector;
  };

  Scraper(std::vector<NamedCollector> collectors, const Logger& logger);
  ~Scraper();
  Scraper(const Scraper&) = delete;
  Scraper& operator=(const Scraper&) = delete;

  // Runs the collectors named in `only` (every collector when empty), or
  // joins their collections already in flight, and returns their families
  // plus the per-collector scrape metrics, sorted by name. InvalidArgument
  // when `only` names a collector that is not enabled.
  absl::StatusOr<std::vector<prometheus::MetricFamily>> Scrape(const std::vector<std::string>& only,
                                                               absl::Time deadline) const;

  // Waits until no collector is running, up to `deadline`; false if one
  // still is (a hung collector at shutdown).
  bool AwaitIdle(absl::Time deadline) const;

  std::vector<std::string> names() const;

 private:
  struct Slot;
  struct Outcome;

  static void Run(std::shared_ptr<Slot> slot, std::shared_ptr<Outcome> outcome,
                  const Logger* logger);
  void Report(Slot& slot, const absl::Status& status) const;

  std::vector<std::shared_ptr<Slot>> slots_;
  const Logger& logger_;
};

}  // namespace strata
