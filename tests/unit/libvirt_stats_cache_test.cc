// StatsCache: which slow stats groups of which domain are due, with a clock
// the test moves, and what is merged into a record between two asks.
#include <string>

#include "collectors/libvirt/stats_cache.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr char kVm[] = "8f2c6a2e-0d7b-4f6a-9c33-2b1f0d6e9a01";
constexpr char kOther[] = "0b5e4c1a-7d3f-4e2b-8a19-6c0d2f3e4b5a";

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);

SlowGroupIntervals Intervals() {
  SlowGroupIntervals intervals;
  intervals.balloon = absl::Seconds(30);
  intervals.block = absl::Minutes(1);
  return intervals;
}

TypedParams BalloonAnswer(double rss_kib) {
  return {{"balloon.current", 65536.0},
          {"balloon.maximum", 65536.0},
          {"balloon.rss", rss_kib},
          // Not of the group: never kept.
          {"cpu.time", 5.0}};
}

TypedParams BlockAnswer(double capacity) {
  return {{"block.count", 1.0},
          {"block.0.name", std::string("vda")},
          {"block.0.rd.reqs", 7.0},
          {"block.0.capacity", capacity}};
}

TEST(LibvirtStatsCacheTest, ADomainNeverAskedIsDueForEveryGroup) {
  StatsCache cache(Intervals());
  EXPECT_TRUE(cache.Due(kVm, SlowGroup::kBalloon, 0, kStart));
  EXPECT_TRUE(cache.Due(kVm, SlowGroup::kBlock, 0, kStart));
}

TEST(LibvirtStatsCacheTest, AnAnswerIsKeptUntilItsIntervalHasPassed) {
  StatsCache cache(Intervals());
  cache.Store(kVm, SlowGroup::kBlock, BlockAnswer(1e9), kStart);
  EXPECT_FALSE(cache.Due(kVm, SlowGroup::kBlock, 0, kStart));
  EXPECT_FALSE(cache.Due(kVm, SlowGroup::kBlock, 0, kStart + absl::Seconds(59)));
  EXPECT_TRUE(cache.Due(kVm, SlowGroup::kBlock, 0, kStart + absl::Minutes(1)));
  // Kept per group: the balloon was never asked.
  EXPECT_TRUE(cache.Due(kVm, SlowGroup::kBalloon, 0, kStart));
}

TEST(LibvirtStatsCacheTest, TheBalloonFollowsTheGuestsStatisticsPeriod) {
  StatsCache cache(Intervals());
  cache.Store(kVm, SlowGroup::kBalloon, BalloonAnswer(1000), kStart);
  // A guest that reports every 5 s: due after 5 s, not after the default 30.
  EXPECT_FALSE(cache.Due(kVm, SlowGroup::kBalloon, 5, kStart + absl::Seconds(4)));
  EXPECT_TRUE(cache.Due(kVm, SlowGroup::kBalloon, 5, kStart + absl::Seconds(5)));
  // Without a period: the balloon interval.
  EXPECT_FALSE(cache.Due(kVm, SlowGroup::kBalloon, 0, kStart + absl::Seconds(29)));
  EXPECT_TRUE(cache.Due(kVm, SlowGroup::kBalloon, 0, kStart + absl::Seconds(30)));
  EXPECT_EQ(cache.Interval(SlowGroup::kBalloon, 120), absl::Seconds(120));
  EXPECT_EQ(cache.Interval(SlowGroup::kBlock, 5), absl::Minutes(1));
}

TEST(LibvirtStatsCacheTest, ZeroIntervalsAskEveryScrape) {
  SlowGroupIntervals every_scrape;
  every_scrape.balloon = absl::ZeroDuration();
  every_scrape.block = absl::ZeroDuration();
  StatsCache cache(every_scrape);
  cache.Store(kVm, SlowGroup::kBalloon, BalloonAnswer(1000), kStart);
  cache.Store(kVm, SlowGroup::kBlock, BlockAnswer(1e9), kStart);
  EXPECT_TRUE(cache.Due(kVm, SlowGroup::kBalloon, 0, kStart));
  EXPECT_TRUE(cache.Due(kVm, SlowGroup::kBlock, 0, kStart));
}

TEST(LibvirtStatsCacheTest, MergeFillsOnlyWhatTheRecordLacks) {
  StatsCache cache(Intervals());
  cache.Store(kVm, SlowGroup::kBalloon, BalloonAnswer(1000), kStart);
  cache.Store(kVm, SlowGroup::kBlock, BlockAnswer(1e9), kStart);
  TypedParams record = {{"state.state", 1.0}, {"balloon.current", 32768.0}};
  cache.MergeInto(kVm, record);
  EXPECT_EQ(std::get<double>(record.at("balloon.current")), 32768.0);  // the record's own
  EXPECT_EQ(std::get<double>(record.at("balloon.rss")), 1000.0);
  EXPECT_EQ(std::get<double>(record.at("block.0.capacity")), 1e9);
  EXPECT_EQ(record.count("cpu.time"), 0u);  // never kept: not of a slow group
  // Nothing kept for another domain.
  TypedParams other = {{"state.state", 1.0}};
  cache.MergeInto(kOther, other);
  EXPECT_THAT(other, UnorderedElementsAre(Pair("state.state", 1.0)));
}

TEST(LibvirtStatsCacheTest, AFreshAnswerReplacesTheKeptOneWhole) {
  StatsCache cache(Intervals());
  cache.Store(kVm, SlowGroup::kBlock, BlockAnswer(1e9), kStart);
  // The disk was resized and a second one added.
  TypedParams resized = BlockAnswer(2e9);
  resized["block.count"] = 2.0;
  resized["block.1.name"] = std::string("vdb");
  cache.Store(kVm, SlowGroup::kBlock, resized, kStart + absl::Minutes(1));
  TypedParams record;
  cache.MergeInto(kVm, record);
  EXPECT_EQ(std::get<double>(record.at("block.0.capacity")), 2e9);
  EXPECT_EQ(std::get<std::string>(record.at("block.1.name")), "vdb");
  EXPECT_FALSE(cache.Due(kVm, SlowGroup::kBlock, 0, kStart + absl::Seconds(119)));
}

TEST(LibvirtStatsCacheTest, AVanishedDomainIsForgottenAndAReturningOneAskedAgain) {
  StatsCache cache(Intervals());
  cache.Store(kVm, SlowGroup::kBalloon, BalloonAnswer(1000), kStart);
  cache.Store(kOther, SlowGroup::kBalloon, BalloonAnswer(2000), kStart);
  cache.Retain({kOther});
  EXPECT_EQ(cache.domains(), 1u);
  EXPECT_TRUE(cache.Due(kVm, SlowGroup::kBalloon, 0, kStart + absl::Seconds(1)));
  EXPECT_FALSE(cache.Due(kOther, SlowGroup::kBalloon, 0, kStart + absl::Seconds(1)));
  TypedParams record;
  cache.MergeInto(kVm, record);
  EXPECT_TRUE(record.empty());
}

TEST(LibvirtStatsCacheTest, GroupParamsTakesExactlyTheGroupsPrefix) {
  const TypedParams params = {{"balloon.rss", 1.0},     {"balloonx", 2.0}, {"block.count", 0.0},
                              {"block.0.rd.reqs", 3.0}, {"blocking", 4.0}, {"state.state", 1.0}};
  EXPECT_THAT(GroupParams(params, SlowGroup::kBalloon),
              UnorderedElementsAre(Pair("balloon.rss", 1.0)));
  EXPECT_THAT(GroupParams(params, SlowGroup::kBlock),
              UnorderedElementsAre(Pair("block.0.rd.reqs", 3.0), Pair("block.count", 0.0)));
}

}  // namespace
}  // namespace strata
