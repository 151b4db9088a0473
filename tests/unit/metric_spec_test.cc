#include "base/metric_spec.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::HasSubstr;

constexpr MetricSpec kRequests{"strata_test_requests_total",
                               prometheus::MetricType::Counter,
                               "Requests handled, by method and code.",
                               {"method", "code"},
                               "test"};
constexpr MetricSpec kTemperature{"strata_test_temperature_celsius",
                                  prometheus::MetricType::Gauge,
                                  "Temperature of a sensor.",
                                  {"sensor"},
                                  "test"};
constexpr MetricSpec kUp{
    "strata_test_up", prometheus::MetricType::Gauge, "Whether it is up.", {}, "test"};
constexpr MetricSpec kUntyped{
    "strata_test_untyped", prometheus::MetricType::Untyped, "An untyped value.", {}, "test"};

MATCHER_P2(LabelIs, name, value, "") { return arg.name == name && arg.value == value; }

TEST(MetricSpec, CountsLabelsUpToTheFirstEmptyOne) {
  EXPECT_EQ(kRequests.label_count(), 2u);
  EXPECT_EQ(kTemperature.label_count(), 1u);
  EXPECT_EQ(kUp.label_count(), 0u);
  constexpr MetricSpec kFull{
      "full", prometheus::MetricType::Gauge, "", {"a", "b", "c", "d", "e", "f"}, ""};
  EXPECT_EQ(kFull.label_count(), kMaxMetricLabels);
}

TEST(FamilyBuilder, BuildsTheFamilyTheSpecDescribes) {
  std::vector<prometheus::MetricFamily> out;
  FamilyBuilder(kRequests).Add(3, {"GET", "200"}).Add(1, {"POST", "500"}).EmitTo(out);
  ASSERT_EQ(out.size(), 1u);
  const prometheus::MetricFamily& family = out[0];
  EXPECT_EQ(family.name, "strata_test_requests_total");
  EXPECT_EQ(family.help, "Requests handled, by method and code.");
  EXPECT_EQ(family.type, prometheus::MetricType::Counter);
  ASSERT_EQ(family.metric.size(), 2u);
  EXPECT_THAT(family.metric[0].label,
              ::testing::ElementsAre(LabelIs("method", "GET"), LabelIs("code", "200")));
  EXPECT_EQ(family.metric[0].counter.value, 3);
  EXPECT_THAT(family.metric[1].label,
              ::testing::ElementsAre(LabelIs("method", "POST"), LabelIs("code", "500")));
  EXPECT_EQ(family.metric[1].counter.value, 1);
}

TEST(FamilyBuilder, CounterSetsOnlyTheCounterValue) {
  std::vector<prometheus::MetricFamily> out;
  FamilyBuilder(kRequests).Add(7.5, {"GET", "200"}).EmitTo(out);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].metric.size(), 1u);
  EXPECT_EQ(out[0].metric[0].counter.value, 7.5);
  EXPECT_EQ(out[0].metric[0].gauge.value, 0);
  EXPECT_EQ(out[0].metric[0].untyped.value, 0);
}

TEST(FamilyBuilder, GaugeSetsOnlyTheGaugeValue) {
  std::vector<prometheus::MetricFamily> out;
  FamilyBuilder(kTemperature).Add(-3.25, {"cpu0"}).EmitTo(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, prometheus::MetricType::Gauge);
  ASSERT_EQ(out[0].metric.size(), 1u);
  EXPECT_THAT(out[0].metric[0].label, ::testing::ElementsAre(LabelIs("sensor", "cpu0")));
  EXPECT_EQ(out[0].metric[0].gauge.value, -3.25);
  EXPECT_EQ(out[0].metric[0].counter.value, 0);
}

TEST(FamilyBuilder, UntypedSetsTheUntypedValue) {
  std::vector<prometheus::MetricFamily> out;
  FamilyBuilder(kUntyped).Add(42).EmitTo(out);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].metric.size(), 1u);
  EXPECT_TRUE(out[0].metric[0].label.empty());
  EXPECT_EQ(out[0].metric[0].untyped.value, 42);
}

TEST(FamilyBuilder, WrongLabelCountThrowsNamingTheMetric) {
  for (size_t given : {0, 1, 3}) {
    SCOPED_TRACE(given);
    FamilyBuilder builder(kRequests);
    try {
      switch (given) {
        case 0:
          builder.Add(1);
          break;
        case 1:
          builder.Add(1, {"GET"});
          break;
        default:
          builder.Add(1, {"GET", "200", "extra"});
      }
      ADD_FAILURE() << "Add did not throw";
    } catch (const std::logic_error& e) {
      EXPECT_THAT(e.what(), HasSubstr("strata_test_requests_total"));
      EXPECT_THAT(e.what(), HasSubstr(std::to_string(given) + " label values given, 2 expected"));
    }
    // Nothing was added.
    EXPECT_TRUE(builder.empty());
  }
  EXPECT_THROW(FamilyBuilder(kUp).Add(1, {"unexpected"}), std::logic_error);
}

TEST(FamilyBuilder, EmitToOnAnEmptyBuilderAppendsNothing) {
  std::vector<prometheus::MetricFamily> out;
  FamilyBuilder(kUp).Add(1).EmitTo(out);
  ASSERT_EQ(out.size(), 1u);
  FamilyBuilder builder(kTemperature);
  EXPECT_TRUE(builder.empty());
  builder.EmitTo(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "strata_test_up");
}

TEST(FamilyBuilder, EmitToEmptiesTheBuilder) {
  std::vector<prometheus::MetricFamily> out;
  FamilyBuilder builder(kUp);
  builder.Add(1);
  EXPECT_FALSE(builder.empty());
  builder.EmitTo(out);
  EXPECT_TRUE(builder.empty());
  builder.EmitTo(out);
  EXPECT_EQ(out.size(), 1u);
}

// A builder used again after EmitTo emits a complete family, not one with
// the moved-from (empty) name and help.
TEST(FamilyBuilder, IsReusableAfterEmitTo) {
  std::vector<prometheus::MetricFamily> out;
  FamilyBuilder builder(kTemperature);
  builder.Add(1, {"a"}).EmitTo(out);
  builder.Add(2, {"b"}).EmitTo(out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].name, "strata_test_temperature_celsius");
  EXPECT_EQ(out[1].help, "Temperature of a sensor.");
  EXPECT_EQ(out[1].type, prometheus::MetricType::Gauge);
  ASSERT_EQ(out[1].metric.size(), 1u);
  EXPECT_EQ(out[1].metric[0].gauge.value, 2);
}

TEST(MetricTypeName, NamesEveryTypeAsTheTypeLineDoes) {
  EXPECT_EQ(MetricTypeName(prometheus::MetricType::Counter), "counter");
  EXPECT_EQ(MetricTypeName(prometheus::MetricType::Gauge), "gauge");
  EXPECT_EQ(MetricTypeName(prometheus::MetricType::Summary), "summary");
  EXPECT_EQ(MetricTypeName(prometheus::MetricType::Histogram), "histogram");
  EXPECT_EQ(MetricTypeName(prometheus::MetricType::Untyped), "untyped");
}

}  // namespace
}  // namespace strata
