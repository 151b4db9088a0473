// Load and abuse tests of the built binary on loopback, bounded in time:
// idle and slowloris connections must not stop a scrape; 50 concurrent
// scrapers under --web.max-requests all succeed, over it they get 503s and
// never a reset; memory after the load is what it was after warm-up.
//
// The 50-scraper run lasts STRATA_LOAD_SECONDS (default 15 s in CI; the
// issue's full length is 60). Latency percentiles are printed and recorded as
// test properties, not asserted (bench/README.md keeps the measured ones).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/exporter_process.h"
#include "tests/support/http_client.h"
#include "tests/support/sanitizers.h"
#include "tests/support/test_files.h"

namespace strata::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const fs::path kHostFixtures = fs::path(STRATA_SOURCE_DIR) / "tests/fixtures/host";

std::vector<std::string> ExporterFlags(unsigned max_requests) {
  std::vector<std::string> flags = {"--web.listen-address=127.0.0.1:0",
                                    "--collector.disable-defaults",
                                    "--collector.host",
                                    "--path.procfs=" + (kHostFixtures / "proc").string(),
                                    "--path.sysfs=" + (kHostFixtures / "sys").string(),
                                    "--path.rootfs=" + (kHostFixtures / "rootfs").string(),
                                    absl::StrCat("--web.max-requests=", max_requests)};
  for (const std::string& f : NoContainerEngineFlags()) flags.push_back(f);
  return flags;
}

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Whether the server has closed the connection (end of stream or reset).
bool ClosedByServer(int fd) {
  char byte;
  const ssize_t n = recv(fd, &byte, 1, MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

int64_t VmRssKib(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoll(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

struct WrkResult {
  bool ran = false;
  std::string output;
  int64_t requests = 0;
  int64_t non_2xx = 0;
  int64_t socket_errors = 0;
  std::string p50, p99;
};

WrkResult RunWrk(int port, int connections, int seconds) {
  WrkResult result;
  const std::string wrk = FindExecutable("wrk");
  if (wrk.empty()) return result;
  CommandResult run = RunCommand({wrk, "-t2", absl::StrCat("-c", connections),
                                  absl::StrCat("-d", seconds, "s"), "--timeout", "10s", "--latency",
                                  absl::StrCat("http://127.0.0.1:", port, "/metrics")});
  result.ran = run.exit_code == 0;
  result.output = run.output;
  std::smatch m;
  if (std::regex_search(run.output, m, std::regex(R"((\d+) requests in)"))) {
    absl::SimpleAtoi(m[1].str(), &result.requests);
  }
  if (std::regex_search(run.output, m, std::regex(R"(Non-2xx or 3xx responses: (\d+))"))) {
    absl::SimpleAtoi(m[1].str(), &result.non_2xx);
  }
  if (std::regex_search(run.output, m,
                        std::regex(R"(Socket errors: connect (\d+), read (\d+), write (\d+), )"
                                   R"(timeout (\d+))"))) {
    for (int i = 1; i <= 4; ++i) {
      int64_t n = 0;
      absl::SimpleAtoi(m[i].str(), &n);
      result.socket_errors += n;
    }
  }
  if (std::regex_search(run.output, m, std::regex(R"(\n\s+50%\s+(\S+))"))) result.p50 = m[1];
  if (std::regex_search(run.output, m, std::regex(R"(\n\s+99%\s+(\S+))"))) result.p99 = m[1];
  return result;
}

int LoadSeconds() {
  int seconds = 15;
  if (const char* env = std::getenv("STRATA_LOAD_SECONDS")) absl::SimpleAtoi(env, &seconds);
  return std::max(seconds, 1);
}

TEST(WebAbuseTest, IdleAndSlowlorisConnectionsDoNotStopAScrapeAndAreCutOff) {
  constexpr int kIdle = 500;
  constexpr int kSlow = 500;
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  ASSERT_GE(limit.rlim_cur, static_cast<rlim_t>(kIdle + kSlow + 100))
      << "the test needs more open files";

  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(ExporterFlags(40))) << exporter.stderr_text();
  const std::string url = absl::StrCat("http://127.0.0.1:", exporter.port(), "/metrics");

  std::vector<int> idle, slow;
  for (int i = 0; i < kIdle; ++i) idle.push_back(Connect(exporter.port()));
  for (int i = 0; i < kSlow; ++i) slow.push_back(Connect(exporter.port()));
  const absl::Time connected = absl::Now();
  ASSERT_EQ(std::count(idle.begin(), idle.end(), -1) + std::count(slow.begin(), slow.end(), -1), 0);

  // A slowloris client: one byte of a never-ending request a second.
  std::atomic<bool> stop{false};
  std::thread dribble([&] {
    const std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaa";
    for (size_t i = 0; !stop && i < request.size(); ++i) {
      for (int fd : slow) send(fd, &request[i], 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      for (int t = 0; t < 10 && !stop; ++t) absl::SleepFor(absl::Milliseconds(100));
    }
  });

  for (int round = 0; round < 3; ++round) {
    absl::SleepFor(absl::Seconds(1));
    const absl::Time start = absl::Now();
    HttpResult result = HttpGet(url);
    const absl::Duration took = absl::Now() - start;
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.status, 200);
    EXPECT_LT(took, absl::Seconds(1)) << "a scrape among 1,000 idle and slow connections";
  }

  // Every one is cut off soon after the 5 s deadline for a whole request.
  int open = kIdle + kSlow;
  while (open > 0 && absl::Now() - connected < absl::Seconds(9)) {
    absl::SleepFor(absl::Milliseconds(250));
    open = 0;
    for (int fd : idle) open += !ClosedByServer(fd);
    for (int fd : slow) open += !ClosedByServer(fd);
  }
  stop = true;
  dribble.join();
  EXPECT_EQ(open, 0) << "connections still open " << absl::Now() - connected << " after connecting";
  for (int fd : idle) close(fd);
  for (int fd : slow) close(fd);
  EXPECT_THAT(exporter.stderr_text(), HasSubstr("closed connections that sent no complete"));
  EXPECT_EQ(HttpGet(url).status, 200);
}

TEST(WebAbuseTest, FiftyScrapersUnderTheLimitAllSucceedAndMemoryStaysFlat) {
  if (FindExecutable("wrk").empty())
    GTEST_SKIP() << "wrk is not installed (scripts/install-deps --test)";
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(ExporterFlags(50))) << exporter.stderr_text();

  // Warm up with the same load for as long: glibc's per-thread arenas and the
  // heap reach their high-water mark in the first run, so only a leak makes
  // the second grow (after a 3 s warm-up, RSS moved by -2 to +9 MiB run to run).
  const int seconds = LoadSeconds();
  WrkResult warmup = RunWrk(exporter.port(), 50, seconds);
  ASSERT_TRUE(warmup.ran) << warmup.output;
  absl::SleepFor(absl::Milliseconds(500));  // let the last answers finish
  const int64_t rss_warm = VmRssKib(exporter.pid());

  WrkResult load = RunWrk(exporter.port(), 50, seconds);
  ASSERT_TRUE(load.ran) << load.output;
  absl::SleepFor(absl::Milliseconds(500));
  const int64_t rss_after = VmRssKib(exporter.pid());

  std::cout << "50 scrapers for " << seconds << " s: " << load.requests << " requests, p50 "
            << load.p50 << ", p99 " << load.p99 << "; RSS " << rss_warm << " KiB after warm-up, "
            << rss_after << " KiB after\n";
  ::testing::Test::RecordProperty("requests", std::to_string(load.requests));
  ::testing::Test::RecordProperty("p50", load.p50);
  ::testing::Test::RecordProperty("p99", load.p99);
  EXPECT_GT(load.requests, 0) << load.output;
  EXPECT_EQ(load.non_2xx, 0) << load.output;
  EXPECT_EQ(load.socket_errors, 0) << load.output;
#ifdef STRATA_TEST_SANITIZED
  // AddressSanitizer's quarantine holds freed blocks back (256 MB by design),
  // so RSS says nothing about leaks here: the plain build-minimal/ run of this
  // test checks it.
  std::cout << "RSS growth not checked under AddressSanitizer\n";
#else
  EXPECT_LE(rss_after - rss_warm, 2048) << "RSS grew under load";
#endif
}

TEST(WebAbuseTest, OverTheLimitScrapersGet503NotResets) {
  if (FindExecutable("wrk").empty())
    GTEST_SKIP() << "wrk is not installed (scripts/install-deps --test)";
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(ExporterFlags(2))) << exporter.stderr_text();
  WrkResult load = RunWrk(exporter.port(), 50, 4);
  ASSERT_TRUE(load.ran) << load.output;
  std::cout << "50 scrapers, limit 2: " << load.requests << " requests, " << load.non_2xx
            << " answered 503\n";
  EXPECT_GT(load.non_2xx, 0) << load.output;
  EXPECT_LT(load.non_2xx, load.requests) << load.output;
  EXPECT_EQ(load.socket_errors, 0) << load.output;
  // Logged, but not once per refusal.
  const std::string& log = exporter.stderr_text();
  size_t lines = 0;
  for (size_t at = log.find("too many scrapes"); at != std::string::npos;
       at = log.find("too many scrapes", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 1u) << log;
}

}  // namespace
}  // namespace strata::testing
