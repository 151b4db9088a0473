#include "collectors/host/host_collector.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/exporter_process.h"
#include "tests/support/fake_host_fs.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing::FakeHostFs;
using ::testing::HasSubstr;

const fs::path kFixtures = fs::path(STRATA_SOURCE_DIR) / "tests/fixtures/host";

struct Collected {
  absl::Status status;
  std::vector<prometheus::MetricFamily> families;
};

Collected CollectHost(const HostFs& fs, const Logger& logger) {
  CollectorContext context{fs, logger};
  auto collector = NewHostCollectorModule()->Create(context);
  EXPECT_TRUE(collector.ok());
  Collected result;
  result.status = (*collector)->Collect(result.families);
  return result;
}

const prometheus::MetricFamily* Find(const Collected& c, const std::string& name) {
  for (const auto& family : c.families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

std::map<std::string, std::string> InfoLabels(const Collected& c) {
  std::map<std::string, std::string> labels;
  const auto* info = Find(c, "strata_host_virtualization_info");
  if (info == nullptr || info->metric.size() != 1) return labels;
  for (const auto& label : info->metric[0].label) labels[label.name] = label.value;
  return labels;
}

// One row of tests/fixtures/host/expected.tsv.
struct Expected {
  std::string fixture, role, hypervisor, container_runtime;
  double cpus = 0, memory_bytes = 0, steal_seconds = 0;
};

std::vector<Expected> ReadExpected() {
  std::ifstream in(kFixtures / "expected.tsv");
  std::vector<Expected> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() < 7) continue;
    Expected e{f[0], f[1], f[2], f[3]};
    EXPECT_TRUE(absl::SimpleAtod(f[4], &e.cpus) && absl::SimpleAtod(f[5], &e.memory_bytes) &&
                absl::SimpleAtod(f[6], &e.steal_seconds))
        << line;
    rows.push_back(e);
  }
  return rows;
}

class HostFixtureTest : public ::testing::TestWithParam<Expected> {};

TEST_P(HostFixtureTest, ClassifiesAndMeasuresTheFixture) {
  const Expected& want = GetParam();
  const fs::path root = kFixtures / want.fixture;
  auto host_fs = NewRealHostFs(
      {(root / "proc").string(), (root / "sys").string(), (root / "rootfs").string()});
  std::ostringstream log;
  Logger logger(LogLevel::kDebug, log);
  Collected c = CollectHost(*host_fs, logger);
  EXPECT_TRUE(c.status.ok()) << c.status;
  auto labels = InfoLabels(c);
  EXPECT_EQ(labels["role"], want.role);
  EXPECT_EQ(labels["hypervisor"], want.hypervisor);
  EXPECT_EQ(labels["container_runtime"], want.container_runtime);
  ASSERT_NE(Find(c, "strata_host_cpus"), nullptr);
  EXPECT_EQ(Find(c, "strata_host_cpus")->metric[0].gauge.value, want.cpus);
  ASSERT_NE(Find(c, "strata_host_memory_bytes"), nullptr);
  EXPECT_EQ(Find(c, "strata_host_memory_bytes")->metric[0].gauge.value, want.memory_bytes);
  ASSERT_NE(Find(c, "strata_host_cpu_steal_seconds_total"), nullptr);
  EXPECT_DOUBLE_EQ(Find(c, "strata_host_cpu_steal_seconds_total")->metric[0].counter.value,
                   want.steal_seconds);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, HostFixtureTest, ::testing::ValuesIn(ReadExpected()),
                         [](const auto& info) {
                           std::string name = info.param.fixture;
                           for (char& ch : name) {
                             if (!absl::ascii_isalnum(ch)) ch = '_';
                           }
                           return name;
                         });

TEST(HostFixtures, EveryFixtureHasAnExpectation) {
  std::set<std::string> expected;
  for (const Expected& e : ReadExpected()) expected.insert(e.fixture);
  for (const auto& entry : fs::directory_iterator(kFixtures)) {
    if (fs::is_directory(entry.path() / "proc")) {
      EXPECT_TRUE(expected.count(entry.path().filename().string())) << entry;
    }
  }
  EXPECT_GE(expected.size(), 6u);
}

std::string Trimmed(const std::string& text) {
  return std::string(absl::StripAsciiWhitespace(text));
}

// The live machine, against systemd-detect-virt's own answer.
TEST(HostLive, AgreesWithSystemdDetectVirt) {
  auto vm = testing::RunCommand({"systemd-detect-virt", "--vm"});
  if (vm.output.find("cannot start") == 0) GTEST_SKIP() << "systemd-detect-virt not installed";
  auto container = testing::RunCommand({"systemd-detect-virt", "--container"});
  auto host_fs = NewRealHostFs({});
  std::ostringstream log;
  Logger logger(LogLevel::kDebug, log);
  Collected c = CollectHost(*host_fs, logger);
  EXPECT_TRUE(c.status.ok()) << c.status;
  auto labels = InfoLabels(c);
  EXPECT_EQ(labels["hypervisor"], Trimmed(vm.output));
  EXPECT_EQ(labels["container_runtime"], Trimmed(container.output));
  const bool in_vm = Trimmed(vm.output) != "none";
  const bool in_container = Trimmed(container.output) != "none";
  EXPECT_EQ(labels["role"], in_vm && in_container ? "container-in-vm"
                            : in_vm               ? "vm"
                            : in_container        ? "container"
                                                  : "bare-metal");
  EXPECT_EQ(Find(c, "strata_host_cpus")->metric[0].gauge.value, sysconf(_SC_NPROCESSORS_ONLN));
  EXPECT_EQ(Find(c, "strata_host_memory_bytes")->metric[0].gauge.value,
            static_cast<double>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE));
}

// Bad input: a clear error naming the file, and every other metric still there.
TEST(HostFaults, MalformedFileFailsOnlyItsMetric) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kSys, "devices/system/cpu/online", "0-3\n");
  fake.AddFile(HostRoot::kProc, "meminfo", "MemTotal:  lots kB\n");
  fake.AddFile(HostRoot::kProc, "stat", "cpu  1 2 3 4 5 6 7 800 0 0\n");
  std::ostringstream log;
  Logger logger(LogLevel::kDebug, log);
  Collected c = CollectHost(fake, logger);
  EXPECT_TRUE(absl::IsInvalidArgument(c.status)) << c.status;
  EXPECT_THAT(c.status.message(), HasSubstr("/fake/proc/meminfo: bad MemTotal value"));
  EXPECT_EQ(Find(c, "strata_host_memory_bytes"), nullptr);
  EXPECT_EQ(Find(c, "strata_host_cpus")->metric[0].gauge.value, 4);
  EXPECT_EQ(Find(c, "strata_host_cpu_steal_seconds_total")->metric[0].counter.value, 8);
  EXPECT_EQ(InfoLabels(c)["role"], "bare-metal");
}

TEST(HostFaults, MissingAndUnreadableFilesAreReportedNotFatal) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kProc, "meminfo", "MemTotal: 1024 kB\n");
  fake.FailWith(HostRoot::kProc, "stat",
                absl::PermissionDeniedError("open /fake/proc/stat: denied"));
  fake.FailWith(HostRoot::kProc, "1/environ",
                absl::PermissionDeniedError("open /fake/proc/1/environ: denied"));
  fake.AddFile(HostRoot::kRootfs, "run/.containerenv", "");
  std::ostringstream log;
  Logger logger(LogLevel::kDebug, log);
  Collected c = CollectHost(fake, logger);
  EXPECT_FALSE(c.status.ok());
  EXPECT_EQ(Find(c, "strata_host_memory_bytes")->metric[0].gauge.value, 1024 * 1024);
  EXPECT_EQ(Find(c, "strata_host_cpus"), nullptr);
  EXPECT_EQ(InfoLabels(c)["container_runtime"], "podman");
  EXPECT_THAT(log.str(), HasSubstr("1/environ: denied"));
}

TEST(HostFaults, Pid1EnvironmentDecidesTheRuntime) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kProc, "1/environ",
               std::string("PATH=/bin\0container=lxc\0TERM=xterm\0", 35));
  std::ostringstream log;
  Logger logger(LogLevel::kDebug, log);
  EXPECT_EQ(InfoLabels(CollectHost(fake, logger))["container_runtime"], "lxc");
}

}  // namespace
}  // namespace strata
