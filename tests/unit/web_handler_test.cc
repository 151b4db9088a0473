#include "exporter/web_handler.h"

#include <sstream>

#include "absl/synchronization/notification.h"
#include "exporter/gzip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

constexpr MetricSpec kUp{"test_up", prometheus::MetricType::Gauge, "Test.", {}, ""};

class UpCollector : public Collector {
 public:
  explicit UpCollector(absl::Duration delay = absl::ZeroDuration()) : delay_(delay) {}
  absl::Status Collect(std::vector<prometheus::MetricFamily>& out) override {
    absl::SleepFor(delay_);
    FamilyBuilder(kUp).Add(1).EmitTo(out);
    return absl::OkStatus();
  }

 private:
  absl::Duration delay_;
};

class WebHandlerTest : public ::testing::Test {
 protected:
  WebHandlerTest() {
    std::vector<Scraper::NamedCollector> collectors;
    collectors.push_back({"up", std::make_unique<UpCollector>()});
    collectors.push_back({"slow", std::make_unique<UpCollector>(absl::Seconds(2))});
    scraper_ = std::make_unique<Scraper>(std::move(collectors), logger_);
  }

  HttpResponse Get(const std::string& path,
                   std::vector<std::pair<std::string, std::string>> query = {},
                   WebOptions options = {}) {
    WebHandler handler(options, *scraper_, nullptr, logger_);
    HttpRequest request;
    request.method = "GET";
    request.path = path;
    request.query = std::move(query);
    return handler.Handle(request);
  }

  std::ostringstream log_;
  Logger logger_{LogLevel::kDebug, log_};
  std::unique_ptr<Scraper> scraper_;
};

TEST_F(WebHandlerTest, LandingPageLinksToTelemetryPath) {
  HttpResponse response = Get("/");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/html; charset=utf-8");
  EXPECT_THAT(response.body, HasSubstr("<a href=\"/metrics\">"));
}

TEST_F(WebHandlerTest, UnknownPathsAreNotFoundWithoutPrefixMatching) {
  for (const char* path : {"/metricsX", "/metrics/", "/metric", "/index.html", "//metrics"}) {
    SCOPED_TRACE(path);
    EXPECT_EQ(Get(path).status, 404);
  }
}

TEST_F(WebHandlerTest, OtherMethodsAreNotAllowed) {
  WebHandler handler({}, *scraper_, nullptr, logger_);
  HttpRequest request;
  request.method = "POST";
  request.path = "/metrics";
  HttpResponse response = handler.Handle(request);
  EXPECT_EQ(response.status, 405);
  EXPECT_THAT(response.headers, Contains(Pair("Allow", "GET, HEAD")));
}

TEST_F(WebHandlerTest, MetricsUseTheTextFormatAndCustomPath) {
  WebOptions options;
  options.telemetry_path = "/custom";
  HttpResponse response = Get("/custom", {{"collect[]", "up"}}, options);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(response.body, HasSubstr("# TYPE test_up gauge\ntest_up 1\n"));
  EXPECT_THAT(response.body, HasSubstr("strata_exporter_build_info{version="));
  EXPECT_EQ(Get("/metrics", {}, options).status, 404);
}

TEST_F(WebHandlerTest, CollectRestrictsAndRejectsUnknownNames) {
  HttpResponse only_up = Get("/metrics", {{"collect[]", "up"}});
  EXPECT_THAT(only_up.body, HasSubstr("strata_scrape_collector_success{collector=\"up\"} 1"));
  EXPECT_THAT(only_up.body, Not(HasSubstr("collector=\"slow\"")));

  HttpResponse unknown = Get("/metrics", {{"collect[]", "nope"}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_THAT(unknown.body, HasSubstr("\"nope\" is not enabled"));
}

TEST_F(WebHandlerTest, ExporterMetricsCanBeDisabled) {
  WebOptions options;
  options.exporter_metrics = false;
  HttpResponse response = Get("/metrics", {{"collect[]", "up"}}, options);
  EXPECT_THAT(response.body, Not(HasSubstr("strata_exporter_build_info")));
}

TEST_F(WebHandlerTest, GzipWhenAccepted) {
  WebHandler handler({}, *scraper_, nullptr, logger_);
  HttpRequest request;
  request.method = "GET";
  request.path = "/metrics";
  request.query = {{"collect[]", "up"}};
  request.accept_encoding = "gzip, deflate";
  HttpResponse response = handler.Handle(request);
  EXPECT_THAT(response.headers, Contains(Pair("Content-Encoding", "gzip")));
  ASSERT_GE(response.body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(response.body[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(response.body[1]), 0x8b);

  request.accept_encoding = "gzip;q=0";
  EXPECT_THAT(handler.Handle(request).headers, Not(Contains(Pair("Content-Encoding", "gzip"))));
}

TEST_F(WebHandlerTest, PrometheusTimeoutHeaderShortensTheDeadline) {
  WebHandler handler({}, *scraper_, nullptr, logger_);
  HttpRequest request;
  request.method = "GET";
  request.path = "/metrics";
  request.query = {{"collect[]", "slow"}, {"collect[]", "up"}};
  // 0.8 s minus the 0.5 s offset: the 2 s collector overruns, the other does not.
  request.scrape_timeout_header = "0.8";
  const absl::Time start = absl::Now();
  HttpResponse response = handler.Handle(request);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_THAT(response.body, HasSubstr("strata_scrape_collector_success{collector=\"slow\"} 0"));
  EXPECT_THAT(response.body, HasSubstr("strata_scrape_collector_success{collector=\"up\"} 1"));
  ASSERT_TRUE(scraper_->AwaitIdle(absl::Now() + absl::Seconds(5)));
}

}  // namespace
}  // namespace strata
