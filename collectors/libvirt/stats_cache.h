// Which of the slow stats groups (balloon, block) each domain must be asked
// for this scrape, and the last answer of those that are not due, so that a
// group is asked for only as often as its values can change: the balloon
// group at the guest's memory statistics period, the block group (whose
// capacity, allocation and physical size rarely change) at an interval of
// its own. Domains are keyed by the caller (the session uses the UUID and the
// ID of the domain's current run, so a restarted or stopped domain is asked
// afresh); one that vanished is forgotten.
//
// Not thread-safe: the session uses it from one thread at a time.
#pragma once

#include <map>
#include <set>
#include <string>

#include "absl/time/time.h"
#include "collectors/libvirt/domain_stats.h"

namespace strata {

enum class SlowGroup { kBalloon, kBlock };

struct SlowGroupIntervals {
  // Balloon group of a guest without a statistics period (then only
  // balloon.current, .maximum and .rss come, the guest reports nothing).
  absl::Duration balloon = absl::Seconds(30);
  // Block group: capacity, allocation and physical size with the I/O
  // counters (which the every-scrape call reads per device otherwise).
  absl::Duration block = absl::Minutes(1);
};

class StatsCache {
 public:
  explicit StatsCache(SlowGroupIntervals intervals) : intervals_(intervals) {}

  // How long an answer of `group` stays good for a domain whose guest reports
  // balloon statistics every `balloon_period_seconds` (0: never).
  absl::Duration Interval(SlowGroup group, double balloon_period_seconds) const;

  // Whether `group` of domain `uuid` must be asked for at `now`: never asked
  // yet, or the last answer is at least an interval old.
  bool Due(const std::string& uuid, SlowGroup group, double balloon_period_seconds,
           absl::Time now) const;

  // Keeps the answer of `group` (its parameters only, "balloon.*" or
  // "block.*") for domain `uuid`, read at `now`.
  void Store(const std::string& uuid, SlowGroup group, const TypedParams& params, absl::Time now);

  // Adds the kept parameters of the slow groups of `uuid` to `params`,
  // leaving any the record already has.
  void MergeInto(const std::string& uuid, TypedParams& params) const;

  // Forgets every domain not in `seen`.
  void Retain(const std::set<std::string>& seen);

  size_t domains() const { return entries_.size(); }

 private:
  struct Answer {
    TypedParams params;
    absl::Time read_at = absl::InfinitePast();
    bool asked = false;
  };
  struct Entry {
    Answer balloon, block;
  };
  static const Answer& Of(const Entry& entry, SlowGroup group) {
    return group == SlowGroup::kBalloon ? entry.balloon : entry.block;
  }

  const SlowGroupIntervals intervals_;
  std::map<std::string, Entry> entries_;
};

// The parameters of `params` that belong to `group`.
TypedParams GroupParams(const TypedParams& params, SlowGroup group);

}  // namespace strata
