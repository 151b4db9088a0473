#include "exporter/scraper.h"

#include <atomic>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr MetricSpec kValue{"test_value", prometheus::MetricType::Gauge, "A test value.", {}, ""};

// Emits test_value=`value`, or fails, throws or blocks, as configured.
class FakeCollector : public Collector {
 public:
  enum class Mode { kOk, kFail, kThrow, kBlock, kPartial, kSlow };
  FakeCollector(Mode mode, double value, absl::Notification* release = nullptr)
      : mode_(mode), value_(value), release_(release) {}

  absl::Status Collect(std::vector<prometheus::MetricFamily>& out) override {
    ++calls_;
    switch (mode_) {
      case Mode::kOk:
        FamilyBuilder(kValue).Add(value_).EmitTo(out);
        return absl::OkStatus();
      case Mode::kPartial:
        FamilyBuilder(kValue).Add(value_).EmitTo(out);
        return absl::DataLossError("second file truncated");
      case Mode::kFail:
        return absl::UnavailableError("backend down");
      case Mode::kThrow:
        throw std::runtime_error("boom");
      case Mode::kSlow:
        absl::SleepFor(absl::Milliseconds(30));
        FamilyBuilder(kValue).Add(value_).EmitTo(out);
        return absl::OkStatus();
      case Mode::kBlock:
        release_->WaitForNotification();
        FamilyBuilder(kValue).Add(value_).EmitTo(out);
        return absl::OkStatus();
    }
    return absl::OkStatus();
  }
  int calls() const { return calls_; }

 private:
  const Mode mode_;
  const double value_;
  absl::Notification* release_;
  std::atomic<int> calls_{0};
};

// Value of `family{collector="name"}` in a scrape result, or -1.
double Sample(const std::vector<prometheus::MetricFamily>& families, const std::string& family,
              const std::string& collector) {
  for (const auto& f : families) {
    if (f.name != family) continue;
    for (const auto& m : f.metric) {
      if (!m.label.empty() && m.label[0].value == collector) return m.gauge.value;
    }
  }
  return -1;
}

std::vector<double> Values(const std::vector<prometheus::MetricFamily>& families) {
  std::vector<double> values;
  for (const auto& f : families) {
    if (f.name != "test_value") continue;
    for (const auto& m : f.metric) values.push_back(m.gauge.value);
  }
  return values;
}

class ScraperTest : public ::testing::Test {
 protected:
  std::ostringstream log_;
  Logger logger_{LogLevel::kDebug, log_};
};

TEST_F(ScraperTest, ReportsSuccessAndDurationPerCollector) {
  std::vector<Scraper::NamedCollector> collectors;
  collectors.push_back({"a", std::make_unique<FakeCollector>(FakeCollector::Mode::kOk, 1)});
  collectors.push_back({"b", std::make_unique<FakeCollector>(FakeCollector::Mode::kOk, 2)});
  Scraper scraper(std::move(collectors), logger_);
  auto families = scraper.Scrape({}, absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(families.ok()) << families.status();
  EXPECT_EQ(Sample(*families, "strata_scrape_collector_success", "a"), 1);
  EXPECT_EQ(Sample(*families, "strata_scrape_collector_success", "b"), 1);
  EXPECT_GE(Sample(*families, "strata_scrape_collector_duration_seconds", "a"), 0);
  EXPECT_THAT(Values(*families), ElementsAre(1, 2));
  // Families come sorted by name, so the exposition is stable.
  for (size_t i = 1; i < families->size(); ++i) {
    EXPECT_LE((*families)[i - 1].name, (*families)[i].name);
  }
}

TEST_F(ScraperTest, FailingAndThrowingCollectorsDoNotAffectOthers) {
  std::vector<Scraper::NamedCollector> collectors;
  collectors.push_back({"fails", std::make_unique<FakeCollector>(FakeCollector::Mode::kFail, 0)});
  collectors.push_back({"throws", std::make_unique<FakeCollector>(FakeCollector::Mode::kThrow, 0)});
  collectors.push_back({"works", std::make_unique<FakeCollector>(FakeCollector::Mode::kOk, 7)});
  Scraper scraper(std::move(collectors), logger_);
  auto families = scraper.Scrape({}, absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(families.ok());
  EXPECT_EQ(Sample(*families, "strata_scrape_collector_success", "fails"), 0);
  EXPECT_EQ(Sample(*families, "strata_scrape_collector_success", "throws"), 0);
  EXPECT_EQ(Sample(*families, "strata_scrape_collector_success", "works"), 1);
  EXPECT_THAT(Values(*families), ElementsAre(7));
  EXPECT_THAT(log_.str(), HasSubstr("collector=fails err=\"backend down\""));
  EXPECT_THAT(log_.str(), HasSubstr("collector=throws err=\"collector threw: boom\""));
}

TEST_F(ScraperTest, PartialResultIsServedAndMarkedFailed) {
  std::vector<Scraper::NamedCollector> collectors;
  collectors.push_back({"p", std::make_unique<FakeCollector>(FakeCollector::Mode::kPartial, 3)});
  Scraper scraper(std::move(collectors), logger_);
  auto families = scraper.Scrape({}, absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(families.ok());
  EXPECT_EQ(Sample(*families, "strata_scrape_collector_success", "p"), 0);
  EXPECT_THAT(Values(*families), ElementsAre(3));
}

TEST_F(ScraperTest, RepeatedFailureIsLoggedAsErrorOnce) {
  std::vector<Scraper::NamedCollector> collectors;
  collectors.push_back({"fails", std::make_unique<FakeCollector>(FakeCollector::Mode::kFail, 0)});
  Scraper scraper(std::move(collectors), logger_);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(scraper.Scrape({}, absl::Now() + absl::Seconds(5)).ok());
  const std::string log = log_.str();
  size_t errors = 0;
  for (size_t pos = 0; (pos = log.find("level=error", pos)) != std::string::npos; ++pos) ++errors;
  EXPECT_EQ(errors, 1u) << log;
}

TEST_F(ScraperTest, OverrunningCollectorIsCutOffAtTheDeadline) {
  absl::Notification release;
  std::vector<Scraper::NamedCollector> collectors;
  collectors.push_back(
      {"hangs", std::make_unique<FakeCollector>(FakeCollector::Mode::kBlock, 9, &release)});
  collectors.push_back({"works", std::make_unique<FakeCollector>(FakeCollector::Mode::kOk, 1)});
  Scraper scraper(std::move(collectors), logger_);

  auto families = scraper.Scrape({}, absl::Now() + absl::Milliseconds(200));
  ASSERT_TRUE(families.ok());
  EXPECT_EQ(Sample(*families, "strata_scrape_collector_success", "hangs"), 0);
  EXPECT_GE(Sample(*families, "strata_scrape_collector_duration_seconds", "hangs"), 0.2);
  EXPECT_EQ(Sample(*families, "strata_scrape_collector_success", "works"), 1);
  EXPECT_THAT(Values(*families), ElementsAre(1));

  // While the first run still hangs, a second scrape does not start another.
  auto second = scraper.Scrape({"hangs"}, absl::Now() + absl::Milliseconds(100));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(Sample(*second, "strata_scrape_collector_success", "hangs"), 0);
  EXPECT_THAT(log_.str(), HasSubstr("previous collection is still running"));
  EXPECT_FALSE(scraper.AwaitIdle(absl::Now() + absl::Milliseconds(10)));

  release.Notify();
  EXPECT_TRUE(scraper.AwaitIdle(absl::Now() + absl::Seconds(5)));
  auto third = scraper.Scrape({"hangs"}, absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(Sample(*third, "strata_scrape_collector_success", "hangs"), 1);
  EXPECT_THAT(log_.str(), HasSubstr("collector recovered"));
}

TEST_F(ScraperTest, CollectParameterRestrictsTheScrape) {
  auto a = std::make_unique<FakeCollector>(FakeCollector::Mode::kOk, 1);
  FakeCollector* a_ptr = a.get();
  std::vector<Scraper::NamedCollector> collectors;
  collectors.push_back({"a", std::move(a)});
  collectors.push_back({"b", std::make_unique<FakeCollector>(FakeCollector::Mode::kOk, 2)});
  Scraper scraper(std::move(collectors), logger_);
  auto families = scraper.Scrape({"b", "b"}, absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(families.ok());
  EXPECT_THAT(Values(*families), ElementsAre(2));
  EXPECT_EQ(Sample(*families, "strata_scrape_collector_success", "a"), -1);
  EXPECT_EQ(a_ptr->calls(), 0);
}

TEST_F(ScraperTest, UnknownCollectorNameIsRejected) {
  std::vector<Scraper::NamedCollector> collectors;
  collectors.push_back({"a", std::make_unique<FakeCollector>(FakeCollector::Mode::kOk, 1)});
  Scraper scraper(std::move(collectors), logger_);
  auto families = scraper.Scrape({"nope"}, absl::Now() + absl::Seconds(5));
  ASSERT_FALSE(families.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(families.status()));
  EXPECT_THAT(families.status().message(), HasSubstr("\"nope\" is not enabled (enabled: a)"));
}

TEST_F(ScraperTest, ConcurrentScrapesEachGetEveryCollector) {
  std::vector<Scraper::NamedCollector> collectors;
  collectors.push_back({"a", std::make_unique<FakeCollector>(FakeCollector::Mode::kOk, 1)});
  Scraper scraper(std::move(collectors), logger_);
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto families = scraper.Scrape({}, absl::Now() + absl::Seconds(5));
      if (families.ok() && Values(*families) == std::vector<double>{1}) ++good;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 8);
}

// Eight concurrent scrapes each started a collection of their own (run one
// after another); now they share the one in flight.
TEST_F(ScraperTest, ConcurrentScrapesShareOneCollection) {
  absl::Notification release;
  auto blocking = std::make_unique<FakeCollector>(FakeCollector::Mode::kBlock, 4, &release);
  FakeCollector* collector = blocking.get();
  std::vector<Scraper::NamedCollector> collectors;
  collectors.push_back({"a", std::move(blocking)});
  Scraper scraper(std::move(collectors), logger_);
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto families = scraper.Scrape({}, absl::Now() + absl::Seconds(10));
      if (families.ok() && Values(*families) == std::vector<double>{4} &&
          Sample(*families, "strata_scrape_collector_success", "a") == 1) {
        ++good;
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(300));  // every scrape is waiting by now
  release.Notify();
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 8);
  EXPECT_EQ(collector->calls(), 1);
  ASSERT_TRUE(scraper.AwaitIdle(absl::Now() + absl::Seconds(5)));
  // The next scrape, after it, collects afresh.
  ASSERT_TRUE(scraper.Scrape({}, absl::Now() + absl::Seconds(5)).ok());
  EXPECT_EQ(collector->calls(), 2);
}

// Scrapes faster than the collector alternated between "did not finish" and
// "previous collection still running", and each change was an error line.
TEST_F(ScraperTest, TinyDeadlinesInALoopLogTheOverrunOnce) {
  // A collection that outlives every deadline until released: no timing in
  // the test decides what is logged.
  absl::Notification release;
  auto blocked = std::make_unique<FakeCollector>(FakeCollector::Mode::kBlock, 1, &release);
  FakeCollector* collector = blocked.get();
  std::vector<Scraper::NamedCollector> collectors;
  collectors.push_back({"slow", std::move(blocked)});
  Scraper scraper(std::move(collectors), logger_);
  for (int i = 0; i < 40; ++i) {
    auto families = scraper.Scrape({}, absl::Now() + absl::Milliseconds(1));
    ASSERT_TRUE(families.ok());
  }
  release.Notify();
  ASSERT_TRUE(scraper.AwaitIdle(absl::Now() + absl::Seconds(5)));
  auto count = [this](const std::string& what) {
    const std::string log = log_.str();
    size_t n = 0;
    for (size_t pos = 0; (pos = log.find(what, pos)) != std::string::npos; ++pos) ++n;
    return n;
  };
  // One error line for the overrun, not one per scrape; one collection.
  EXPECT_EQ(count("level=error"), 1u) << log_.str();
  EXPECT_EQ(count("collector recovered"), 0u) << log_.str();
  EXPECT_EQ(collector->calls(), 1);
  // The next scrape that gets its answer says so once.
  auto families = scraper.Scrape({}, absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(families.ok());
  EXPECT_EQ(count("collector recovered"), 1u) << log_.str();
  EXPECT_EQ(count("level=error"), 1u) << log_.str();
}

constexpr MetricSpec kNamed{
    "test_named", prometheus::MetricType::Gauge, "A test value with a name.", {"name"}, ""};

// Emits one sample whose label holds the given bytes.
class LabelCollector : public Collector {
 public:
  explicit LabelCollector(std::string value) : value_(std::move(value)) {}
  absl::Status Collect(std::vector<prometheus::MetricFamily>& out) override {
    FamilyBuilder(kNamed).Add(1, {value_}).EmitTo(out);
    return absl::OkStatus();
  }

 private:
  const std::string value_;
};

TEST_F(ScraperTest, InvalidUtf8IsReplacedAndCountedPerCollector) {
  std::vector<Scraper::NamedCollector> collectors;
  collectors.push_back({"latin1", std::make_unique<LabelCollector>("caf\xe9 cr\xe8me")});
  collectors.push_back({"clean", std::make_unique<LabelCollector>("caf\xc3\xa9")});
  Scraper scraper(std::move(collectors), logger_);
  for (int scrape = 1; scrape <= 2; ++scrape) {
    auto families = scraper.Scrape({}, absl::Now() + absl::Seconds(5));
    ASSERT_TRUE(families.ok());
    std::vector<std::string> values;
    for (const auto& f : *families) {
      if (f.name != "test_named") continue;
      for (const auto& m : f.metric) values.push_back(m.label[0].value);
    }
    EXPECT_THAT(values,
                ::testing::UnorderedElementsAre("caf\xef\xbf\xbd cr\xef\xbf\xbdme", "caf\xc3\xa9"));
    for (const auto& f : *families) {
      if (f.name != "strata_exposition_invalid_utf8_replacements_total") continue;
      ASSERT_EQ(f.metric.size(), 2u);
      for (const auto& m : f.metric) {
        EXPECT_EQ(m.counter.value, m.label[0].value == "latin1" ? 2 * scrape : 0);
      }
    }
  }
  // Logged once, at warn level, naming the collector.
  const std::string log = log_.str();
  EXPECT_EQ(log.find("invalid UTF-8"), log.rfind("invalid UTF-8")) << log;
  EXPECT_THAT(log, HasSubstr("level=warn msg=\"invalid UTF-8 from the host replaced"));
  EXPECT_THAT(log, HasSubstr("collector=latin1"));
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

// Two collectors reporting one family (with their own label values) give one family.
TEST(MergeSameNameFamilies, JoinsAdjacentFamiliesKeepingOrder) {
  std::vector<prometheus::MetricFamily> families(3);
  families[0].name = "a";
  families[0].metric.resize(1);
  families[1].name = "a";
  families[1].metric.resize(2);
  families[2].name = "b";
  families[2].metric.resize(1);
  MergeSameNameFamilies(families);
  ASSERT_EQ(families.size(), 2u);
  EXPECT_EQ(families[0].name, "a");
  EXPECT_EQ(families[0].metric.size(), 3u);
  EXPECT_EQ(families[1].name, "b");
}

}  // namespace
}  // namespace strata
