#include "exporter/scraper.h"

#include <algorithm>
#include <exception>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "base/utf8.h"
#include "exporter/exporter_metrics.h"

namespace strata {

// One collection of one collector, shared by every scrape that asked for the
// collector while it ran.
struct Scraper::Outcome {
  absl::Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
  absl::Status status ABSL_GUARDED_BY(mu);
  std::vector<prometheus::MetricFamily> families ABSL_GUARDED_BY(mu);
  absl::Duration duration ABSL_GUARDED_BY(mu);
  // Scrapes that will still take `families`: the last one moves them rather
  // than copying (the model is most of a scrape's memory).
  int readers ABSL_GUARDED_BY(mu) = 1;
};

// A registered collector and what the scraper remembers about it.
struct Scraper::Slot {
  std::string name;
  std::unique_ptr<Collector> collector;
  absl::Mutex mu;
  // The collection running now, if any: a scrape that arrives meanwhile waits
  // for it rather than starting another, so one collector never runs twice
  // at once and a burst of scrapes costs one collection.
  std::shared_ptr<Outcome> in_flight ABSL_GUARDED_BY(mu);
  // What the last failure logged at error level was; repeats of the same
  // failure are logged at debug level.
  std::string last_error ABSL_GUARDED_BY(mu);
  uint64_t invalid_utf8 ABSL_GUARDED_BY(mu) = 0;
  bool invalid_utf8_logged ABSL_GUARDED_BY(mu) = false;
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
                  const Logger* logger) {
  const absl::Time start = absl::Now();
  absl::Status status;
  std::vector<prometheus::MetricFamily> families;
  try {
    status = slot->collector->Collect(families);
  } catch (const std::exception& e) {
    status = absl::InternalError(absl::StrCat("collector threw: ", e.what()));
  } catch (...) {
    status = absl::InternalError("collector threw a non-standard exception");
  }
  // The one place every collector's output passes: host bytes become valid
  // UTF-8 here, before any scrape serialises them.
  const size_t replaced = MakeFamiliesValidUtf8(families);
  {
    absl::MutexLock lock(&slot->mu);
    slot->in_flight.reset();
    slot->invalid_utf8 += replaced;
    if (replaced > 0 && !slot->invalid_utf8_logged) {
      slot->invalid_utf8_logged = true;
      logger->Warn("invalid UTF-8 from the host replaced in labels (logged once per collector)",
                   {{"collector", slot->name}, {"replaced", std::to_string(replaced)}});
    }
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
  // Overrunning the deadline reads two ways (it started this scrape, or an
  // earlier one did), and alternates between them when scrapes come faster
  // than the collector: one kind of failure, logged at error level once.
  std::string kind = absl::IsDeadlineExceeded(status) ? "deadline exceeded" : error;
  if (kind == slot.last_error) {
    logger_.Debug("collector failed", {{"collector", slot.name}, {"err", error}});
  } else {
    logger_.Error("collector failed", {{"collector", slot.name}, {"err", error}});
    slot.last_error = std::move(kind);
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
  // Which collections an earlier scrape started, to say so when they overrun.
  std::vector<bool> joined;
  for (const auto& slot : selected) {
    absl::MutexLock lock(&slot->mu);
    if (slot->in_flight != nullptr) {
      {
        absl::MutexLock outcome_lock(&slot->in_flight->mu);
        ++slot->in_flight->readers;
      }
      outcomes.push_back(slot->in_flight);
      joined.push_back(true);
      continue;
    }
    auto outcome = std::make_shared<Outcome>();
    outcomes.push_back(outcome);
    joined.push_back(false);
    try {
      slot->in_flight = outcome;
      std::thread(Run, slot, outcome, &logger_).detach();
    } catch (const std::system_error& e) {
      slot->in_flight.reset();
      absl::MutexLock outcome_lock(&outcome->mu);
      outcome->done = true;
      outcome->status = absl::ResourceExhaustedError(absl::StrCat("no thread: ", e.what()));
    }
  }

  std::vector<prometheus::MetricFamily> families;
  FamilyBuilder success(exporter_metrics::kScrapeCollectorSuccess);
  FamilyBuilder duration(exporter_metrics::kScrapeCollectorDuration);
  FamilyBuilder invalid_utf8(exporter_metrics::kInvalidUtf8Replacements);
  for (size_t i = 0; i < selected.size(); ++i) {
    Outcome& outcome = *outcomes[i];
    absl::Status status;
    absl::Duration took;
    {
      absl::MutexLock lock(&outcome.mu);
      const bool done = outcome.mu.AwaitWithDeadline(absl::Condition(&outcome.done), deadline);
      const bool last_reader = --outcome.readers == 0;
      if (done) {
        status = outcome.status;
        took = outcome.duration;
        // Other scrapes may share this collection: only the last one moves.
        if (last_reader) {
          families.insert(families.end(), std::make_move_iterator(outcome.families.begin()),
                          std::make_move_iterator(outcome.families.end()));
          outcome.families = {};
        } else {
          families.insert(families.end(), outcome.families.begin(), outcome.families.end());
        }
      } else {
        // Whatever it produces later goes to the scrapes still waiting.
        took = absl::Now() - start;
        status = absl::DeadlineExceededError(
            // No duration in the message: a repeated failure must read the
            // same, so it is logged at error level once.
            joined[i] ? "its previous collection is still running"
                      : "did not finish within the scrape deadline");
      }
    }
    Report(*selected[i], status);
    success.Add(status.ok() ? 1 : 0, {selected[i]->name});
    duration.Add(absl::ToDoubleSeconds(took), {selected[i]->name});
    absl::MutexLock lock(&selected[i]->mu);
    invalid_utf8.Add(static_cast<double>(selected[i]->invalid_utf8), {selected[i]->name});
  }
  success.EmitTo(families);
  duration.EmitTo(families);
  invalid_utf8.EmitTo(families);
  std::stable_sort(families.begin(), families.end(),
                   [](const auto& a, const auto& b) { return a.name < b.name; });
  MergeSameNameFamilies(families);
  return families;
}

bool Scraper::AwaitIdle(absl::Time deadline) const {
  for (const auto& slot : slots_) {
    absl::MutexLock lock(&slot->mu);
    auto idle = [&slot]()
                    ABSL_SHARED_LOCKS_REQUIRED(slot->mu) { return slot->in_flight == nullptr; };
    if (!slot->mu.AwaitWithDeadline(absl::Condition(&idle), deadline)) return false;
  }
  return true;
}

}  // namespace strata
