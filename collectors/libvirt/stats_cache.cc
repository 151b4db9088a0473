#include "collectors/libvirt/stats_cache.h"

#include <algorithm>
#include <iterator>

namespace strata {
namespace {

const char* Prefix(SlowGroup group) { return group == SlowGroup::kBalloon ? "balloon." : "block."; }

}  // namespace

absl::Duration StatsCache::Interval(SlowGroup group, double balloon_period_seconds) const {
  if (group == SlowGroup::kBlock) return intervals_.block;
  // The guest's figures change once a period; QEMU's RSS and the balloon
  // size, which come along, are then as old as the period at most.
  if (balloon_period_seconds > 0) return absl::Seconds(balloon_period_seconds);
  return intervals_.balloon;
}

bool StatsCache::Due(const std::string& uuid, SlowGroup group, double balloon_period_seconds,
                     absl::Time now) const {
  auto it = entries_.find(uuid);
  if (it == entries_.end()) return true;
  const Answer& answer = Of(it->second, group);
  return !answer.asked || now - answer.read_at >= Interval(group, balloon_period_seconds);
}

void StatsCache::Store(const std::string& uuid, SlowGroup group, const TypedParams& params,
                       absl::Time now) {
  Entry& entry = entries_[uuid];
  Answer& answer = group == SlowGroup::kBalloon ? entry.balloon : entry.block;
  answer.params = GroupParams(params, group);
  answer.read_at = now;
  answer.asked = true;
}

void StatsCache::MergeInto(const std::string& uuid, TypedParams& params) const {
  auto it = entries_.find(uuid);
  if (it == entries_.end()) return;
  for (const Answer* answer : {&it->second.balloon, &it->second.block}) {
    params.insert(answer->params.begin(), answer->params.end());
  }
}

void StatsCache::Retain(const std::set<std::string>& seen) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = seen.count(it->first) > 0 ? std::next(it) : entries_.erase(it);
  }
}

TypedParams GroupParams(const TypedParams& params, SlowGroup group) {
  const std::string prefix = Prefix(group);
  TypedParams out;
  for (auto it = params.lower_bound(prefix);
       it != params.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    out.insert(*it);
  }
  return out;
}

}  // namespace strata
