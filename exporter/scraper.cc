#include "exporter/scraper.h"

#include <algorithm>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "exporter/exporter_metrics.h"

namespace strata {

// A registered collector and what the scraper remembers about it.
struct Scraper::Slot {
  std::string name;
  std::unique_ptr<Collector> collector;
  // Held for the whole of a Collect() call, so one collector never runs twice at once.
  std::timed_mutex running;
  absl::Mutex mu;
  // The last failure logged at error level; repeats are logged at debug level.
  std::string last_error ABSL_GUARDED_BY(mu);
};

// The result one collector run hands back to the scrape that started it.
struct Scraper::Outcome {
  absl::Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
  absl::Status status ABSL_GUARDED_BY(mu);
  std::vector<prometheus::MetricFamily> families ABSL_GUARDED_BY(mu);
  absl::Duration duration ABSL_GUARDED_BY(mu);
};

void MergeSameNameFamilies(std::vector<prometheus::MetricFamily>& sorted) {
  size_t kept = 0;
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (kept > 0 && sorted[kept - 1].name == sorted[i].name) {
      auto& into = sorted[kept - 1].metric;
      into.insert(into.end(), std::make_move_iterator(sorted[i].metric.begin()),
                  std::make_move_iterator(sorted[i].metric.end()));
    } else {
      if (kept != i) sorted[kept] = std::move(sorted[i]);
      ++kept;
    }
  }
  sorted.resize(kept);
}

Scraper::Scraper(std::vector<NamedCollector> collectors, const Logger& logger) : logger_(logger) {
  for (NamedCollector& named : collectors) {
    auto slot = std::make_shared<Slot>();
    slot->name = std::move(named.name);
    slot->collector = std::move(named.collector);
    slots_.push_back(std::move(slot));
  }
}

Scraper::~Scraper() = default;

std::vector<std::string> Scraper::names() const {
  std::vector<std::string> names;
  for (const auto& slot : slots_) names.push_back(slot->name);
  return names;
}

void Scraper::Run(std::shared_ptr<Slot> slot, std::shared_ptr<Outcome> outcome,
                  absl::Time deadline) {
  const absl::Time start = absl::Now();
  absl::Status status;
  std::vector<prometheus::MetricFamily> families;
  if (!slot->running.try_lock_until(absl::ToChronoTime(deadline))) {
    status = absl::DeadlineExceededError("its previous collection is still running");
  } else {
    try {
      status = slot->collector->Collect(families);
    } catch (const std::exception& e) {
      status = absl::InternalError(absl::StrCat("collector threw: ", e.what()));
    } catch (...) {
      status = absl::InternalError("collector threw a non-standard exception");
    }
    slot->running.unlock();
  }
  absl::MutexLock lock(&outcome->mu);
  outcome->done = true;
  outcome->status = std::move(status);
  outcome->families = std::move(families);
  outcome->duration = absl::Now() - start;
}

void Scraper::Report(Slot& slot, const absl::Status& status) const {
  absl::MutexLock lock(&slot.mu);
  if (status.ok()) {
    if (!slot.last_error.empty()) {
      logger_.Info("collector recovered", {{"collector", slot.name}});
      slot.last_error.clear();
    }
    return;
  }
  std::string error(status.message());
  if (error == slot.last_error) {
    logger_.Debug("collector failed", {{"collector", slot.name}, {"err", error}});
  } else {
    logger_.Error("collector failed", {{"collector", slot.name}, {"err", error}});
    slot.last_error = std::move(error);
  }
}

absl::StatusOr<std::vector<prometheus::MetricFamily>> Scraper::Scrape(
    const std::vector<std::string>& only, absl::Time deadline) const {
  std::vector<std::shared_ptr<Slot>> selected;
  if (only.empty()) {
    selected = slots_;
  } else {
    for (const std::string& name : only) {
      auto it = std::find_if(slots_.begin(), slots_.end(),
                             [&](const auto& slot) { return slot->name == name; });
      if (it == slots_.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("collector \"", name,
                         "\" is not enabled (enabled: ", absl::StrJoin(names(), ", "), ")"));
      }
      if (std::find(selected.begin(), selected.end(), *it) == selected.end()) {
        selected.push_back(*it);
      }
    }
  }

  const absl::Time start = absl::Now();
  std::vector<std::shared_ptr<Outcome>> outcomes;
  // Which collectors an earlier, overrunning scrape still holds, to say so.
  std::vector<bool> busy;
  for (const auto& slot : selected) {
    busy.push_back(!slot->running.try_lock());
    if (!busy.back()) slot->running.unlock();
    auto outcome = std::make_shared<Outcome>();
    outcomes.push_back(outcome);
    try {
      std::thread(Run, slot, outcome, deadline).detach();
    } catch (const std::system_error& e) {
      absl::MutexLock lock(&outcome->mu);
      outcome->done = true;
      outcome->status = absl::ResourceExhaustedError(absl::StrCat("no thread: ", e.what()));
    }
  }

  std::vector<prometheus::MetricFamily> families;
  FamilyBuilder success(exporter_metrics::kScrapeCollectorSuccess);
  FamilyBuilder duration(exporter_metrics::kScrapeCollectorDuration);
  for (size_t i = 0; i < selected.size(); ++i) {
    Outcome& outcome = *outcomes[i];
    absl::Status status;
    absl::Duration took;
    {
      absl::MutexLock lock(&outcome.mu);
      if (outcome.mu.AwaitWithDeadline(absl::Condition(&outcome.done), deadline)) {
        status = outcome.status;
        took = outcome.duration;
        for (auto& family : outcome.families) families.push_back(std::move(family));
      } else {
        // Whatever it produces later is dropped with the outcome.
        took = absl::Now() - start;
        status = absl::DeadlineExceededError(
            // No duration in the message: a repeated failure must read the
            // same, so it is logged at error level once.
            busy[i] ? "its previous collection is still running"
                    : "did not finish within the scrape deadline");
      }
    }
    Report(*selected[i], status);
    success.Add(status.ok() ? 1 : 0, {selected[i]->name});
    duration.Add(absl::ToDoubleSeconds(took), {selected[i]->name});
  }
  success.EmitTo(families);
  duration.EmitTo(families);
  std::stable_sort(families.begin(), families.end(),
                   [](const auto& a, const auto& b) { return a.name < b.name; });
  MergeSameNameFamilies(families);
  return families;
}

bool Scraper::AwaitIdle(absl::Time deadline) const {
  for (const auto& slot : slots_) {
    if (!slot->running.try_lock_until(absl::ToChronoTime(deadline))) return false;
    slot->running.unlock();
  }
  return true;
}

}  // namespace strata
