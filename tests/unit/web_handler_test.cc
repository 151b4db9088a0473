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

// Dashboards' variables read the version from build_info, so it stays.
TEST_F(WebHandlerTest, DisablingExporterMetricsKeepsBuildInfo) {
  WebOptions options;
  options.exporter_metrics = false;
  HttpResponse response = Get("/metrics", {{"collect[]", "up"}}, options);
  EXPECT_THAT(response.body, HasSubstr("strata_exporter_build_info{version="));
  EXPECT_THAT(response.body, Not(HasSubstr("process_")));
}

TEST_F(WebHandlerTest, ExcludeLeavesCollectorsOutAsNodeExporterDoes) {
  HttpResponse no_slow = Get("/metrics", {{"exclude[]", "slow"}});
  EXPECT_EQ(no_slow.status, 200);
  EXPECT_THAT(no_slow.body, HasSubstr("strata_scrape_collector_success{collector=\"up\"} 1"));
  EXPECT_THAT(no_slow.body, Not(HasSubstr("collector=\"slow\"")));

  HttpResponse none = Get("/metrics", {{"exclude[]", "slow"}, {"exclude[]", "up"}});
  EXPECT_EQ(none.status, 200);
  EXPECT_THAT(none.body, Not(HasSubstr("strata_scrape_collector_success")));
  EXPECT_THAT(none.body, HasSubstr("strata_exporter_build_info"));

  HttpResponse unknown = Get("/metrics", {{"exclude[]", "nope"}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_THAT(unknown.body, HasSubstr("\"nope\" is not enabled"));

  HttpResponse both = Get("/metrics", {{"collect[]", "up"}, {"exclude[]", "slow"}});
  EXPECT_EQ(both.status, 400);
  EXPECT_THAT(both.body, HasSubstr("collect[] and exclude[] cannot be combined"));
}

TEST_F(WebHandlerTest, TooManyQueryParametersIsABadRequest) {
  std::vector<std::pair<std::string, std::string>> query(65, {"collect[]", "up"});
  HttpResponse response = Get("/metrics", query);
  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(response.body, HasSubstr("more than 64 query parameters"));
  query.resize(64);
  EXPECT_EQ(Get("/metrics", query).status, 200);
}

// libmicrohttpd decodes "%00" and the path ends there: "/metrics%00junk"
// served metrics.
TEST_F(WebHandlerTest, NulInThePathIsNotFound) {
  EXPECT_EQ(Get(std::string("/metrics\0junk", 13)).status, 404);
  EXPECT_EQ(Get(std::string("/\0", 2)).status, 404);
  WebHandler handler({}, *scraper_, nullptr, logger_);
  HttpRequest request;
  request.method = "GET";
  request.path = "/metrics";
  request.query = {{"collect[]", "up"}};
  for (const char* raw : {"/metrics%00junk", "/metrics%00", "/%00/../metrics"}) {
    SCOPED_TRACE(raw);
    request.raw_target = raw;
    EXPECT_EQ(handler.Handle(request).status, 404);
  }
  request.raw_target = "/metrics?collect[]=up&x=%00";  // only the path counts
  EXPECT_EQ(handler.Handle(request).status, 200);
}

// A client sending "X-Prometheus-Scrape-Timeout-Seconds: 0.001" in a loop
// got an answer before any collector finished, and left every collection
// running after its request.
TEST(WebHandlerTimeoutFloor, ATinyTimeoutIsRaisedSoCollectionsEndWithTheirRequest) {
  std::ostringstream log;
  Logger logger(LogLevel::kInfo, log);
  std::vector<Scraper::NamedCollector> collectors;
  collectors.push_back({"medium", std::make_unique<UpCollector>(absl::Milliseconds(300))});
  Scraper scraper(std::move(collectors), logger);
  WebHandler handler({}, scraper, nullptr, logger);
  HttpRequest request;
  request.method = "GET";
  request.path = "/metrics";
  for (const char* header : {"0.001", "0.0000001", "0.5"}) {
    SCOPED_TRACE(header);
    request.scrape_timeout_header = header;
    HttpResponse response = handler.Handle(request);
    EXPECT_THAT(response.body,
                HasSubstr("strata_scrape_collector_success{collector=\"medium\"} 1"));
    // Nothing outlives the request.
    EXPECT_TRUE(scraper.AwaitIdle(absl::Now()));
  }
  EXPECT_EQ(log.str(), "");
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
  // 0.8 s minus the 0.5 s offset, raised to the 1 s floor: the 2 s collector
  // overruns, the other does not.
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
