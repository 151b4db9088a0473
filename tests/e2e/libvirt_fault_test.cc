// The libvirt collector when libvirt misbehaves, against a real libvirtd in
// a LibvirtdSandbox: stopped with SIGSTOP (it hangs with its sockets open),
// killed and restarted, domains destroyed while scrapes run, and a socket
// that does not exist. The exporter runs with --collector.libvirt.timeout=2s
// and --scrape.timeout=8s next to the host collector: a scrape must come back
// within the libvirt timeout with the libvirt collector failed and the host
// collector served, the collector must recover once libvirtd does, and a
// failure must be logged a few times at most, not once per scrape. Needs root
// and the libvirt and QEMU packages (CI installs them).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/exporter_process.h"
#include "tests/support/exposition.h"
#include "tests/support/http_client.h"
#include "tests/support/libvirtd_sandbox.h"

namespace strata::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kLibvirtSuccess[] = "strata_scrape_collector_success{collector=\"libvirt\"}";
constexpr char kHostSuccess[] = "strata_scrape_collector_success{collector=\"host\"}";
// --collector.libvirt.timeout below, plus room for a loaded CI machine.
constexpr absl::Duration kLibvirtTimeout = absl::Seconds(2);
constexpr absl::Duration kScrapeBound = absl::Seconds(3);

std::vector<std::string> ExporterFlags(const std::string& uri) {
  return {"--web.listen-address=127.0.0.1:0",
          "--collector.disable-defaults",
          "--collector.host",
          "--collector.libvirt",
          "--collector.libvirt.uri=" + uri,
          absl::StrCat("--collector.libvirt.timeout=", absl::FormatDuration(kLibvirtTimeout)),
          "--scrape.timeout=8s"};
}

struct TimedScrape {
  HttpResult http;
  absl::Duration took;
  std::optional<double> value(const std::string& series) const {
    return SampleValue(http.body, series);
  }
};

TimedScrape Scrape(int port) {
  const absl::Time start = absl::Now();
  TimedScrape scrape;
  scrape.http = HttpGet(absl::StrCat("http://127.0.0.1:", port, "/metrics"));
  scrape.took = absl::Now() - start;
  return scrape;
}

// A failed libvirt collector next to a served host collector, in time.
void ExpectLibvirtFailedHostServed(const TimedScrape& scrape, absl::Duration bound) {
  ASSERT_TRUE(scrape.http.ok) << scrape.http.error;
  EXPECT_EQ(scrape.http.status, 200);
  EXPECT_LT(scrape.took, bound) << "the scrape took " << scrape.took;
  EXPECT_EQ(scrape.value(kLibvirtSuccess), 0) << scrape.http.body;
  EXPECT_EQ(scrape.value("strata_libvirt_up"), 0) << scrape.http.body;
  EXPECT_EQ(scrape.value(kHostSuccess), 1) << scrape.http.body;
  EXPECT_TRUE(scrape.value("strata_host_cpus").has_value()) << scrape.http.body;
  EXPECT_THAT(scrape.http.body, Not(HasSubstr("strata_domain_")));
}

// Scrapes until the libvirt collector succeeds and `series` is present, for
// at most `within`; returns the scrape that did, or the last one.
TimedScrape ScrapeUntilRecovered(int port, const std::string& series, absl::Duration within,
                                 int& scrapes) {
  const absl::Time deadline = absl::Now() + within;
  TimedScrape scrape;
  scrapes = 0;
  while (true) {
    scrape = Scrape(port);
    ++scrapes;
    if (scrape.value(kLibvirtSuccess) == 1 && scrape.value(series).has_value()) return scrape;
    if (absl::Now() >= deadline) return scrape;
    absl::SleepFor(absl::Milliseconds(250));
  }
}

// Lines of the exporter's log at error level about the libvirt collector.
int LibvirtErrorLines(const std::string& log) {
  int count = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (absl::StrContains(line, "level=error") && absl::StrContains(line, "collector=libvirt")) {
      ++count;
    }
  }
  return count;
}

std::string Series(const std::string& name, const std::string& domain,
                   const std::string& more_labels = "") {
  return absl::StrCat(name, "{domain=\"", domain, "\"", more_labels, "}");
}

class LibvirtFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const absl::Time start = absl::Now();
    const std::string error = sandbox_.Start();
    ASSERT_EQ(error, "");
    std::cout << "[   TIME   ] sandbox started in " << absl::Now() - start << " (domain type "
              << sandbox_.domain_type() << ")" << std::endl;
  }

  // Every exporter is a local of the test body, so it is gone by now.
  void TearDown() override {
    const absl::Time start = absl::Now();
    EXPECT_THAT(sandbox_.Cleanup(), IsEmpty()) << "left behind";
    std::cout << "[   TIME   ] sandbox cleaned up in " << absl::Now() - start << std::endl;
  }

  // Defines and starts a minimal domain; returns its name.
  std::string StartDomain(const std::string& suffix) {
    DomainSpec spec{sandbox_.Name(suffix)};
    LibvirtResult started = sandbox_.DefineAndStartDomain(spec);
    EXPECT_TRUE(started.ok()) << started.error << "\n" << sandbox_.LibvirtdLog();
    return spec.name;
  }

  LibvirtdSandbox sandbox_;
};

TEST_F(LibvirtFaultTest, StoppedLibvirtdFailsWithinTimeoutThenRecovers) {
  const std::string domain = StartDomain("d1");
  ASSERT_FALSE(HasFailure());
  const std::string cpu = Series("strata_domain_cpu_time_seconds_total", domain, ",mode=\"total\"");
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(ExporterFlags(sandbox_.read_only_uri()))) << exporter.stderr_text();
  TimedScrape healthy = Scrape(exporter.port());
  ASSERT_EQ(healthy.value(kLibvirtSuccess), 1) << healthy.http.body << exporter.stderr_text();
  ASSERT_TRUE(healthy.value(cpu).has_value()) << healthy.http.body;

  ASSERT_EQ(sandbox_.PauseLibvirtd(), "");
  // The first scrape waits for the libvirt timeout; the next ones find the
  // call of the first still hanging and fail at once.
  for (int i = 0; i < 4; ++i) {
    SCOPED_TRACE(absl::StrCat("scrape ", i + 1, " while libvirtd is stopped"));
    TimedScrape stopped = Scrape(exporter.port());
    std::cout << "[   TIME   ] scrape with libvirtd stopped: " << stopped.took << std::endl;
    ExpectLibvirtFailedHostServed(stopped, kScrapeBound);
    if (i == 0) {
      EXPECT_GE(stopped.took, kLibvirtTimeout - absl::Milliseconds(100));
    }
  }

  ASSERT_EQ(sandbox_.ResumeLibvirtd(), "");
  int scrapes = 0;
  TimedScrape recovered = ScrapeUntilRecovered(exporter.port(), cpu, absl::Seconds(30), scrapes);
  std::cout << "[   INFO   ] recovered after " << scrapes << " scrape(s)" << std::endl;
  EXPECT_EQ(recovered.value(kLibvirtSuccess), 1) << recovered.http.body << exporter.stderr_text();
  EXPECT_EQ(recovered.value("strata_libvirt_up"), 1);
  EXPECT_TRUE(recovered.value(cpu).has_value()) << recovered.http.body;
  const std::string log = exporter.stderr_text();
  EXPECT_LE(LibvirtErrorLines(log), 2) << log;
  EXPECT_THAT(log, HasSubstr("msg=\"collector recovered\" collector=libvirt")) << log;
}

TEST_F(LibvirtFaultTest, KilledLibvirtdFailsFastThenReconnectsAfterRestart) {
  const std::string domain = StartDomain("d1");
  ASSERT_FALSE(HasFailure());
  const std::string cpu = Series("strata_domain_cpu_time_seconds_total", domain, ",mode=\"total\"");
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(ExporterFlags(sandbox_.read_only_uri()))) << exporter.stderr_text();
  TimedScrape healthy = Scrape(exporter.port());
  ASSERT_EQ(healthy.value(kLibvirtSuccess), 1) << healthy.http.body << exporter.stderr_text();

  ASSERT_EQ(sandbox_.KillLibvirtd(), "");
  // The connection is gone and a new one is refused: no waiting for the timeout.
  constexpr int kFailedScrapes = 6;
  for (int i = 0; i < kFailedScrapes; ++i) {
    SCOPED_TRACE(absl::StrCat("scrape ", i + 1, " with libvirtd killed"));
    TimedScrape killed = Scrape(exporter.port());
    std::cout << "[   TIME   ] scrape with libvirtd killed: " << killed.took << std::endl;
    ExpectLibvirtFailedHostServed(killed, kLibvirtTimeout - absl::Milliseconds(500));
  }

  const absl::Time restart = absl::Now();
  ASSERT_EQ(sandbox_.RestartLibvirtd(), "");
  std::cout << "[   TIME   ] libvirtd restarted in " << absl::Now() - restart << std::endl;
  int scrapes = 0;
  TimedScrape recovered = ScrapeUntilRecovered(exporter.port(), cpu, absl::Seconds(30), scrapes);
  std::cout << "[   INFO   ] reconnected after " << scrapes << " scrape(s)" << std::endl;
  EXPECT_EQ(recovered.value(kLibvirtSuccess), 1) << recovered.http.body << exporter.stderr_text();
  EXPECT_EQ(recovered.value("strata_libvirt_up"), 1);
  // The restarted libvirtd took the running domain back.
  EXPECT_TRUE(recovered.value(cpu).has_value()) << recovered.http.body;
  EXPECT_TRUE(
      recovered.value(Series("strata_domain_state", domain, ",state=\"running\",reason=\"booted\""))
          .has_value())
      << recovered.http.body;

  const std::string log = exporter.stderr_text();
  const int errors = LibvirtErrorLines(log);
  EXPECT_GE(errors, 1) << "the lost connection was not logged:\n" << log;
  EXPECT_LE(errors, 2) << "logged more than a few times for " << kFailedScrapes
                       << " failed scrapes:\n"
                       << log;
  EXPECT_THAT(log, HasSubstr("msg=\"collector recovered\" collector=libvirt")) << log;
}

TEST_F(LibvirtFaultTest, DomainsDestroyedDuringScrapesVanishWithoutAFailedScrape) {
  const absl::Time test_start = absl::Now();
  const std::string kept = StartDomain("kept");
  const std::string persistent = StartDomain("persistent");
  DomainSpec transient_spec{sandbox_.Name("transient")};
  LibvirtResult created = sandbox_.CreateTransientDomain(transient_spec);
  ASSERT_TRUE(created.ok()) << created.error;
  ASSERT_FALSE(HasFailure());
  const std::string& transient = transient_spec.name;
  std::cout << "[   TIME   ] 3 domains started after " << absl::Now() - test_start << std::endl;
  const auto rss = [](const std::string& domain) {
    return Series("strata_domain_memory_rss_bytes", domain);
  };

  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(ExporterFlags(sandbox_.read_only_uri()))) << exporter.stderr_text();
  TimedScrape first = Scrape(exporter.port());
  ASSERT_EQ(first.value(kLibvirtSuccess), 1) << first.http.body << exporter.stderr_text();
  for (const std::string& domain : {kept, persistent, transient}) {
    ASSERT_TRUE(first.value(rss(domain)).has_value()) << domain << "\n" << first.http.body;
  }

  // Scrapes back to back on another thread while the domains are destroyed.
  struct Outcome {
    bool ok = false;
    long status = 0;
    std::optional<double> success, up;
    absl::Duration took;
  };
  std::vector<Outcome> outcomes;
  std::atomic<bool> stop{false};
  std::thread scraper([&] {
    while (!stop) {
      TimedScrape scrape = Scrape(exporter.port());
      outcomes.push_back({scrape.http.ok, scrape.http.status, scrape.value(kLibvirtSuccess),
                          scrape.value("strata_libvirt_up"), scrape.took});
    }
  });
  absl::SleepFor(absl::Milliseconds(300));
  const absl::Time destroy = absl::Now();
  LibvirtResult destroyed_transient = sandbox_.DestroyDomain(transient);
  LibvirtResult destroyed_persistent = sandbox_.DestroyDomain(persistent);
  std::cout << "[   TIME   ] two domains destroyed in " << absl::Now() - destroy << std::endl;
  absl::SleepFor(absl::Milliseconds(300));
  stop = true;
  scraper.join();
  ASSERT_TRUE(destroyed_transient.ok()) << destroyed_transient.error;
  ASSERT_TRUE(destroyed_persistent.ok()) << destroyed_persistent.error;

  std::cout << "[   INFO   ] " << outcomes.size() << " scrapes while destroying" << std::endl;
  EXPECT_GE(outcomes.size(), 5u);
  for (size_t i = 0; i < outcomes.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("scrape ", i + 1, " of ", outcomes.size()));
    EXPECT_TRUE(outcomes[i].ok);
    EXPECT_EQ(outcomes[i].status, 200);
    EXPECT_EQ(outcomes[i].success, 1) << exporter.stderr_text();
    EXPECT_EQ(outcomes[i].up, 1);
  }

  TimedScrape last = Scrape(exporter.port());
  ASSERT_EQ(last.value(kLibvirtSuccess), 1) << last.http.body << exporter.stderr_text();
  // The transient domain is gone altogether.
  EXPECT_THAT(last.http.body, Not(HasSubstr("domain=\"" + transient + "\""))) << last.http.body;
  // The persistent one is shut off: its state says so, and what only a
  // running domain has (QEMU's memory, vCPUs, interfaces) is gone.
  EXPECT_TRUE(last.value(Series("strata_domain_state", persistent,
                                ",state=\"shutoff\",reason=\"destroyed\""))
                  .has_value())
      << last.http.body;
  for (const char* family :
       {"strata_domain_memory_rss_bytes{", "strata_domain_vcpu_time_seconds_total{",
        "strata_domain_interface_receive_bytes_total{", "strata_domain_block_read_bytes_total{"}) {
    EXPECT_THAT(last.http.body, Not(HasSubstr(absl::StrCat(family, "domain=\"", persistent, "\""))))
        << family;
  }
  EXPECT_TRUE(last.value(rss(kept)).has_value()) << last.http.body;
  EXPECT_EQ(last.value("strata_hypervisor_domains{state=\"running\"}"), 1);
  EXPECT_EQ(last.value("strata_hypervisor_domains{state=\"shutoff\"}"), 1);
}

TEST(LibvirtFault, MissingSocketFailsWithinTimeoutAndExporterKeepsServing) {
  const std::string uri =
      absl::StrCat("qemu:///system?socket=/tmp/strata-libvirt-missing-", getpid(), "/sock-ro");
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(ExporterFlags(uri))) << exporter.stderr_text();
  constexpr int kScrapes = 3;
  for (int i = 0; i < kScrapes; ++i) {
    SCOPED_TRACE(absl::StrCat("scrape ", i + 1));
    TimedScrape scrape = Scrape(exporter.port());
    std::cout << "[   TIME   ] scrape of a missing socket: " << scrape.took << std::endl;
    ExpectLibvirtFailedHostServed(scrape, kScrapeBound);
  }
  HttpResult landing = HttpGet(absl::StrCat("http://127.0.0.1:", exporter.port(), "/"));
  EXPECT_TRUE(landing.ok) << landing.error;
  EXPECT_EQ(landing.status, 200);
  const std::string log = exporter.stderr_text();
  EXPECT_EQ(LibvirtErrorLines(log), 1) << log;
  EXPECT_THAT(log, HasSubstr("sock-ro")) << "the error should name the socket:\n" << log;
}

}  // namespace
}  // namespace strata::testing
