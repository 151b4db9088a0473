// The libvirt collector run in-process against libvirt's own test driver
// (test:///default and generated node XML files), against URIs that cannot be
// opened, and against a socket that accepts but never answers. Values are
// compared with what the libvirt C API returns directly.
#include <libvirt/libvirt.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/host_fs.h"
#include "collectors/libvirt/domain_stats.h"
#include "collectors/libvirt/libvirt_collector.h"
#include "collectors/libvirt/libvirt_session.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "tests/support/exporter_process.h"
#include "tests/support/exposition.h"
#include "tests/support/sanitizers.h"

namespace strata {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::RunCommand;
using testing::SampleValue;

constexpr double kKiB = 1024;
constexpr double kMiB = 1024 * kKiB;
constexpr double kGiB = 1024 * kMiB;

// One collector instance, collected from as often as a test likes.
class CollectorUnderTest {
 public:
  struct Result {
    absl::Status status;
    std::string text;
    absl::Duration elapsed;
  };

  explicit CollectorUnderTest(LibvirtCollectorOptions options)
      : fs_(NewRealHostFs({})), logger_(LogLevel::kDebug, log_) {
    auto collector = NewLibvirtCollector({*fs_, logger_}, options);
    EXPECT_TRUE(collector.ok()) << collector.status();
    if (collector.ok()) collector_ = std::move(*collector);
  }

  Result Collect() {
    Result result;
    if (collector_ == nullptr) {
      result.status = absl::InternalError("no collector");
      return result;
    }
    std::vector<prometheus::MetricFamily> families;
    const absl::Time start = absl::Now();
    result.status = collector_->Collect(families);
    result.elapsed = absl::Now() - start;
    result.text = prometheus::TextSerializer().Serialize(families);
    return result;
  }

 private:
  std::unique_ptr<HostFs> fs_;
  std::ostringstream log_;
  Logger logger_;
  std::unique_ptr<Collector> collector_;
};

LibvirtCollectorOptions Options(const std::string& uri, bool vcpu_metrics = false) {
  LibvirtCollectorOptions options;
  options.uri = uri;
  options.vcpu_metrics = vcpu_metrics;
  return options;
}

// Every sample of an exposition by its series (name and labels as written),
// for expositions too large to search line by line for each value.
std::map<std::string, double> Samples(const std::string& text) {
  std::map<std::string, double> samples;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    double value = 0;
    if (space == absl::string_view::npos || !absl::SimpleAtod(line.substr(space + 1), &value)) {
      ADD_FAILURE() << "unreadable sample line: " << line;
      continue;
    }
    samples[std::string(line.substr(0, space))] = value;
  }
  return samples;
}

int CountSeries(const std::map<std::string, double>& samples, const std::string& prefix) {
  int n = 0;
  for (const auto& [series, value] : samples) n += absl::StartsWith(series, prefix) ? 1 : 0;
  return n;
}

std::optional<double> Find(const std::map<std::string, double>& samples,
                           const std::string& series) {
  auto it = samples.find(series);
  if (it == samples.end()) return std::nullopt;
  return it->second;
}

void ExpectPromtoolClean(const std::string& exposition) {
  testing::CommandResult lint = RunCommand({STRATA_PROMTOOL, "check", "metrics"}, exposition);
  EXPECT_EQ(lint.exit_code, 0) << "promtool check metrics found problems:\n" << lint.output;
}

// A value read between two direct reads of a counter that grows with time.
void ExpectBetween(std::optional<double> value, double low, double high, const std::string& what) {
  ASSERT_TRUE(value.has_value()) << what << " is missing";
  const double slack = 1e-12 * high;
  EXPECT_GE(*value, low - slack) << what;
  EXPECT_LE(*value, high + slack) << what;
}

std::string Series(const std::string& name, const std::string& domain) {
  return absl::StrCat(name, "{domain=\"", domain, "\"}");
}
std::string DeviceSeries(const std::string& name, const std::string& domain,
                         const std::string& device) {
  return absl::StrCat(name, "{domain=\"", domain, "\",device=\"", device, "\"}");
}

// ---------------------------------------------------------------------------
// test:///default: one running domain, "test".

class LibvirtTestDriverDefaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // As the collector does before its first connection: the event loop, and
    // no error printing.
    EnsureLibvirtEventLoop();
    conn_ = virConnectOpenReadOnly("test:///default");
    ASSERT_NE(conn_, nullptr);
    dom_ = virDomainLookupByName(conn_, "test");
    ASSERT_NE(dom_, nullptr);
  }
  void TearDown() override {
    if (dom_ != nullptr) virDomainFree(dom_);
    if (conn_ != nullptr) virConnectClose(conn_);
  }

  virDomainInfo Info() {
    virDomainInfo info{};
    EXPECT_EQ(virDomainGetInfo(dom_, &info), 0);
    return info;
  }
  virDomainBlockStatsStruct BlockStats(const char* device) {
    virDomainBlockStatsStruct stats{};
    EXPECT_EQ(virDomainBlockStats(dom_, device, &stats, sizeof(stats)), 0);
    return stats;
  }
  virDomainInterfaceStatsStruct InterfaceStats(const char* device) {
    virDomainInterfaceStatsStruct stats{};
    EXPECT_EQ(virDomainInterfaceStats(dom_, device, &stats, sizeof(stats)), 0);
    return stats;
  }
  std::vector<virVcpuInfo> Vcpus(int maximum) {
    std::vector<virVcpuInfo> vcpus(static_cast<size_t>(maximum));
    const int n = virDomainGetVcpus(dom_, vcpus.data(), maximum, nullptr, 0);
    EXPECT_GT(n, 0);
    vcpus.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return vcpus;
  }

  virConnectPtr conn_ = nullptr;
  virDomainPtr dom_ = nullptr;
};

TEST_F(LibvirtTestDriverDefaultTest, MatchesWhatLibvirtReportsDirectly) {
  virNodeInfo node{};
  ASSERT_EQ(virNodeGetInfo(conn_, &node), 0);
  char uuid[VIR_UUID_STRING_BUFLEN] = {};
  ASSERT_EQ(virDomainGetUUIDString(dom_, uuid), 0);
  int state = -1, reason = -1;
  ASSERT_EQ(virDomainGetState(dom_, &state, &reason, 0), 0);
  const int max_vcpus = virDomainGetVcpusFlags(dom_, VIR_DOMAIN_VCPU_MAXIMUM);
  ASSERT_GT(max_vcpus, 0);
  virDomainMemoryStatStruct memory[VIR_DOMAIN_MEMORY_STAT_NR];
  const int memory_stats = virDomainMemoryStats(dom_, memory, VIR_DOMAIN_MEMORY_STAT_NR, 0);
  ASSERT_GT(memory_stats, 0);
  std::map<int, double> memory_by_tag;
  for (int i = 0; i < memory_stats; ++i) memory_by_tag[memory[i].tag] = memory[i].val;
  virDomainBlockInfo block_info{};
  ASSERT_EQ(virDomainGetBlockInfo(dom_, "vda", &block_info, 0), 0);

  // The test driver derives CPU time and device counters from the clock: the
  // collector's values lie between a read before and a read after.
  const virDomainInfo before = Info();
  const virDomainBlockStatsStruct block_before = BlockStats("vda");
  const virDomainInterfaceStatsStruct net_before = InterfaceStats("testnet0");
  const std::vector<virVcpuInfo> vcpus_before = Vcpus(max_vcpus);
  CollectorUnderTest collector(Options("test:///default", /*vcpu_metrics=*/true));
  CollectorUnderTest::Result result = collector.Collect();
  const virDomainInfo after = Info();
  const virDomainBlockStatsStruct block_after = BlockStats("vda");
  const virDomainInterfaceStatsStruct net_after = InterfaceStats("testnet0");
  const std::vector<virVcpuInfo> vcpus_after = Vcpus(max_vcpus);
  ASSERT_TRUE(result.status.ok()) << result.status;
  const std::string& text = result.text;

  EXPECT_EQ(SampleValue(text, "strata_libvirt_up"), 1);
  EXPECT_EQ(SampleValue(text, "strata_libvirt_domains_skipped"), 0);

  // Host.
  EXPECT_EQ(SampleValue(text, "strata_hypervisor_cpus"), node.cpus);
  EXPECT_EQ(SampleValue(text, "strata_hypervisor_memory_bytes"), node.memory * kKiB);
  EXPECT_EQ(SampleValue(text, "strata_hypervisor_domains{state=\"running\"}"), 1);
  EXPECT_EQ(SampleValue(text, "strata_hypervisor_domains{state=\"paused\"}"), 0);
  EXPECT_EQ(SampleValue(text, "strata_hypervisor_domains{state=\"shutoff\"}"), 0);
  EXPECT_EQ(SampleValue(text, "strata_hypervisor_domains{state=\"crashed\"}"), 0);
  EXPECT_EQ(SampleValue(text, "strata_hypervisor_vcpus_allocated{scope=\"running\"}"),
            before.nrVirtCpu);
  EXPECT_EQ(SampleValue(text, "strata_hypervisor_vcpus_allocated{scope=\"defined\"}"),
            before.nrVirtCpu);
  EXPECT_EQ(SampleValue(text, "strata_hypervisor_memory_allocated_bytes{scope=\"running\"}"),
            before.maxMem * kKiB);
  EXPECT_EQ(SampleValue(text, "strata_hypervisor_memory_allocated_bytes{scope=\"defined\"}"),
            before.maxMem * kKiB);

  // Identity and state. os_type comes from the XML's <os><type> ("hvm");
  // the test driver's virDomainGetOSType answers "linux" regardless.
  EXPECT_EQ(SampleValue(text, absl::StrCat("strata_domain_info{domain=\"test\",uuid=\"", uuid,
                                           "\",os_type=\"hvm\"}")),
            1);
  EXPECT_EQ(SampleValue(text, absl::StrCat("strata_domain_state{domain=\"test\",state=\"",
                                           DomainStateName(state), "\",reason=\"",
                                           DomainStateReasonName(state, reason), "\"}")),
            1);
  EXPECT_EQ(state, VIR_DOMAIN_RUNNING);
  EXPECT_THAT(text, Not(HasSubstr("strata_domain_openstack_info{")));

  // CPU.
  EXPECT_EQ(SampleValue(text, Series("strata_domain_vcpus", "test")), before.nrVirtCpu);
  EXPECT_EQ(SampleValue(text, Series("strata_domain_vcpus_maximum", "test")), max_vcpus);
  ExpectBetween(
      SampleValue(text, "strata_domain_cpu_time_seconds_total{domain=\"test\",mode=\"total\"}"),
      before.cpuTime * 1e-9, after.cpuTime * 1e-9, "cpu time");
  ASSERT_EQ(vcpus_before.size(), vcpus_after.size());
  for (size_t i = 0; i < vcpus_before.size(); ++i) {
    ExpectBetween(
        SampleValue(text, absl::StrCat("strata_domain_vcpu_time_seconds_total{domain=\"test\","
                                       "vcpu=\"",
                                       vcpus_before[i].number, "\"}")),
        vcpus_before[i].cpuTime * 1e-9, vcpus_after[i].cpuTime * 1e-9,
        absl::StrCat("vcpu ", i, " time"));
  }

  // Memory: the maximum is <memory>, the balloon is what the guest has now;
  // they differ on this domain (8 GiB and 2 GiB), so one cannot pass for the
  // other.
  ASSERT_NE(before.maxMem, before.memory);
  EXPECT_EQ(SampleValue(text, Series("strata_domain_memory_maximum_bytes", "test")),
            before.maxMem * kKiB);
  EXPECT_EQ(SampleValue(text, Series("strata_domain_memory_balloon_bytes", "test")),
            memory_by_tag.at(VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON) * kKiB);
  EXPECT_EQ(SampleValue(text, Series("strata_domain_memory_balloon_bytes", "test")),
            before.memory * kKiB);
  EXPECT_EQ(SampleValue(text, Series("strata_domain_memory_available_bytes", "test")),
            memory_by_tag.at(VIR_DOMAIN_MEMORY_STAT_AVAILABLE) * kKiB);
  EXPECT_EQ(SampleValue(text, Series("strata_domain_memory_usable_bytes", "test")),
            memory_by_tag.at(VIR_DOMAIN_MEMORY_STAT_USABLE) * kKiB);
  EXPECT_EQ(SampleValue(text, Series("strata_domain_memory_unused_bytes", "test")),
            memory_by_tag.at(VIR_DOMAIN_MEMORY_STAT_UNUSED) * kKiB);
  EXPECT_EQ(SampleValue(text, Series("strata_domain_memory_rss_bytes", "test")),
            memory_by_tag.at(VIR_DOMAIN_MEMORY_STAT_RSS) * kKiB);
  EXPECT_EQ(SampleValue(text, Series("strata_domain_memory_swap_in_bytes_total", "test")),
            memory_by_tag.at(VIR_DOMAIN_MEMORY_STAT_SWAP_IN) * kKiB);
  EXPECT_EQ(SampleValue(text, Series("strata_domain_memory_swap_out_bytes_total", "test")),
            memory_by_tag.at(VIR_DOMAIN_MEMORY_STAT_SWAP_OUT) * kKiB);
  EXPECT_EQ(SampleValue(text, Series("strata_domain_memory_major_faults_total", "test")),
            memory_by_tag.at(VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT));
  EXPECT_EQ(SampleValue(text, Series("strata_domain_memory_minor_faults_total", "test")),
            memory_by_tag.at(VIR_DOMAIN_MEMORY_STAT_MINOR_FAULT));

  // Block device, through the per-domain fallback.
  EXPECT_EQ(SampleValue(text,
                        "strata_domain_block_info{domain=\"test\",device=\"vda\","
                        "source=\"/guest/diskimage1\"}"),
            1);
  ExpectBetween(
      SampleValue(text, DeviceSeries("strata_domain_block_read_requests_total", "test", "vda")),
      block_before.rd_req, block_after.rd_req, "block read requests");
  ExpectBetween(
      SampleValue(text, DeviceSeries("strata_domain_block_read_bytes_total", "test", "vda")),
      block_before.rd_bytes, block_after.rd_bytes, "block read bytes");
  ExpectBetween(
      SampleValue(text, DeviceSeries("strata_domain_block_write_requests_total", "test", "vda")),
      block_before.wr_req, block_after.wr_req, "block write requests");
  ExpectBetween(
      SampleValue(text, DeviceSeries("strata_domain_block_write_bytes_total", "test", "vda")),
      block_before.wr_bytes, block_after.wr_bytes, "block write bytes");
  EXPECT_GT(block_before.rd_req, 0);
  EXPECT_EQ(SampleValue(text, DeviceSeries("strata_domain_block_capacity_bytes", "test", "vda")),
            block_info.capacity);
  EXPECT_EQ(SampleValue(text, DeviceSeries("strata_domain_block_allocation_bytes", "test", "vda")),
            block_info.allocation);
  EXPECT_EQ(SampleValue(text, DeviceSeries("strata_domain_block_physical_bytes", "test", "vda")),
            block_info.physical);

  // Interface, through the per-domain fallback.
  const std::string net = "testnet0";
  ExpectBetween(
      SampleValue(text, DeviceSeries("strata_domain_interface_receive_bytes_total", "test", net)),
      net_before.rx_bytes, net_after.rx_bytes, "rx bytes");
  ExpectBetween(
      SampleValue(text, DeviceSeries("strata_domain_interface_receive_packets_total", "test", net)),
      net_before.rx_packets, net_after.rx_packets, "rx packets");
  ExpectBetween(
      SampleValue(text, DeviceSeries("strata_domain_interface_receive_errors_total", "test", net)),
      net_before.rx_errs, net_after.rx_errs, "rx errors");
  ExpectBetween(
      SampleValue(text, DeviceSeries("strata_domain_interface_receive_drops_total", "test", net)),
      net_before.rx_drop, net_after.rx_drop, "rx drops");
  ExpectBetween(
      SampleValue(text, DeviceSeries("strata_domain_interface_transmit_bytes_total", "test", net)),
      net_before.tx_bytes, net_after.tx_bytes, "tx bytes");
  ExpectBetween(SampleValue(text, DeviceSeries("strata_domain_interface_transmit_packets_total",
                                               "test", net)),
                net_before.tx_packets, net_after.tx_packets, "tx packets");
  ExpectBetween(
      SampleValue(text, DeviceSeries("strata_domain_interface_transmit_errors_total", "test", net)),
      net_before.tx_errs, net_after.tx_errs, "tx errors");
  ExpectBetween(
      SampleValue(text, DeviceSeries("strata_domain_interface_transmit_drops_total", "test", net)),
      net_before.tx_drop, net_after.tx_drop, "tx drops");
  EXPECT_GT(net_before.rx_bytes, 0);

  ExpectPromtoolClean(text);
}

TEST_F(LibvirtTestDriverDefaultTest, PerVcpuSeriesOnlyWhenAskedFor) {
  CollectorUnderTest collector(Options("test:///default"));
  CollectorUnderTest::Result result = collector.Collect();
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_THAT(result.text, Not(HasSubstr("strata_domain_vcpu_time_seconds_total{")));
  EXPECT_THAT(result.text, HasSubstr("strata_domain_cpu_time_seconds_total{domain=\"test\""));
}

TEST_F(LibvirtTestDriverDefaultTest, ScrapesAgainOnTheKeptConnection) {
  CollectorUnderTest collector(Options("test:///default"));
  for (int i = 0; i < 3; ++i) {
    CollectorUnderTest::Result result = collector.Collect();
    ASSERT_TRUE(result.status.ok()) << result.status;
    EXPECT_EQ(SampleValue(result.text, "strata_libvirt_up"), 1);
    EXPECT_EQ(SampleValue(result.text, "strata_hypervisor_domains{state=\"running\"}"), 1);
    EXPECT_EQ(SampleValue(result.text, Series("strata_domain_memory_maximum_bytes", "test")),
              8 * kGiB);
  }
}

// In libvirt 9.0 every test:///default connection of a process shares one
// driver instance (for as long as one of them is open), so a domain changed
// through a read-write connection is seen by the collector's own connection.
// A read-write connection to test:///default that puts the domain "test"
// back to running when the test ends, however it ends.
struct ReadWriteTestDomain {
  ReadWriteTestDomain()
      : conn(virConnectOpen("test:///default")),
        dom(conn != nullptr ? virDomainLookupByName(conn, "test") : nullptr) {}
  ~ReadWriteTestDomain() {
    int state = -1;
    if (dom != nullptr && virDomainGetState(dom, &state, nullptr, 0) == 0) {
      if (state == VIR_DOMAIN_PAUSED) virDomainResume(dom);
      if (state == VIR_DOMAIN_SHUTOFF) virDomainCreate(dom);
    }
    if (dom != nullptr) virDomainFree(dom);
    if (conn != nullptr) virConnectClose(conn);
  }
  virConnectPtr conn;
  virDomainPtr dom;
};

// In libvirt 9.0 every test:///default connection of a process shares one
// driver instance (for as long as one of them is open), so a domain changed
// through a read-write connection is seen by the collector's own connection.
TEST_F(LibvirtTestDriverDefaultTest, FollowsStateChanges) {
  ReadWriteTestDomain rw;
  ASSERT_NE(rw.dom, nullptr);
  CollectorUnderTest collector(Options("test:///default"));
  ASSERT_TRUE(collector.Collect().status.ok());

  ASSERT_EQ(virDomainSuspend(rw.dom), 0);
  int state = -1, reason = -1;
  ASSERT_EQ(virDomainGetState(dom_, &state, &reason, 0), 0);
  ASSERT_EQ(state, VIR_DOMAIN_PAUSED) << "test:///default connections no longer share a driver";
  CollectorUnderTest::Result paused = collector.Collect();
  ASSERT_TRUE(paused.status.ok()) << paused.status;
  EXPECT_EQ(SampleValue(paused.text,
                        "strata_domain_state{domain=\"test\",state=\"paused\","
                        "reason=\"user\"}"),
            1);
  EXPECT_EQ(SampleValue(paused.text, "strata_hypervisor_domains{state=\"paused\"}"), 1);
  EXPECT_EQ(SampleValue(paused.text, "strata_hypervisor_domains{state=\"running\"}"), 0);
  // Paused is still active: its allocation counts as running.
  EXPECT_EQ(SampleValue(paused.text, "strata_hypervisor_vcpus_allocated{scope=\"running\"}"), 2);

  ASSERT_EQ(virDomainDestroy(rw.dom), 0);
  CollectorUnderTest::Result off = collector.Collect();
  ASSERT_TRUE(off.status.ok()) << off.status;
  EXPECT_EQ(SampleValue(off.text,
                        "strata_domain_state{domain=\"test\",state=\"shutoff\","
                        "reason=\"destroyed\"}"),
            1);
  EXPECT_EQ(SampleValue(off.text, "strata_hypervisor_domains{state=\"shutoff\"}"), 1);
  EXPECT_EQ(SampleValue(off.text, "strata_hypervisor_vcpus_allocated{scope=\"running\"}"), 0);
  EXPECT_EQ(SampleValue(off.text, "strata_hypervisor_memory_allocated_bytes{scope=\"running\"}"),
            0);
  // The definition still claims its share.
  EXPECT_EQ(SampleValue(off.text, "strata_hypervisor_vcpus_allocated{scope=\"defined\"}"), 2);
  EXPECT_EQ(SampleValue(off.text, "strata_hypervisor_memory_allocated_bytes{scope=\"defined\"}"),
            8 * kGiB);
  EXPECT_THAT(off.text, HasSubstr("strata_domain_info{domain=\"test\""));
  // No process, so no live series.
  EXPECT_THAT(off.text, Not(HasSubstr("strata_domain_block_read_bytes_total{domain=\"test\"")));
  EXPECT_THAT(off.text, Not(HasSubstr("strata_domain_cpu_time_seconds_total{domain=\"test\"")));
  EXPECT_THAT(off.text, Not(HasSubstr("strata_domain_vcpus{domain=\"test\"")));

  ASSERT_EQ(virDomainCreate(rw.dom), 0);
  CollectorUnderTest::Result running = collector.Collect();
  ASSERT_TRUE(running.status.ok()) << running.status;
  EXPECT_EQ(SampleValue(running.text,
                        "strata_domain_state{domain=\"test\",state=\"running\","
                        "reason=\"booted\"}"),
            1);
  EXPECT_EQ(SampleValue(running.text, "strata_hypervisor_vcpus_allocated{scope=\"running\"}"), 2);
  EXPECT_THAT(running.text,
              HasSubstr("strata_domain_block_read_bytes_total{domain=\"test\",device=\"vda\"}"));
}

// ---------------------------------------------------------------------------
// A generated node of 300 domains in every state, opened as test://<file>.

struct GeneratedDisk {
  std::string target;
  std::string source;  // "" for a CD-ROM drive without media
};

struct GeneratedDomain {
  std::string name;
  std::string uuid;
  int state = VIR_DOMAIN_RUNNING;
  int vcpus_maximum = 1;
  int vcpus_current = 1;
  double memory_bytes = 0;
  double current_memory_bytes = 0;
  std::vector<GeneratedDisk> disks;
  std::vector<std::string> interfaces;
  bool nova = false;
  std::string nova_namespace;
  std::string instance_name, flavor, project_name, project_uuid, user_name;

  // Whether libvirt runs a process for it: everything but shutoff (the test
  // driver starts every domain whose runstate is not shutoff).
  bool active() const { return state != VIR_DOMAIN_SHUTOFF; }
};

constexpr int kGeneratedDomains = 300;
constexpr int kGeneratedCpus = 64;  // 1 NUMA node x 2 sockets x 16 cores x 2 threads
constexpr double kGeneratedMemoryKiB = 512.0 * 1024 * 1024;  // 512 GiB

std::vector<GeneratedDomain> GenerateDomains() {
  // Mostly running, every other state too; 300 is a multiple of 12.
  constexpr int kStates[] = {VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING,     VIR_DOMAIN_RUNNING,
                             VIR_DOMAIN_PAUSED,  VIR_DOMAIN_RUNNING,     VIR_DOMAIN_SHUTOFF,
                             VIR_DOMAIN_RUNNING, VIR_DOMAIN_CRASHED,     VIR_DOMAIN_BLOCKED,
                             VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_PMSUSPENDED, VIR_DOMAIN_SHUTDOWN};
  const char* kFlavors[] = {"m1.small", "m1.large", "c5.xlarge"};
  std::vector<GeneratedDomain> domains;
  for (int i = 0; i < kGeneratedDomains; ++i) {
    GeneratedDomain d;
    d.name = absl::StrFormat("vm-%03d", i);
    d.uuid = absl::StrFormat("%08x-7e57-4d0e-8a11-%012x", 0x5a000000 + i, 0xfeed0000 + i);
    d.state = kStates[i % 12];
    d.vcpus_maximum = 1 + (i * 7) % 16;
    d.vcpus_current = i % 5 == 0 ? (d.vcpus_maximum + 1) / 2 : d.vcpus_maximum;
    d.memory_bytes = 256 * kMiB * (1 + (i * 11) % 32);
    d.current_memory_bytes = i % 3 == 0 ? d.memory_bytes / 2 : d.memory_bytes;
    const int disks = i % 4;
    if (disks > 0) {
      d.disks.push_back({"vda", absl::StrFormat("/var/lib/libvirt/images/vm-%03d.qcow2", i)});
    }
    if (disks > 1) d.disks.push_back({"vdb", absl::StrFormat("/dev/vg0/vm-%03d-data", i)});
    if (disks > 2) d.disks.push_back({"sda", ""});
    for (int n = 0; n < (i / 4) % 3; ++n) {
      d.interfaces.push_back(absl::StrFormat("tap%03d-%d", i, n));
    }
    if (i % 7 == 3) {
      d.nova = true;
      d.nova_namespace = absl::StrCat("http://openstack.org/xmlns/libvirt/nova/",
                                      (i / 7) % 2 == 0 ? "1.1" : "1.0");
      d.instance_name = absl::StrFormat("tenant-app-%03d", i);
      d.flavor = kFlavors[i % 3];
      d.project_name = absl::StrCat("project-", i % 5);
      d.project_uuid = absl::StrFormat("%032x", 0xabc000 + i % 5);
      d.user_name = absl::StrCat("user-", i % 4);
    }
    domains.push_back(std::move(d));
  }
  return domains;
}

// <memory> in one of the units libvirt accepts.
std::string MemoryElement(const char* element, double bytes, int style) {
  switch (style % 4) {
    case 0:
      return absl::StrFormat("<%s>%.0f</%s>", element, bytes / kKiB, element);
    case 1:
      return absl::StrFormat("<%s unit='MiB'>%.0f</%s>", element, bytes / kMiB, element);
    case 2:
      return absl::StrFormat("<%s unit='bytes'>%.0f</%s>", element, bytes, element);
    default:
      if (static_cast<int64_t>(bytes) % static_cast<int64_t>(kGiB) == 0) {
        return absl::StrFormat("<%s unit='GiB'>%.0f</%s>", element, bytes / kGiB, element);
      }
      return absl::StrFormat("<%s unit='KiB'>%.0f</%s>", element, bytes / kKiB, element);
  }
}

std::string NodeXml(const std::vector<GeneratedDomain>& domains) {
  std::string xml = absl::StrFormat(
      "<node>\n"
      "  <cpu><mhz>2600</mhz><model>x86_64</model><nodes>1</nodes><sockets>2</sockets>"
      "<cores>16</cores><threads>2</threads></cpu>\n"
      "  <memory>%.0f</memory>\n",
      kGeneratedMemoryKiB);
  int index = 0;
  for (const GeneratedDomain& d : domains) {
    // The test driver's own namespace sets the run state; domains of a node
    // file are persistent unless marked <test:transient/>.
    absl::StrAppend(
        &xml, "  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>\n",
        "    <name>", d.name, "</name>\n", "    <uuid>", d.uuid, "</uuid>\n");
    if (d.nova) {
      absl::StrAppend(
          &xml, "    <metadata>\n      <nova:instance xmlns:nova='", d.nova_namespace,
          "'>\n        <nova:package version='27.1.0'/>\n        <nova:name>", d.instance_name,
          "</nova:name>\n        <nova:creationTime>2024-05-02 08:00:00"
          "</nova:creationTime>\n        <nova:flavor name='",
          d.flavor, "'><nova:memory>", d.memory_bytes / kMiB,
          "</nova:memory><nova:disk>20</nova:disk><nova:swap>0</nova:swap>"
          "<nova:ephemeral>0</nova:ephemeral><nova:vcpus>",
          d.vcpus_maximum,
          "</nova:vcpus></nova:flavor>\n        <nova:owner>\n"
          "          <nova:user uuid='",
          absl::StrFormat("%032x", 0xdef000 + index % 4), "'>", d.user_name,
          "</nova:user>\n          <nova:project uuid='", d.project_uuid, "'>", d.project_name,
          "</nova:project>\n        </nova:owner>\n"
          "        <nova:root type='image' uuid='0c3e8f5a-1b2d-4c6e-8f9a-0b1c2d3e4f5a'/>\n"
          "      </nova:instance>\n    </metadata>\n");
    }
    absl::StrAppend(&xml, "    ", MemoryElement("memory", d.memory_bytes, index), "\n");
    if (d.current_memory_bytes != d.memory_bytes) {
      absl::StrAppend(&xml, "    ",
                      MemoryElement("currentMemory", d.current_memory_bytes, index + 1), "\n");
    }
    if (d.vcpus_current != d.vcpus_maximum) {
      absl::StrAppend(&xml, "    <vcpu placement='static' current='", d.vcpus_current, "'>",
                      d.vcpus_maximum, "</vcpu>\n");
    } else {
      absl::StrAppend(&xml, "    <vcpu>", d.vcpus_maximum, "</vcpu>\n");
    }
    absl::StrAppend(&xml, "    <os><type>hvm</type></os>\n    <devices>\n");
    for (const GeneratedDisk& disk : d.disks) {
      if (disk.source.empty()) {
        absl::StrAppend(&xml, "      <disk type='file' device='cdrom'><target dev='", disk.target,
                        "' bus='sata'/><readonly/></disk>\n");
      } else if (absl::StartsWith(disk.source, "/dev/")) {
        absl::StrAppend(&xml, "      <disk type='block' device='disk'><source dev='", disk.source,
                        "'/><target dev='", disk.target, "' bus='virtio'/></disk>\n");
      } else {
        absl::StrAppend(&xml, "      <disk type='file' device='disk'><source file='", disk.source,
                        "'/><target dev='", disk.target, "' bus='virtio'/></disk>\n");
      }
    }
    for (const std::string& tap : d.interfaces) {
      absl::StrAppend(&xml, "      <interface type='bridge'><source bridge='br0'/><target dev='",
                      tap, "'/><model type='virtio'/></interface>\n");
    }
    if (index % 2 == 0) absl::StrAppend(&xml, "      <memballoon model='virtio'/>\n");
    absl::StrAppend(&xml, "    </devices>\n    <test:runstate>", d.state,
                    "</test:runstate>\n  </domain>\n");
    ++index;
  }
  absl::StrAppend(&xml, "</node>\n");
  return xml;
}

class LibvirtTestDriverNodeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    EnsureLibvirtEventLoop();
    domains_ = new std::vector<GeneratedDomain>(GenerateDomains());
    char dir[] = "/tmp/strata-libvirt-node-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = new std::string(dir);
    path_ = new std::string(absl::StrCat(dir, "/test-driver-300-domains.xml"));
    {
      std::ofstream out(*path_);
      out << NodeXml(*domains_);
      ASSERT_TRUE(out.good());
    }
    uri_ = new std::string(absl::StrCat("test://", *path_));
    LibvirtCollectorOptions options = Options(*uri_);
    // Not a test of the timeout: 300 domains parsed under the sanitizers on
    // two busy cores once took more than 20 s.
    options.timeout = absl::Seconds(120);
    collector_ = new CollectorUnderTest(options);
    first_ = new CollectorUnderTest::Result(collector_->Collect());
    samples_ = new std::map<std::string, double>(Samples(first_->text));
  }

  static void TearDownTestSuite() {
    delete samples_;
    delete first_;
    delete collector_;
    delete uri_;
    if (path_ != nullptr) unlink(path_->c_str());
    if (dir_ != nullptr) rmdir(dir_->c_str());
    delete path_;
    delete dir_;
    delete domains_;
  }

  void SetUp() override {
    ASSERT_NE(first_, nullptr);
    ASSERT_TRUE(first_->status.ok()) << first_->status;
  }

  static const std::vector<GeneratedDomain>& domains() { return *domains_; }
  static const std::map<std::string, double>& samples() { return *samples_; }
  static std::optional<double> Value(const std::string& series) { return Find(*samples_, series); }

  static std::vector<GeneratedDomain>* domains_;
  static std::string* dir_;
  static std::string* path_;
  static std::string* uri_;
  static CollectorUnderTest* collector_;
  static CollectorUnderTest::Result* first_;
  static std::map<std::string, double>* samples_;
};

std::vector<GeneratedDomain>* LibvirtTestDriverNodeTest::domains_ = nullptr;
std::string* LibvirtTestDriverNodeTest::dir_ = nullptr;
std::string* LibvirtTestDriverNodeTest::path_ = nullptr;
std::string* LibvirtTestDriverNodeTest::uri_ = nullptr;
CollectorUnderTest* LibvirtTestDriverNodeTest::collector_ = nullptr;
CollectorUnderTest::Result* LibvirtTestDriverNodeTest::first_ = nullptr;
std::map<std::string, double>* LibvirtTestDriverNodeTest::samples_ = nullptr;

// The generated file does what the expectations below assume: libvirt 9.0's
// test driver honours <test:runstate> (in the .../domain/test/1.0 namespace),
// vCPUs, memory and persistence.
TEST_F(LibvirtTestDriverNodeTest, TestDriverHonoursTheGeneratedDefinitions) {
  virConnectPtr conn = virConnectOpenReadOnly(uri_->c_str());
  ASSERT_NE(conn, nullptr);
  for (const GeneratedDomain& d : domains()) {
    virDomainPtr dom = virDomainLookupByName(conn, d.name.c_str());
    ASSERT_NE(dom, nullptr) << d.name;
    int state = -1, reason = -1;
    EXPECT_EQ(virDomainGetState(dom, &state, &reason, 0), 0);
    EXPECT_EQ(state, d.state) << d.name;
    EXPECT_EQ(virDomainIsActive(dom), d.active() ? 1 : 0) << d.name;
    EXPECT_EQ(virDomainIsPersistent(dom), 1) << d.name;
    virDomainInfo info{};
    ASSERT_EQ(virDomainGetInfo(dom, &info), 0);
    EXPECT_EQ(info.maxMem * kKiB, d.memory_bytes) << d.name;
    EXPECT_EQ(info.memory * kKiB, d.current_memory_bytes) << d.name;
    EXPECT_EQ(info.nrVirtCpu, d.vcpus_current) << d.name;
    virDomainFree(dom);
  }
  virNodeInfo node{};
  ASSERT_EQ(virNodeGetInfo(conn, &node), 0);
  EXPECT_EQ(node.cpus, static_cast<unsigned>(kGeneratedCpus));
  EXPECT_EQ(node.memory, kGeneratedMemoryKiB);
  virConnectClose(conn);
}

TEST_F(LibvirtTestDriverNodeTest, HypervisorAnswersAndNothingIsSkipped) {
  EXPECT_EQ(Value("strata_libvirt_up"), 1);
  EXPECT_EQ(Value("strata_libvirt_domains_skipped"), 0);
  EXPECT_EQ(Value("strata_hypervisor_cpus"), kGeneratedCpus);
  EXPECT_EQ(Value("strata_hypervisor_memory_bytes"), kGeneratedMemoryKiB * kKiB);
  // Well within the default 5 s timeout, with every domain read call by call.
  EXPECT_LT(first_->elapsed, absl::Seconds(5) * testing::kTimingFactor);
}

TEST_F(LibvirtTestDriverNodeTest, EveryDomainAppearsWithItsIdentityAndState) {
  EXPECT_EQ(CountSeries(samples(), "strata_domain_info{"), kGeneratedDomains);
  EXPECT_EQ(CountSeries(samples(), "strata_domain_state{"), kGeneratedDomains);
  for (const GeneratedDomain& d : domains()) {
    EXPECT_EQ(Value(absl::StrCat("strata_domain_info{domain=\"", d.name, "\",uuid=\"", d.uuid,
                                 "\",os_type=\"hvm\"}")),
              1)
        << d.name;
    // The test driver sets the run state with reason 0.
    EXPECT_EQ(Value(absl::StrCat("strata_domain_state{domain=\"", d.name, "\",state=\"",
                                 DomainStateName(d.state), "\",reason=\"unknown\"}")),
              1)
        << d.name;
  }
}

TEST_F(LibvirtTestDriverNodeTest, DomainCountsByStateMatch) {
  std::map<std::string, int> expected = {
      {"running", 0}, {"paused", 0}, {"shutoff", 0}, {"crashed", 0}};
  for (const GeneratedDomain& d : domains()) ++expected[DomainStateName(d.state)];
  EXPECT_EQ(expected.size(), 7u);  // blocked, shutdown and pmsuspended too
  int total = 0;
  for (const auto& [state, count] : expected) {
    EXPECT_EQ(Value(absl::StrCat("strata_hypervisor_domains{state=\"", state, "\"}")), count)
        << state;
    total += count;
  }
  EXPECT_EQ(total, kGeneratedDomains);
  EXPECT_EQ(CountSeries(samples(), "strata_hypervisor_domains{"), 7);
}

TEST_F(LibvirtTestDriverNodeTest, DefinedAllocationSumsEveryDomain) {
  double vcpus = 0, memory = 0;
  for (const GeneratedDomain& d : domains()) {
    vcpus += d.vcpus_current;
    memory += d.memory_bytes;
  }
  EXPECT_EQ(Value("strata_hypervisor_vcpus_allocated{scope=\"defined\"}"), vcpus);
  EXPECT_EQ(Value("strata_hypervisor_memory_allocated_bytes{scope=\"defined\"}"), memory);
}

// Crashed domains count as running: libvirt reports them active (virDomainIsActive 1, see
// TestDriverHonoursTheGeneratedDefinitions; on QEMU a domain only stays
// "crashed" with on_crash=preserve, its process kept). Their vCPUs and memory
// are still taken on the host and belong to scope="running".
TEST_F(LibvirtTestDriverNodeTest, RunningAllocationSumsEveryActiveDomain) {
  double vcpus = 0, memory = 0;
  for (const GeneratedDomain& d : domains()) {
    if (!d.active()) continue;
    vcpus += d.vcpus_current;
    memory += d.memory_bytes;
  }
  EXPECT_EQ(Value("strata_hypervisor_vcpus_allocated{scope=\"running\"}"), vcpus);
  EXPECT_EQ(Value("strata_hypervisor_memory_allocated_bytes{scope=\"running\"}"), memory);
  // Nor are their live figures read (the per-domain fallback skips them).
  int crashed = 0, crashed_with_live_series = 0;
  for (const GeneratedDomain& d : domains()) {
    if (d.state != VIR_DOMAIN_CRASHED) continue;
    ++crashed;
    crashed_with_live_series +=
        Value(Series("strata_domain_vcpus", d.name)) == d.vcpus_current &&
                Value(Series("strata_domain_memory_maximum_bytes", d.name)) == d.memory_bytes
            ? 1
            : 0;
  }
  EXPECT_EQ(crashed, kGeneratedDomains / 12);
  EXPECT_EQ(crashed_with_live_series, crashed);
}

TEST_F(LibvirtTestDriverNodeTest, OpenstackInfoExactlyForNovaDomains) {
  int nova = 0;
  for (const GeneratedDomain& d : domains()) {
    const std::string prefix =
        absl::StrCat("strata_domain_openstack_info{domain=\"", d.name, "\",");
    if (!d.nova) {
      EXPECT_EQ(CountSeries(samples(), prefix), 0) << d.name;
      continue;
    }
    ++nova;
    EXPECT_EQ(Value(absl::StrCat(prefix, "instance_name=\"", d.instance_name, "\",flavor=\"",
                                 d.flavor, "\",project_name=\"", d.project_name, "\",user_name=\"",
                                 d.user_name, "\",project_uuid=\"", d.project_uuid, "\"}")),
              1)
        << d.name << " (" << d.nova_namespace << ")";
  }
  EXPECT_GT(nova, 40);
  EXPECT_EQ(CountSeries(samples(), "strata_domain_openstack_info{"), nova);
}

// The test driver's bulk call has only "state": the collector fills CPU,
// memory, vCPUs, disks and interfaces of active domains from per-domain calls,
// and reads nothing live for the others.
TEST_F(LibvirtTestDriverNodeTest, PerDomainFallbackCoversActiveDomains) {
  int with_disks = 0, with_interfaces = 0;
  for (const GeneratedDomain& d : domains()) {
    SCOPED_TRACE(d.name + " in state " + DomainStateName(d.state));
    // Crashed domains are the subject of RunningAllocationSumsEveryActiveDomain.
    if (d.state == VIR_DOMAIN_CRASHED) continue;
    const std::string domain = absl::StrCat("{domain=\"", d.name, "\"");
    if (!d.active()) {
      for (const char* family : {"strata_domain_vcpus", "strata_domain_cpu_time_seconds_total",
                                 "strata_domain_memory_maximum_bytes", "strata_domain_block_info",
                                 "strata_domain_block_read_bytes_total",
                                 "strata_domain_interface_receive_bytes_total"}) {
        EXPECT_EQ(CountSeries(samples(), absl::StrCat(family, domain)), 0) << family;
      }
      continue;
    }
    EXPECT_EQ(Value(Series("strata_domain_vcpus", d.name)), d.vcpus_current);
    EXPECT_EQ(Value(Series("strata_domain_vcpus_maximum", d.name)), d.vcpus_maximum);
    EXPECT_GT(
        Value(absl::StrCat("strata_domain_cpu_time_seconds_total", domain, ",mode=\"total\"}"))
            .value_or(0),
        0);
    EXPECT_EQ(Value(Series("strata_domain_memory_maximum_bytes", d.name)), d.memory_bytes);
    EXPECT_EQ(Value(Series("strata_domain_memory_balloon_bytes", d.name)), d.current_memory_bytes);

    EXPECT_EQ(CountSeries(samples(), absl::StrCat("strata_domain_block_info", domain, ",")),
              static_cast<int>(d.disks.size()));
    for (const GeneratedDisk& disk : d.disks) {
      EXPECT_EQ(Value(absl::StrCat("strata_domain_block_info", domain, ",device=\"", disk.target,
                                   "\",source=\"", disk.source, "\"}")),
                1)
          << disk.target;
      EXPECT_GT(Value(DeviceSeries("strata_domain_block_read_requests_total", d.name, disk.target))
                    .value_or(0),
                0)
          << disk.target;
      EXPECT_GT(Value(DeviceSeries("strata_domain_block_write_bytes_total", d.name, disk.target))
                    .value_or(0),
                0)
          << disk.target;
    }
    with_disks += d.disks.empty() ? 0 : 1;

    EXPECT_EQ(CountSeries(samples(),
                          absl::StrCat("strata_domain_interface_receive_bytes_total", domain, ",")),
              static_cast<int>(d.interfaces.size()));
    for (const std::string& tap : d.interfaces) {
      EXPECT_GT(Value(DeviceSeries("strata_domain_interface_receive_bytes_total", d.name, tap))
                    .value_or(0),
                0)
          << tap;
      EXPECT_GT(Value(DeviceSeries("strata_domain_interface_transmit_packets_total", d.name, tap))
                    .value_or(0),
                0)
          << tap;
    }
    with_interfaces += d.interfaces.empty() ? 0 : 1;
  }
  EXPECT_GT(with_disks, 100);
  EXPECT_GT(with_interfaces, 100);
}

TEST_F(LibvirtTestDriverNodeTest, ExpositionPassesPromtool) { ExpectPromtoolClean(first_->text); }

TEST_F(LibvirtTestDriverNodeTest, ASecondScrapeFromCachedDefinitionsAgrees) {
  CollectorUnderTest::Result second = collector_->Collect();
  ASSERT_TRUE(second.status.ok()) << second.status;
  const std::map<std::string, double> again = Samples(second.text);
  EXPECT_EQ(CountSeries(again, "strata_domain_info{"), kGeneratedDomains);
  EXPECT_EQ(CountSeries(again, "strata_domain_openstack_info{"),
            CountSeries(samples(), "strata_domain_openstack_info{"));
  EXPECT_EQ(CountSeries(again, "strata_domain_block_info{"),
            CountSeries(samples(), "strata_domain_block_info{"));
  for (const char* series : {"strata_hypervisor_vcpus_allocated{scope=\"running\"}",
                             "strata_hypervisor_vcpus_allocated{scope=\"defined\"}",
                             "strata_hypervisor_memory_allocated_bytes{scope=\"running\"}",
                             "strata_hypervisor_memory_allocated_bytes{scope=\"defined\"}",
                             "strata_libvirt_domains_skipped"}) {
    EXPECT_EQ(Find(again, series), Value(series)) << series;
  }
}

// ---------------------------------------------------------------------------
// Hypervisors that cannot be reached.

TEST(LibvirtUnreachableTest, UnopenableUriFailsAndReportsDown) {
  EnsureLibvirtEventLoop();
  for (const char* uri :
       {"test:///nonexistent/file.xml", "qemu+unix:///system?socket=/nonexistent/sock"}) {
    SCOPED_TRACE(uri);
    LibvirtCollectorOptions options = Options(uri);
    options.timeout = absl::Seconds(3);
    CollectorUnderTest collector(options);
    // Each scrape tries to connect again, and fails the same way.
    for (int scrape = 0; scrape < 2; ++scrape) {
      CollectorUnderTest::Result result = collector.Collect();
      EXPECT_FALSE(result.status.ok());
      EXPECT_TRUE(absl::IsUnavailable(result.status)) << result.status;
      EXPECT_THAT(result.status.message(), HasSubstr(uri));
      EXPECT_LT(result.elapsed, options.timeout);
      EXPECT_EQ(SampleValue(result.text, "strata_libvirt_up"), 0);
      EXPECT_THAT(result.text, Not(HasSubstr("strata_domain_")));
      EXPECT_THAT(result.text, Not(HasSubstr("strata_hypervisor_")));
    }
  }
  // Another instance on a working URI is unaffected.
  CollectorUnderTest working(Options("test:///default"));
  CollectorUnderTest::Result result = working.Collect();
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(SampleValue(result.text, "strata_libvirt_up"), 1);
  EXPECT_EQ(SampleValue(result.text, "strata_hypervisor_domains{state=\"running\"}"), 1);
}

TEST(LibvirtUnreachableTest, EmptyUriIsAStartUpError) {
  std::unique_ptr<HostFs> fs = NewRealHostFs({});
  std::ostringstream log;
  Logger logger(LogLevel::kDebug, log);
  auto collector = NewLibvirtCollector({*fs, logger}, Options(""));
  EXPECT_TRUE(absl::IsInvalidArgument(collector.status())) << collector.status();
}

// A unix socket that accepts connections and never reads or answers: a hung
// libvirtd as its clients see it.
class SilentUnixServer {
 public:
  SilentUnixServer() {
    char dir[] = "/tmp/strata-lv-XXXXXX";
    if (mkdtemp(dir) == nullptr) return;
    dir_ = dir;
    path_ = dir_ + "/libvirt-sock";
    listener_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    snprintf(address.sun_path, sizeof(address.sun_path), "%s", path_.c_str());
    if (listener_ < 0 ||
        bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        listen(listener_, 16) != 0) {
      return;
    }
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{listener_, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        const int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        std::lock_guard<std::mutex> lock(mu_);
        accepted_.push_back(fd);
      }
    });
    ok_ = true;
  }
  ~SilentUnixServer() { Close(); }

  bool ok() const { return ok_; }
  const std::string& path() const { return path_; }
  int accepted() {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(accepted_.size());
  }

  // Stops listening and closes every accepted connection: the client sees
  // the daemon go away.
  void Close() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (listener_ >= 0) close(listener_);
    listener_ = -1;
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : accepted_) close(fd);
    accepted_.clear();
    if (!path_.empty()) unlink(path_.c_str());
    if (!dir_.empty()) rmdir(dir_.c_str());
    path_.clear();
    dir_.clear();
  }

 private:
  std::string dir_, path_;
  int listener_ = -1;
  bool ok_ = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<int> accepted_;
};

TEST(LibvirtTimeoutTest, HungDaemonFailsInTimeAndIsNotCalledAgainUntilItAnswers) {
  EnsureLibvirtEventLoop();
  SilentUnixServer server;
  ASSERT_TRUE(server.ok());
  const std::string uri = absl::StrCat("qemu+unix:///system?socket=", server.path());
  LibvirtCollectorOptions options = Options(uri);
  options.timeout = absl::Seconds(1);
  CollectorUnderTest collector(options);

  CollectorUnderTest::Result first = collector.Collect();
  EXPECT_TRUE(absl::IsDeadlineExceeded(first.status)) << first.status;
  EXPECT_THAT(first.status.message(), HasSubstr("did not answer within 1s"));
  EXPECT_GE(first.elapsed, absl::Milliseconds(950));
  EXPECT_LT(first.elapsed, absl::Milliseconds(2500));
  EXPECT_EQ(SampleValue(first.text, "strata_libvirt_up"), 0);
  EXPECT_THAT(first.text, Not(HasSubstr("strata_hypervisor_")));
  EXPECT_EQ(server.accepted(), 1);

  // The call of the first scrape still hangs: the second scrape fails at once
  // and does not connect again.
  CollectorUnderTest::Result second = collector.Collect();
  EXPECT_TRUE(absl::IsDeadlineExceeded(second.status)) << second.status;
  EXPECT_THAT(second.status.message(), HasSubstr("has still not answered"));
  EXPECT_LT(second.elapsed, absl::Milliseconds(200));
  EXPECT_EQ(SampleValue(second.text, "strata_libvirt_up"), 0);
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(server.accepted(), 1);

  // Other libvirt connections of the process are not held up by the hung one.
  CollectorUnderTest working(Options("test:///default"));
  CollectorUnderTest::Result other = working.Collect();
  EXPECT_TRUE(other.status.ok()) << other.status;
  EXPECT_EQ(SampleValue(other.text, "strata_libvirt_up"), 1);

  // The daemon goes away: the abandoned call fails and its thread ends, and
  // the next scrape makes a new attempt, which fails at once.
  server.Close();
  CollectorUnderTest::Result later;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  do {
    absl::SleepFor(absl::Milliseconds(50));
    later = collector.Collect();
    EXPECT_EQ(SampleValue(later.text, "strata_libvirt_up"), 0);
  } while (absl::StrContains(later.status.message(), "has still not answered") &&
           absl::Now() < deadline);
  EXPECT_TRUE(absl::IsUnavailable(later.status)) << later.status;
  EXPECT_LT(later.elapsed, options.timeout);
}

}  // namespace
}  // namespace strata
