// The cgroup collector's commitment totals and Kubernetes requests against
// real cgroups on this kernel: the test makes nested cgroups named as the
// kubelet names them, in the v1 cpu, cpuacct, memory and pids hierarchies and
// in the cgroup2 mount, writes limits and cpu.shares into the kernel's files,
// scrapes the real binary (and, for the queries the collector's page
// documents, a real Prometheus scraping it) and removes everything again.
// cgroup v1 only: on the hybrid CI machines cpu and memory are bound to v1, so
// cgroup2 has no cpu.weight, cpu.max, memory.max or memory.min to write (the
// v2 paths are covered on fake trees in
// tests/unit/cgroup_collector_commitment_test.cc).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/exporter_process.h"
#include "tests/support/exposition.h"
#include "tests/support/http_client.h"
#include "tests/support/prometheus_server.h"

namespace strata::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kCgroupRoot = "/sys/fs/cgroup";
// The hierarchies the collector walks on a hybrid host, as the kubelet makes
// every cgroup in each of them.
constexpr const char* kHierarchies[] = {"cpu", "cpuacct", "memory", "pids", "unified"};
constexpr double kGiB = 1024.0 * 1024 * 1024;
constexpr double kMiB = 1024.0 * 1024;

std::string Read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(text.str()));
}

// Container ids as runtimes make them: 64 lowercase hex digits.
std::string ContainerId(char digit) { return std::string(64, digit); }

class LiveCommitmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kCgroupRoot / "cpu/cpu.cfs_quota_us") ||
        !fs::exists(kCgroupRoot / "memory/memory.limit_in_bytes") ||
        !fs::exists(kCgroupRoot / "unified/cgroup.procs")) {
      GTEST_SKIP() << "needs the hybrid layout of the CI machines (v1 cpu and memory + cgroup2 at "
                      "unified)";
    }
    unique_ = absl::StrCat("strata-test-", getpid());
  }

  // Removes what the test made, children first.
  void TearDown() override {
    if (busy_ > 0) {
      kill(busy_, SIGKILL);
      waitpid(busy_, nullptr, 0);
    }
    for (auto it = made_.rbegin(); it != made_.rend(); ++it) {
      for (int i = 0; i < 100 && fs::exists(*it) && rmdir(it->c_str()) != 0; ++i) {
        absl::SleepFor(absl::Milliseconds(20));
      }
      EXPECT_FALSE(fs::exists(*it)) << "could not remove " << *it;
    }
  }

  // Makes `path` (parents first) in every hierarchy.
  void Make(const std::string& path) {
    for (const char* hierarchy : kHierarchies) {
      const fs::path dir = kCgroupRoot / hierarchy / path.substr(1);
      ASSERT_TRUE(fs::create_directory(dir)) << dir;
      made_.push_back(dir);
    }
  }

  // Writes `value` to a kernel file of `path` and checks the kernel took it.
  void Write(const std::string& hierarchy, const std::string& path, const std::string& file,
             const std::string& value) {
    const fs::path target = kCgroupRoot / hierarchy / path.substr(1) / file;
    {
      std::ofstream out(target);
      out << value;
      out.flush();
      ASSERT_TRUE(out.good()) << "writing " << value << " to " << target;
    }
    ASSERT_EQ(Read(target), value) << target;
  }

  void LimitCpu(const std::string& path, int quota_us) {
    Write("cpu", path, "cpu.cfs_period_us", "100000");
    Write("cpu", path, "cpu.cfs_quota_us", std::to_string(quota_us));
  }
  void LimitMemory(const std::string& path, double bytes) {
    Write("memory", path, "memory.limit_in_bytes", absl::StrCat(static_cast<int64_t>(bytes)));
  }

  // One scrape of an exporter reporting the cgroups `include` matches.
  std::string Scrape(const std::string& include) {
    ExporterProcess exporter;
    std::vector<std::string> args = {"--web.listen-address=127.0.0.1:0",
                                     "--collector.disable-defaults", "--collector.cgroup",
                                     "--collector.cgroup.path-include=" + include};
    for (const std::string& flag : NoContainerEngineFlags()) args.push_back(flag);
    EXPECT_TRUE(exporter.Start(args)) << exporter.stderr_text();
    HttpResult scrape = HttpGet(absl::StrCat("http://127.0.0.1:", exporter.port(), "/metrics"));
    EXPECT_TRUE(scrape.ok) << scrape.error;
    EXPECT_EQ(SampleValue(scrape.body, "strata_scrape_collector_success{collector=\"cgroup\"}"), 1)
        << exporter.stderr_text();
    exporter.Signal(SIGTERM);
    EXPECT_EQ(exporter.Wait(absl::Seconds(10)), 0);
    return scrape.body;
  }

  // Starts a process that spins in `path` (in every hierarchy).
  void RunBusyIn(const std::string& path) {
    busy_ = fork();
    ASSERT_GE(busy_, 0);
    if (busy_ == 0) {
      sleep(1);  // until the parent has moved it
      volatile unsigned long spin = 0;
      while (true) ++spin;
    }
    for (const char* hierarchy : kHierarchies) {
      ASSERT_NO_FATAL_FAILURE(Write(hierarchy, path, "cgroup.procs", std::to_string(busy_)));
    }
  }

  std::string unique_;
  std::vector<fs::path> made_;
  pid_t busy_ = -1;
};

// The sum of a by-kind family's samples, and how many there are.
std::pair<double, int> SumOverKinds(const std::string& exposition, const std::string& metric) {
  double sum = 0;
  int samples = 0;
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (!absl::ConsumePrefix(&line, metric + "{kind=")) continue;
    double value = 0;
    EXPECT_TRUE(absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) << line;
    sum += value;
    ++samples;
  }
  return {sum, samples};
}

// The PromQL expressions of the code block after `heading` in the cgroup
// collector's page: one per line that is not a comment, continued on lines
// that start with blanks.
std::vector<std::string> DocumentedQueries(const std::string& heading) {
  std::ifstream in(fs::path(STRATA_SOURCE_DIR) / "docs/collectors/cgroup.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  std::vector<std::string> queries;
  size_t at = doc.find(heading);
  if (at == std::string::npos) return queries;
  at = doc.find("```promql\n", at);
  const size_t end = doc.find("\n```", at);
  if (at == std::string::npos || end == std::string::npos) return queries;
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(doc).substr(at, end - at), '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(line, "```") || absl::StartsWith(line, "#")) continue;
    if (absl::StartsWith(line, " ") && !queries.empty()) {
      absl::StrAppend(&queries.back(), " ", absl::StripAsciiWhitespace(line));
    } else {
      queries.emplace_back(line);
    }
  }
  return queries;
}

std::string Series(const std::string& metric, const std::string& cgroup) {
  return absl::StrCat(metric, "{cgroup=\"", cgroup, "\"}");
}

// A 4-core, 1 GiB slice holding a 1-core, 512 MiB pod holding a 1-core,
// 256 MiB container: 4 cores and 1 GiB committed, not 6 cores and 1.75 GiB.
// Next to it an unlimited slice whose pod limits only memory (128 MiB) and
// whose container limits CPU (0.5 cores) and memory (64 MiB): each resource
// has its own topmost limit, as v1 keeps them in separate hierarchies.
TEST_F(LiveCommitmentTest, NestedLimitsOnRealCgroupsCountOnce) {
  const std::string slice = absl::StrCat("/kubepods-", unique_, ".slice");
  const std::string pod =
      slice + "/kubepods-burstable-pod0f6a1b2c_3d4e_5f60_7182_93a4b5c6d7e8.slice";
  const std::string container = pod + "/cri-containerd-" + ContainerId('a') + ".scope";
  const std::string free_slice = absl::StrCat("/kubepods-", unique_, "-free.slice");
  const std::string free_pod =
      free_slice + "/kubepods-burstable-pod1f6a1b2c_3d4e_5f60_7182_93a4b5c6d7e8.slice";
  const std::string free_container = free_pod + "/cri-containerd-" + ContainerId('b') + ".scope";
  for (const std::string& path : {slice, pod, container, free_slice, free_pod, free_container}) {
    ASSERT_NO_FATAL_FAILURE(Make(path));
  }
  // v1 refuses a child quota above its parent's, so parents first.
  ASSERT_NO_FATAL_FAILURE(LimitCpu(slice, 400000));
  ASSERT_NO_FATAL_FAILURE(LimitCpu(pod, 100000));
  ASSERT_NO_FATAL_FAILURE(LimitCpu(container, 100000));
  ASSERT_NO_FATAL_FAILURE(LimitMemory(slice, kGiB));
  ASSERT_NO_FATAL_FAILURE(LimitMemory(pod, 512 * kMiB));
  ASSERT_NO_FATAL_FAILURE(LimitMemory(container, 256 * kMiB));
  ASSERT_NO_FATAL_FAILURE(LimitMemory(free_pod, 128 * kMiB));
  ASSERT_NO_FATAL_FAILURE(LimitCpu(free_container, 50000));
  ASSERT_NO_FATAL_FAILURE(LimitMemory(free_container, 64 * kMiB));

  const std::string body = Scrape(absl::StrCat("^/kubepods-", unique_));
  EXPECT_EQ(SampleValue(body, Series("strata_cgroup_cpu_limit_cores", slice)), 4);
  EXPECT_EQ(SampleValue(body, Series("strata_cgroup_cpu_limit_cores", pod)), 1);
  EXPECT_EQ(SampleValue(body, Series("strata_cgroup_cpu_limit_cores", container)), 1);
  EXPECT_EQ(SampleValue(body, "strata_cgroup_committed_cpu_cores{kind=\"slice\"}"), 4);
  EXPECT_EQ(SampleValue(body, "strata_cgroup_committed_cpu_cores{kind=\"container\"}"), 0.5);
  EXPECT_EQ(SumOverKinds(body, "strata_cgroup_committed_cpu_cores"), std::make_pair(4.5, 2));
  EXPECT_EQ(SampleValue(body, "strata_cgroup_committed_memory_bytes{kind=\"slice\"}"), kGiB);
  EXPECT_EQ(SampleValue(body, "strata_cgroup_committed_memory_bytes{kind=\"pod\"}"), 128 * kMiB);
  EXPECT_EQ(SumOverKinds(body, "strata_cgroup_committed_memory_bytes"),
            std::make_pair(kGiB + 128 * kMiB, 2));

  // Reporting only the containers changes nothing: the slice's and the pod's
  // limits are read all the same, because they bound the containers.
  const std::string containers = Scrape(absl::StrCat("^/kubepods-", unique_, ".*cri-containerd-"));
  EXPECT_EQ(SampleValue(containers, Series("strata_cgroup_cpu_limit_cores", slice)), std::nullopt);
  EXPECT_EQ(SampleValue(containers, "strata_cgroup_committed_cpu_cores{kind=\"slice\"}"), 4);
  EXPECT_EQ(SumOverKinds(containers, "strata_cgroup_committed_cpu_cores"), std::make_pair(4.5, 2));
  EXPECT_EQ(SumOverKinds(containers, "strata_cgroup_committed_memory_bytes"),
            std::make_pair(kGiB + 128 * kMiB, 2));
}

// The kubelet's cgroupfs layout on v1: kubepods/burstable/pod<uid>/<id>, with
// cpu.shares = millicores * 1024 / 1000 (at least 2, "no request").
TEST_F(LiveCommitmentTest, KubeletCpuSharesOnRealCgroupsAreRequests) {
  const std::string kubepods = absl::StrCat("/kubepods-", unique_);
  const std::string burstable = kubepods + "/burstable";
  const std::string pod = burstable + "/pod0f6a1b2c-3d4e-5f60-7182-93a4b5c6d7e8";
  const std::string app = pod + "/" + ContainerId('a');
  const std::string sidecar = pod + "/" + ContainerId('b');
  const std::string pause = pod + "/" + ContainerId('c');
  const std::string besteffort = kubepods + "/besteffort";
  const std::string idle_pod = besteffort + "/pod1f6a1b2c-3d4e-5f60-7182-93a4b5c6d7e8";
  const std::string idle = idle_pod + "/" + ContainerId('d');
  for (const std::string& path :
       {kubepods, burstable, pod, app, sidecar, pause, besteffort, idle_pod, idle}) {
    ASSERT_NO_FATAL_FAILURE(Make(path));
  }
  // What the kubelet writes for a 750m pod of a 500m and a 250m container.
  for (const auto& [path, shares] :
       std::vector<std::pair<std::string, std::string>>{{kubepods, "4096"},
                                                        {burstable, "768"},
                                                        {pod, "768"},
                                                        {app, "512"},
                                                        {sidecar, "256"},
                                                        {pause, "2"},
                                                        {besteffort, "2"},
                                                        {idle_pod, "2"},
                                                        {idle, "2"}}) {
    ASSERT_NO_FATAL_FAILURE(Write("cpu", path, "cpu.shares", shares));
  }

  const std::string body = Scrape("^" + kubepods);
  EXPECT_EQ(SampleValue(body, Series("strata_cgroup_cpu_request_cores", pod)), 0.75);
  EXPECT_EQ(SampleValue(body, Series("strata_cgroup_cpu_request_cores", app)), 0.5);
  EXPECT_EQ(SampleValue(body, Series("strata_cgroup_cpu_request_cores", sidecar)), 0.25);
  for (const std::string& none : {kubepods, burstable, pause, besteffort, idle_pod, idle}) {
    EXPECT_EQ(SampleValue(body, Series("strata_cgroup_cpu_request_cores", none)), std::nullopt)
        << none;
  }
  // Counted once, the pod's: its cgroup already holds its containers' requests.
  EXPECT_EQ(SampleValue(body, "strata_cgroup_requested_cpu_cores{kind=\"pod\"}"), 0.75);
  EXPECT_EQ(SumOverKinds(body, "strata_cgroup_requested_cpu_cores"), std::make_pair(0.75, 1));
  // v1 has no memory.min: no memory requests.
  EXPECT_EQ(SumOverKinds(body, "strata_cgroup_requested_memory_bytes"), std::make_pair(0.0, 0));
  EXPECT_THAT(body, ::testing::Not(::testing::HasSubstr("strata_cgroup_memory_request_bytes{")));
}

// The page's "requests, limits and use of a host" queries, as written there,
// against a real Prometheus scraping the exporter (cgroup and host
// collectors) on a kubelet-like v1 tree: a 750m pod whose 500m container is
// limited to 0.2 cores and spins, the pod limited to 512 MiB.
TEST_F(LiveCommitmentTest, TheDocumentedRequestLimitAndUseQueriesAnswerInPrometheus) {
  const std::vector<std::string> queries = DocumentedQueries("Requests, limits and use of a host");
  ASSERT_EQ(queries.size(), 6u) << "the page's six queries";
  const std::string kubepods = absl::StrCat("/kubepods-", unique_);
  const std::string burstable = kubepods + "/burstable";
  const std::string pod = burstable + "/pod0f6a1b2c-3d4e-5f60-7182-93a4b5c6d7e8";
  const std::string container = pod + "/" + ContainerId('a');
  for (const std::string& path : {kubepods, burstable, pod, container}) {
    ASSERT_NO_FATAL_FAILURE(Make(path));
  }
  ASSERT_NO_FATAL_FAILURE(Write("cpu", pod, "cpu.shares", "768"));
  ASSERT_NO_FATAL_FAILURE(Write("cpu", container, "cpu.shares", "512"));
  ASSERT_NO_FATAL_FAILURE(LimitCpu(container, 20000));
  ASSERT_NO_FATAL_FAILURE(LimitMemory(pod, 512 * kMiB));
  ASSERT_NO_FATAL_FAILURE(RunBusyIn(container));

  ExporterProcess exporter;
  std::vector<std::string> args = {
      "--web.listen-address=127.0.0.1:0", "--collector.disable-defaults", "--collector.cgroup",
      "--collector.host", "--collector.cgroup.path-include=^" + kubepods};
  for (const std::string& flag : NoContainerEngineFlags()) args.push_back(flag);
  ASSERT_TRUE(exporter.Start(args)) << exporter.stderr_text();
  PrometheusServer prometheus;
  ASSERT_TRUE(prometheus.Start(absl::StrCat("127.0.0.1:", exporter.port()), {}))
      << prometheus.log();
  // Five scrapes, so that rate() over 5 s below has the busy loop's.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (true) {
    PromQueryResult scrapes = prometheus.Query("count_over_time(up[1m]) >= 5 and up == 1");
    if (scrapes.ok && !scrapes.samples.empty()) break;
    ASSERT_LT(absl::Now(), deadline) << "no five scrapes within 30 s:\n" << prometheus.log();
    absl::SleepFor(absl::Milliseconds(250));
  }

  auto host_value = [&](const std::string& promql) -> std::optional<double> {
    PromQueryResult result = prometheus.Query(promql);
    EXPECT_TRUE(result.ok) << promql << ": " << result.error;
    if (result.samples.size() != 1) return std::nullopt;
    return result.samples[0].value;
  };
  const std::optional<double> cpus = host_value("strata_host_cpus");
  const std::optional<double> memory = host_value("strata_host_memory_bytes");
  ASSERT_TRUE(cpus.has_value() && memory.has_value())
      << prometheus.Query("{__name__=~\"strata_host_.*\"}").body;

  EXPECT_EQ(host_value(queries[0]), 0.75 / *cpus) << queries[0];  // CPU requested
  EXPECT_EQ(host_value(queries[1]), 0.2 / *cpus) << queries[1];   // CPU limits
  // rate() divides by its whole window: the series are seconds old, so 5m
  // would read a fifth of a percent of what 5s reads.
  const std::string used_query = absl::StrReplaceAll(queries[2], {{"[5m]", "[5s]"}});
  ASSERT_NE(used_query, queries[2]);
  std::optional<double> used = host_value(used_query);  // CPU used
  ASSERT_TRUE(used.has_value()) << used_query;
  EXPECT_GT(*used * *cpus, 0.1) << used_query;  // the busy loop under its 0.2-core quota
  EXPECT_LT(*used * *cpus, 0.3) << used_query;
  PromQueryResult memory_requested = prometheus.Query(queries[3]);  // none on v1
  EXPECT_TRUE(memory_requested.ok) << memory_requested.error;
  EXPECT_TRUE(memory_requested.samples.empty()) << memory_requested.body;
  EXPECT_EQ(host_value(queries[4]), 512 * kMiB / *memory) << queries[4];  // memory limits
  std::optional<double> working_set = host_value(queries[5]);             // memory used
  ASSERT_TRUE(working_set.has_value()) << queries[5];
  EXPECT_GT(*working_set, 0) << queries[5];
  EXPECT_LT(*working_set * *memory, 512 * kMiB) << queries[5];

  prometheus.Stop();
  exporter.Signal(SIGTERM);
  EXPECT_EQ(exporter.Wait(absl::Seconds(10)), 0);
}

}  // namespace
}  // namespace strata::testing
