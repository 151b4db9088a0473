#include "collectors/host/host_collector.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "collectors/host/proc_parsers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/collector_test_base.h"
#include "tests/support/exporter_process.h"
#include "tests/support/fake_host_fs.h"
#include "tests/support/family_lookup.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing::Collected;
using testing::FakeHostFs;
using testing::FindSample;
using ::testing::HasSubstr;

const fs::path kFixtures = fs::path(STRATA_SOURCE_DIR) / "tests/fixtures/host";

class HostCollectorTest : public testing::CollectorTestBase {
 protected:
  Collected Collect(const HostFs& fs) {
    return CollectWith(fs, [](const CollectorContext& context) {
      return NewHostCollectorModule()->Create(context);
    });
  }
};

std::string Trimmed(const std::string& text) {
  return std::string(absl::StripAsciiWhitespace(text));
}

std::map<std::string, std::string> InfoLabels(const Collected& c) {
  return testing::OnlySampleLabels(c, "strata_host_virtualization_info");
}

// One row of tests/fixtures/host/expected.tsv.
struct Expected {
  std::string fixture, role, hypervisor, container_runtime;
  double cpus = 0, memory_bytes = 0, steal_seconds = 0, memory_available_bytes = 0;
  std::vector<double> cpu_seconds;  // user nice system idle iowait irq softirq steal
  std::string uuid, serial, machine_id;
};

std::vector<Expected> ReadExpected() {
  std::ifstream in(kFixtures / "expected.tsv");
  std::vector<Expected> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    EXPECT_EQ(f.size(), 12u) << line;
    if (f.size() != 12) continue;
    Expected e{f[0], f[1], f[2], f[3]};
    EXPECT_TRUE(absl::SimpleAtod(f[4], &e.cpus) && absl::SimpleAtod(f[5], &e.memory_bytes) &&
                absl::SimpleAtod(f[6], &e.steal_seconds) &&
                absl::SimpleAtod(f[7], &e.memory_available_bytes))
        << line;
    for (absl::string_view value : absl::StrSplit(f[8], ',')) {
      double seconds = 0;
      EXPECT_TRUE(absl::SimpleAtod(value, &seconds)) << line;
      e.cpu_seconds.push_back(seconds);
    }
    EXPECT_EQ(e.cpu_seconds.size(), kCpuModes.size()) << line;
    e.uuid = f[9];
    e.serial = f[10];
    e.machine_id = f[11];
    rows.push_back(e);
  }
  return rows;
}

class HostFixtureTest : public HostCollectorTest, public ::testing::WithParamInterface<Expected> {};

TEST_P(HostFixtureTest, ClassifiesAndMeasuresTheFixture) {
  const Expected& want = GetParam();
  const fs::path root = kFixtures / want.fixture;
  auto host_fs = NewRealHostFs(
      {(root / "proc").string(), (root / "sys").string(), (root / "rootfs").string()});
  Collected c = Collect(*host_fs);
  EXPECT_TRUE(c.status.ok()) << c.status;
  auto labels = InfoLabels(c);
  EXPECT_EQ(labels["role"], want.role);
  EXPECT_EQ(labels["hypervisor"], want.hypervisor);
  EXPECT_EQ(labels["container_runtime"], want.container_runtime);
  EXPECT_EQ(FindSample(c.families, "strata_host_cpus"), want.cpus);
  EXPECT_EQ(FindSample(c.families, "strata_host_memory_bytes"), want.memory_bytes);
  std::optional<double> steal = FindSample(c.families, "strata_host_cpu_steal_seconds_total");
  ASSERT_TRUE(steal.has_value());
  EXPECT_DOUBLE_EQ(*steal, want.steal_seconds);
  EXPECT_EQ(FindSample(c.families, "strata_host_memory_available_bytes"),
            want.memory_available_bytes);
  EXPECT_EQ(testing::CountSamples(c.families, "strata_host_cpu_seconds_total"), kCpuModes.size());
  for (size_t i = 0; i < kCpuModes.size() && i < want.cpu_seconds.size(); ++i) {
    std::optional<double> seconds =
        FindSample(c.families, "strata_host_cpu_seconds_total", {{"mode", kCpuModes[i]}});
    ASSERT_TRUE(seconds.has_value()) << kCpuModes[i];
    EXPECT_DOUBLE_EQ(*seconds, want.cpu_seconds[i]) << kCpuModes[i];
  }
  EXPECT_EQ(FindSample(c.families, "strata_host_cpu_seconds_total", {{"mode", "steal"}}), steal);
  EXPECT_EQ(testing::OnlySampleLabels(c, "strata_host_identity_info"),
            (std::map<std::string, std::string>{
                {"uuid", want.uuid}, {"serial", want.serial}, {"machine_id", want.machine_id}}));
  EXPECT_EQ(
      FindSample(c.families, "strata_host_identity_info",
                 {{"uuid", want.uuid}, {"serial", want.serial}, {"machine_id", want.machine_id}}),
      1);
}

// The guest fixture made for joining a guest to its domain: its DMI UUID is
// that of the domain "test" of libvirt's test driver (test:///default).
TEST_F(HostCollectorTest, TheTestDomainsGuestCarriesItsDomainUuid) {
  const fs::path root = kFixtures / "kvm-guest-libvirt-test-domain-synthesized";
  auto host_fs = NewRealHostFs(
      {(root / "proc").string(), (root / "sys").string(), (root / "rootfs").string()});
  Collected c = Collect(*host_fs);
  EXPECT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(testing::OnlySampleLabels(c, "strata_host_identity_info")["uuid"],
            "6695eb01-f6a4-8304-79aa-97f2502e193f");
  EXPECT_EQ(InfoLabels(c)["role"], "vm");
  EXPECT_EQ(FindSample(c.families, "strata_host_cpus"), 2);  // the domain's 2 vCPUs

  // The UUID is the test driver's own, as libvirt reports it.
  auto domuuid = testing::RunCommand({"virsh", "-c", "test:///default", "domuuid", "test"});
  if (domuuid.output.find("cannot start") == 0) GTEST_SKIP() << "virsh not installed";
  ASSERT_EQ(domuuid.exit_code, 0) << domuuid.output;
  EXPECT_EQ(Trimmed(domuuid.output), "6695eb01-f6a4-8304-79aa-97f2502e193f");
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

// The live machine, against systemd-detect-virt's own answer.
TEST_F(HostCollectorTest, AgreesWithSystemdDetectVirt) {
  auto vm = testing::RunCommand({"systemd-detect-virt", "--vm"});
  if (vm.output.find("cannot start") == 0) GTEST_SKIP() << "systemd-detect-virt not installed";
  auto container = testing::RunCommand({"systemd-detect-virt", "--container"});
  auto host_fs = NewRealHostFs({});
  Collected c = Collect(*host_fs);
  EXPECT_TRUE(c.status.ok()) << c.status;
  auto labels = InfoLabels(c);
  std::string expected_vm = Trimmed(vm.output);
  // systemd asks the CPUID hypervisor signature first, which no file shows; the
  // collector stands the paravirtual clock in for it. Some hypervisors present
  // another's signature: a PVM guest (KVM-based) says "bhyve" by CPUID and
  // runs on kvm-clock. There the clock's answer is the expected one.
  auto debug =
      testing::RunCommand({"env", "SYSTEMD_LOG_LEVEL=debug", "systemd-detect-virt", "--vm"});
  std::ifstream clocks("/sys/devices/system/clocksource/clocksource0/available_clocksource");
  std::string available_clocks((std::istreambuf_iterator<char>(clocks)),
                               std::istreambuf_iterator<char>());
  if (absl::StrContains(debug.output, "Virtualization found, CPUID=") &&
      absl::StrContains(available_clocks, "kvm-clock") && expected_vm != "kvm") {
    std::cout << "systemd decided by CPUID (" << expected_vm
              << "); the clock, kvm-clock, says kvm\n";
    expected_vm = "kvm";
  }
  EXPECT_EQ(labels["hypervisor"], expected_vm);
  EXPECT_EQ(labels["container_runtime"], Trimmed(container.output));
  const bool in_vm = expected_vm != "none";
  const bool in_container = Trimmed(container.output) != "none";
  EXPECT_EQ(labels["role"], in_vm && in_container ? "container-in-vm"
                            : in_vm               ? "vm"
                            : in_container        ? "container"
                                                  : "bare-metal");
  EXPECT_EQ(FindSample(c.families, "strata_host_cpus"), sysconf(_SC_NPROCESSORS_ONLN));
  EXPECT_EQ(FindSample(c.families, "strata_host_memory_bytes"),
            static_cast<double>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE));
}

std::string ReadLiveFile(const char* path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The first eight columns of the live /proc/stat's aggregate line, in ticks,
// read without the code under test.
std::vector<uint64_t> LiveCpuTicks() {
  std::istringstream stat(ReadLiveFile("/proc/stat"));
  std::string name;
  stat >> name;
  EXPECT_EQ(name, "cpu");
  std::vector<uint64_t> ticks(8);
  for (uint64_t& t : ticks) stat >> t;
  return ticks;
}

double LiveMeminfoBytes(const std::string& key) {
  std::istringstream meminfo(ReadLiveFile("/proc/meminfo"));
  std::string name;
  uint64_t kib = 0;
  std::string unit;
  while (meminfo >> name >> kib >> unit) {
    if (name == key + ":") return kib * 1024.0;
  }
  ADD_FAILURE() << key << " not in /proc/meminfo";
  return -1;
}

// The live machine: every mode lies between the kernel's counters read just
// before and just after the collection.
TEST_F(HostCollectorTest, CpuTimeByModeLiesBetweenTheKernelsCountersBeforeAndAfter) {
  auto host_fs = NewRealHostFs({});
  const std::vector<uint64_t> before = LiveCpuTicks();
  const double available_before = LiveMeminfoBytes("MemAvailable");
  Collected c = Collect(*host_fs);
  const double available_after = LiveMeminfoBytes("MemAvailable");
  const std::vector<uint64_t> after = LiveCpuTicks();
  EXPECT_TRUE(c.status.ok()) << c.status;
  ASSERT_EQ(testing::CountSamples(c.families, "strata_host_cpu_seconds_total"), 8u);
  double busy = 0;
  for (size_t i = 0; i < kCpuModes.size(); ++i) {
    std::optional<double> seconds =
        FindSample(c.families, "strata_host_cpu_seconds_total", {{"mode", kCpuModes[i]}});
    ASSERT_TRUE(seconds.has_value()) << kCpuModes[i];
    EXPECT_GE(*seconds, before[i] / kUserHz) << kCpuModes[i];
    EXPECT_LE(*seconds, after[i] / kUserHz) << kCpuModes[i];
    if (std::string(kCpuModes[i]) != "idle") busy += *seconds;
  }
  EXPECT_GT(busy, 0);  // this machine has done some work since boot
  // The steal family and the steal mode come from the same read.
  EXPECT_EQ(FindSample(c.families, "strata_host_cpu_steal_seconds_total"),
            FindSample(c.families, "strata_host_cpu_seconds_total", {{"mode", "steal"}}));

  // MemAvailable moves both ways; other builds on this machine move it by
  // tens of MiB between two reads, not by a GiB.
  std::optional<double> available = FindSample(c.families, "strata_host_memory_available_bytes");
  ASSERT_TRUE(available.has_value());
  constexpr double kSlack = 1 << 30;
  EXPECT_GE(*available, std::min(available_before, available_after) - kSlack);
  EXPECT_LE(*available, std::max(available_before, available_after) + kSlack);
  EXPECT_GT(*available, 0);
  EXPECT_LE(*available, *FindSample(c.families, "strata_host_memory_bytes"));
}

// The live machine's identity against its files, read without the code under test.
TEST_F(HostCollectorTest, IdentityMatchesTheLiveFiles) {
  auto host_fs = NewRealHostFs({});
  Collected c = Collect(*host_fs);
  auto labels = testing::OnlySampleLabels(c, "strata_host_identity_info");
  ASSERT_EQ(labels.size(), 3u);
  std::string machine_id = Trimmed(ReadLiveFile("/etc/machine-id"));
  if (machine_id.size() != 32) machine_id.clear();  // absent or "uninitialized"
  EXPECT_EQ(labels["machine_id"], machine_id);
  std::string uuid = absl::AsciiStrToLower(Trimmed(ReadLiveFile("/sys/class/dmi/id/product_uuid")));
  // Firmware placeholders (all zeros, all ones, AMI's) are exported empty.
  if (uuid.find_first_not_of("0f-") == std::string::npos ||
      uuid == "03000200-0400-0500-0006-000700080009") {
    uuid.clear();
  }
  if (!fs::exists("/sys/class/dmi/id/product_uuid")) {
    std::cout << "no DMI on this machine (" << InfoLabels(c)["hypervisor"]
              << "): the uuid label must be empty\n";
  }
  EXPECT_EQ(labels["uuid"], uuid);
}

// Bad input: a clear error naming the file, and every other metric still there.
TEST_F(HostCollectorTest, MalformedFileFailsOnlyItsMetric) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kSys, "devices/system/cpu/online", "0-3\n");
  fake.AddFile(HostRoot::kProc, "meminfo", "MemTotal:  lots kB\n");
  fake.AddFile(HostRoot::kProc, "stat", "cpu  1 2 3 4 5 6 7 800 0 0\n");
  Collected c = Collect(fake);
  EXPECT_TRUE(absl::IsInvalidArgument(c.status)) << c.status;
  EXPECT_THAT(c.status.message(), HasSubstr("/fake/proc/meminfo: bad MemTotal value"));
  EXPECT_FALSE(FindSample(c.families, "strata_host_memory_bytes").has_value());
  EXPECT_EQ(FindSample(c.families, "strata_host_cpus"), 4);
  EXPECT_EQ(FindSample(c.families, "strata_host_cpu_steal_seconds_total"), 8);
  EXPECT_EQ(InfoLabels(c)["role"], "bare-metal");
}

TEST_F(HostCollectorTest, MissingAndUnreadableFilesAreReportedNotFatal) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kProc, "meminfo", "MemTotal: 1024 kB\n");
  fake.FailWith(HostRoot::kProc, "stat",
                absl::PermissionDeniedError("open /fake/proc/stat: denied"));
  fake.FailWith(HostRoot::kProc, "1/environ",
                absl::PermissionDeniedError("open /fake/proc/1/environ: denied"));
  fake.AddFile(HostRoot::kRootfs, "run/.containerenv", "");
  Collected c = Collect(fake);
  EXPECT_FALSE(c.status.ok());
  EXPECT_EQ(FindSample(c.families, "strata_host_memory_bytes"), 1024 * 1024);
  EXPECT_FALSE(FindSample(c.families, "strata_host_cpus").has_value());
  EXPECT_EQ(InfoLabels(c)["container_runtime"], "podman");
  EXPECT_THAT(log_.str(), HasSubstr("1/environ: denied"));
}

TEST_F(HostCollectorTest, MalformedCpuTimeFailsOnlyTheModes) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kSys, "devices/system/cpu/online", "0-1\n");
  fake.AddFile(HostRoot::kProc, "meminfo", "MemTotal: 2048 kB\nMemAvailable: 1024 kB\n");
  fake.AddFile(HostRoot::kProc, "stat", "cpu  1 x 3 4 5 6 7 800 0 0\n");
  Collected c = Collect(fake);
  EXPECT_TRUE(absl::IsInvalidArgument(c.status)) << c.status;
  EXPECT_THAT(c.status.message(), HasSubstr("/fake/proc/stat: bad nice value \"x\""));
  EXPECT_EQ(testing::CountSamples(c.families, "strata_host_cpu_seconds_total"), 0u);
  EXPECT_EQ(FindSample(c.families, "strata_host_cpu_steal_seconds_total"), 8);
  EXPECT_EQ(FindSample(c.families, "strata_host_memory_available_bytes"), 1024 * 1024);
}

TEST_F(HostCollectorTest, MalformedMemAvailableFailsOnlyItsMetric) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kSys, "devices/system/cpu/online", "0-1\n");
  fake.AddFile(HostRoot::kProc, "meminfo", "MemTotal: 2048 kB\nMemAvailable: plenty kB\n");
  fake.AddFile(HostRoot::kProc, "stat", "cpu  1 2 3 4 5 6 7 8 0 0\n");
  Collected c = Collect(fake);
  EXPECT_TRUE(absl::IsInvalidArgument(c.status)) << c.status;
  EXPECT_THAT(c.status.message(), HasSubstr("/fake/proc/meminfo: bad MemAvailable value"));
  EXPECT_FALSE(FindSample(c.families, "strata_host_memory_available_bytes").has_value());
  EXPECT_EQ(FindSample(c.families, "strata_host_memory_bytes"), 2048 * 1024);
  EXPECT_EQ(FindSample(c.families, "strata_host_cpu_seconds_total", {{"mode", "user"}}), 0.01);
}

TEST_F(HostCollectorTest, KernelsWithoutMemAvailableOrStealAreNotAnError) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kSys, "devices/system/cpu/online", "0-1\n");
  fake.AddFile(HostRoot::kProc, "meminfo", "MemTotal: 2048 kB\nMemFree: 1024 kB\n");  // < 3.14
  fake.AddFile(HostRoot::kProc, "stat", "cpu  10 20 30 40 50 60 70\n");               // < 2.6.11
  Collected c = Collect(fake);
  EXPECT_TRUE(c.status.ok()) << c.status;
  EXPECT_FALSE(FindSample(c.families, "strata_host_memory_available_bytes").has_value());
  EXPECT_EQ(testing::CountSamples(c.families, "strata_host_cpu_seconds_total"), 7u);
  EXPECT_FALSE(
      FindSample(c.families, "strata_host_cpu_seconds_total", {{"mode", "steal"}}).has_value());
}

TEST_F(HostCollectorTest, IdentityFromReadableFilesLowerCased) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kSys, "class/dmi/id/product_uuid",
               "6695EB01-F6A4-8304-79AA-97F2502E193F\n");
  fake.AddFile(HostRoot::kSys, "class/dmi/id/product_serial", "  CZ1234567X \n");
  fake.AddFile(HostRoot::kRootfs, "etc/machine-id", "3d1219c7c4c5404aaa1f6d2a48adfda4\n");
  Collected c = Collect(fake);
  EXPECT_EQ(
      testing::OnlySampleLabels(c, "strata_host_identity_info"),
      (std::map<std::string, std::string>{{"uuid", "6695eb01-f6a4-8304-79aa-97f2502e193f"},
                                          {"serial", "CZ1234567X"},
                                          {"machine_id", "3d1219c7c4c5404aaa1f6d2a48adfda4"}}));
}

// The DMI files are root-only: an exporter without root still exports the
// machine-id, with empty DMI labels, and does not fail.
TEST_F(HostCollectorTest, UnreadableIdentityFilesGiveEmptyLabelsNotAFailure) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kSys, "devices/system/cpu/online", "0-1\n");
  fake.AddFile(HostRoot::kProc, "meminfo", "MemTotal: 2048 kB\nMemAvailable: 1024 kB\n");
  fake.AddFile(HostRoot::kProc, "stat", "cpu  1 2 3 4 5 6 7 8 0 0\n");
  fake.FailWith(HostRoot::kSys, "class/dmi/id/product_uuid",
                absl::PermissionDeniedError("open /fake/sys/class/dmi/id/product_uuid: denied"));
  fake.FailWith(HostRoot::kSys, "class/dmi/id/product_serial",
                absl::PermissionDeniedError("open /fake/sys/class/dmi/id/product_serial: denied"));
  fake.AddFile(HostRoot::kRootfs, "etc/machine-id", "3d1219c7c4c5404aaa1f6d2a48adfda4\n");
  Collected c = Collect(fake);
  EXPECT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(testing::OnlySampleLabels(c, "strata_host_identity_info"),
            (std::map<std::string, std::string>{
                {"uuid", ""}, {"serial", ""}, {"machine_id", "3d1219c7c4c5404aaa1f6d2a48adfda4"}}));
  EXPECT_THAT(log_.str(), HasSubstr("product_uuid: denied"));
  EXPECT_THAT(log_.str(), HasSubstr("product_serial: denied"));
}

// Hostile or broken values never become label text.
TEST_F(HostCollectorTest, MalformedIdentityValuesGiveEmptyLabels) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kSys, "class/dmi/id/product_uuid",
               "6695eb01-f6a4-8304-79aa-97f2502e193f\"} 1\nevil{a=\"");
  fake.AddFile(HostRoot::kSys, "class/dmi/id/product_serial", std::string(4096, 'A'));
  fake.AddFile(HostRoot::kRootfs, "etc/machine-id", "uninitialized\n");
  Collected c = Collect(fake);
  EXPECT_EQ(testing::OnlySampleLabels(c, "strata_host_identity_info"),
            (std::map<std::string, std::string>{{"uuid", ""}, {"serial", ""}, {"machine_id", ""}}));
}

TEST_F(HostCollectorTest, Pid1EnvironmentDecidesTheRuntime) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kProc, "1/environ",
               std::string("PATH=/bin\0container=lxc\0TERM=xterm\0", 35));
  EXPECT_EQ(InfoLabels(Collect(fake))["container_runtime"], "lxc");
}

}  // namespace
}  // namespace strata
