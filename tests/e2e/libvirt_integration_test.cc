// The libvirt collector against a real libvirtd with QEMU domains. A
// LibvirtdSandbox runs three minimal domains and defines a fourth that stays
// shut off; the built exporter reads them through the read-only socket, and
// every value of one scrape is checked against `virsh domstats --raw` read
// right before and right after it: a value must lie between the two readings
// (counters grow in between; gauges are one of them), after the collector's
// unit conversions. Host series are checked against `virsh nodeinfo` and the
// domain XMLs. Needs root and the libvirt and QEMU packages (CI installs
// them); without them the tests fail.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
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

using ::testing::IsEmpty;
using Access = LibvirtdSandbox::Access;
using Fields = std::map<std::string, std::string>;

constexpr double kNanosecond = 1e-9;
constexpr double kKiB = 1024;

void PrintTiming(const std::string& what, absl::Duration took) {
  std::cout << "[   TIME   ] " << what << ": "
            << absl::FormatDuration(absl::Trunc(took, absl::Milliseconds(1))) << std::endl;
}

std::string MetricsUrl(int port) { return absl::StrCat("http://127.0.0.1:", port, "/metrics"); }

// `name{k1="v1",k2="v2"}`, as the exporter writes a series (labels in the
// order of the metric's spec).
std::string Series(const std::string& name,
                   const std::vector<std::pair<std::string, std::string>>& labels) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : labels) parts.push_back(absl::StrCat(key, "=\"", value, "\""));
  return absl::StrCat(name, "{", absl::StrJoin(parts, ","), "}");
}

std::optional<double> Number(const Fields& fields, const std::string& key) {
  auto it = fields.find(key);
  double value = 0;
  if (it == fields.end() || !absl::SimpleAtod(it->second, &value)) return std::nullopt;
  return value;
}

std::string Text(const Fields& fields, const std::string& key) {
  auto it = fields.find(key);
  return it == fields.end() ? "" : it->second;
}

// A series the scrape must carry and the range its value must lie in.
struct Expectation {
  double low = 0;
  double high = 0;
  std::string source;  // what it was computed from, for failure messages
};
using Expectations = std::map<std::string, Expectation>;  // by exact series text

bool Within(double value, const Expectation& e) {
  // The exporter prints the converted double in full; allow for rounding.
  const double slack = 1e-9 * std::max({1.0, std::fabs(e.low), std::fabs(e.high)});
  return value >= e.low - slack && value <= e.high + slack;
}

void Expect(Expectations& out, const std::string& series, double value, const std::string& source) {
  out[series] = Expectation{value, value, source};
}

// What the collector does with a domstats field: the series it becomes and
// the factor to base units, or nothing when it is known to be left out.
struct Mapping {
  std::string series;
  double scale = 1;
};
enum class FieldUse { kMapped, kLeftOut, kUnknown };

FieldUse MapField(const std::string& domain, const std::string& key, const Fields& fields,
                  Mapping& mapping) {
  static const std::map<std::string, std::pair<std::string, double>> kPlain = {
      {"vcpu.current", {"strata_domain_vcpus", 1}},
      {"vcpu.maximum", {"strata_domain_vcpus_maximum", 1}},
      {"balloon.maximum", {"strata_domain_memory_maximum_bytes", kKiB}},
      {"balloon.current", {"strata_domain_memory_balloon_bytes", kKiB}},
      {"balloon.available", {"strata_domain_memory_available_bytes", kKiB}},
      {"balloon.usable", {"strata_domain_memory_usable_bytes", kKiB}},
      {"balloon.unused", {"strata_domain_memory_unused_bytes", kKiB}},
      {"balloon.rss", {"strata_domain_memory_rss_bytes", kKiB}},
      {"balloon.swap_in", {"strata_domain_memory_swap_in_bytes_total", kKiB}},
      {"balloon.swap_out", {"strata_domain_memory_swap_out_bytes_total", kKiB}},
      {"balloon.major_fault", {"strata_domain_memory_major_faults_total", 1}},
      {"balloon.minor_fault", {"strata_domain_memory_minor_faults_total", 1}},
  };
  static const std::map<std::string, std::string> kCpuModes = {
      {"cpu.time", "total"}, {"cpu.user", "user"}, {"cpu.system", "system"}};
  static const std::map<std::string, std::pair<std::string, double>> kVcpu = {
      {"time", {"strata_domain_vcpu_time_seconds_total", kNanosecond}},
      {"wait", {"strata_domain_vcpu_wait_seconds_total", kNanosecond}},
      {"delay", {"strata_domain_vcpu_delay_seconds_total", kNanosecond}},
  };
  static const std::map<std::string, std::pair<std::string, double>> kBlock = {
      {"rd.reqs", {"strata_domain_block_read_requests_total", 1}},
      {"rd.bytes", {"strata_domain_block_read_bytes_total", 1}},
      {"rd.times", {"strata_domain_block_read_time_seconds_total", kNanosecond}},
      {"wr.reqs", {"strata_domain_block_write_requests_total", 1}},
      {"wr.bytes", {"strata_domain_block_write_bytes_total", 1}},
      {"wr.times", {"strata_domain_block_write_time_seconds_total", kNanosecond}},
      {"fl.reqs", {"strata_domain_block_flush_requests_total", 1}},
      {"fl.times", {"strata_domain_block_flush_time_seconds_total", kNanosecond}},
      {"capacity", {"strata_domain_block_capacity_bytes", 1}},
      {"allocation", {"strata_domain_block_allocation_bytes", 1}},
      {"physical", {"strata_domain_block_physical_bytes", 1}},
  };
  static const std::map<std::string, std::string> kNet = {
      {"rx.bytes", "strata_domain_interface_receive_bytes_total"},
      {"tx.bytes", "strata_domain_interface_transmit_bytes_total"},
      {"rx.pkts", "strata_domain_interface_receive_packets_total"},
      {"tx.pkts", "strata_domain_interface_transmit_packets_total"},
      {"rx.errs", "strata_domain_interface_receive_errors_total"},
      {"tx.errs", "strata_domain_interface_transmit_errors_total"},
      {"rx.drop", "strata_domain_interface_receive_drops_total"},
      {"tx.drop", "strata_domain_interface_transmit_drops_total"},
  };
  // Fields the collector leaves out, and the groups it does not ask for.
  static const std::regex kLeftOut(absl::StrJoin(
      {
          R"(state\.(state|reason))",  // checked through virsh domstate instead
          R"(cpu\.(cache|haltpoll)\..*)",
          R"(balloon\.(last-update|disk_caches|hugetlb_pgalloc|hugetlb_pgfail))",
          R"(vcpu\.\d+\.(state|halted))",
          R"(vcpu\.\d+\..*\.(sum|cur|max))",  // KVM's own statistics
          R"((net|block)\.count)",
          R"(net\.\d+\.name)",  // labels
          R"(block\.\d+\.(name|path|backingIndex|threshold))",
          R"((dirtyrate|vm|perf|iothread|memory)\..*)",
      },
      "|"));
  static const std::regex kVcpuField(R"(vcpu\.(\d+)\.(time|wait|delay))");
  static const std::regex kBlockField(R"(block\.(\d+)\.(.+))");
  static const std::regex kNetField(R"(net\.(\d+)\.(.+))");

  std::smatch match;
  if (auto it = kPlain.find(key); it != kPlain.end()) {
    mapping = {Series(it->second.first, {{"domain", domain}}), it->second.second};
    return FieldUse::kMapped;
  }
  if (auto it = kCpuModes.find(key); it != kCpuModes.end()) {
    mapping = {
        Series("strata_domain_cpu_time_seconds_total", {{"domain", domain}, {"mode", it->second}}),
        kNanosecond};
    return FieldUse::kMapped;
  }
  if (std::regex_match(key, match, kVcpuField)) {
    const auto& [name, scale] = kVcpu.at(match[2]);
    mapping = {Series(name, {{"domain", domain}, {"vcpu", match[1]}}), scale};
    return FieldUse::kMapped;
  }
  if (std::regex_match(key, match, kBlockField)) {
    auto it = kBlock.find(match[2]);
    if (it != kBlock.end()) {
      const std::string device = Text(fields, absl::StrCat("block.", match[1].str(), ".name"));
      mapping = {Series(it->second.first, {{"domain", domain}, {"device", device}}),
                 it->second.second};
      return FieldUse::kMapped;
    }
  }
  if (std::regex_match(key, match, kNetField)) {
    auto it = kNet.find(match[2]);
    if (it != kNet.end()) {
      const std::string device = Text(fields, absl::StrCat("net.", match[1].str(), ".name"));
      mapping = {Series(it->second, {{"domain", domain}, {"device", device}}), 1};
      return FieldUse::kMapped;
    }
  }
  if (std::regex_match(key, kLeftOut)) return FieldUse::kLeftOut;
  return FieldUse::kUnknown;
}

// virsh's state words as the collector names libvirt's states.
std::string StateName(const std::string& virsh_state) {
  if (virsh_state == "shut off") return "shutoff";
  if (virsh_state == "idle") return "blocked";
  if (virsh_state == "in shutdown") return "shutdown";
  return virsh_state;
}

// The domain's <vcpu> (its current='' when given) and <memory> in bytes,
// from `virsh dumpxml --inactive`.
struct DefinedSize {
  double vcpus = 0;
  double memory_bytes = 0;
  std::string os_type;
};
std::optional<DefinedSize> ParseDefinition(const std::string& xml) {
  static const std::regex kVcpu(R"(<vcpu([^>]*)>(\d+)</vcpu>)");
  static const std::regex kCurrent(R"(current=['"](\d+)['"])");
  static const std::regex kMemory(R"(<memory unit=['"]KiB['"]>(\d+)</memory>)");
  static const std::regex kOsType(R"(<os>\s*<type[^>]*>([^<]+)</type>)");
  std::smatch vcpu, memory, os_type, current;
  if (!std::regex_search(xml, vcpu, kVcpu) || !std::regex_search(xml, memory, kMemory) ||
      !std::regex_search(xml, os_type, kOsType)) {
    return std::nullopt;
  }
  DefinedSize size;
  const std::string attributes = vcpu[1];
  size.vcpus = std::stod(std::regex_search(attributes, current, kCurrent) ? current[1].str()
                                                                          : vcpu[2].str());
  size.memory_bytes = std::stod(memory[1]) * kKiB;
  size.os_type = os_type[1];
  return size;
}

// `virsh nodeinfo`: logical CPUs and memory.
struct NodeInfo {
  double cpus = 0;
  double memory_bytes = 0;
};
std::optional<NodeInfo> ParseNodeInfo(const std::string& text) {
  static const std::regex kCpus(R"(CPU\(s\):\s+(\d+))");
  static const std::regex kMemory(R"(Memory size:\s+(\d+) KiB)");
  std::smatch cpus, memory;
  if (!std::regex_search(text, cpus, kCpus) || !std::regex_search(text, memory, kMemory)) {
    return std::nullopt;
  }
  return NodeInfo{std::stod(cpus[1]), std::stod(memory[1]) * kKiB};
}

// The sample lines of `exposition` whose labels name `domain`.
std::vector<std::string> DomainLines(const std::string& exposition, const std::string& domain) {
  std::vector<std::string> lines;
  const std::string label = absl::StrCat("domain=\"", domain, "\"");
  for (absl::string_view line : absl::StrSplit(exposition, '\n', absl::SkipEmpty())) {
    if (!absl::StartsWith(line, "#") && absl::StrContains(line, label)) lines.emplace_back(line);
  }
  return lines;
}

class LibvirtIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const absl::Time start = absl::Now();
    const std::string error = sandbox_.Start();
    ASSERT_EQ(error, "");
    PrintTiming("libvirtd and virtlogd started", absl::Now() - start);
    std::cout << "[   INFO   ] domain type " << sandbox_.domain_type() << std::endl;
  }

  void TearDown() override {
    const absl::Time start = absl::Now();
    EXPECT_THAT(sandbox_.Cleanup(), IsEmpty()) << "left behind";
    PrintTiming("sandbox cleaned up", absl::Now() - start);
  }

  void DefineAndStart(const DomainSpec& spec) {
    LibvirtResult result = sandbox_.DefineAndStartDomain(spec);
    ASSERT_TRUE(result.ok()) << result.error << "\n" << sandbox_.LibvirtdLog();
  }

  VirshDomainStats Domstats() {
    LibvirtResult stats = sandbox_.Virsh({"domstats", "--raw"}, Access::kReadOnly);
    EXPECT_TRUE(stats.ok()) << stats.error;
    return ParseVirshDomstats(stats.value);
  }

  std::string Virsh(const std::vector<std::string>& args) {
    LibvirtResult result = sandbox_.Virsh(args, Access::kReadOnly);
    EXPECT_TRUE(result.ok()) << result.error;
    return std::string(absl::StripAsciiWhitespace(result.value));
  }

  std::vector<std::string> ExporterFlags() const {
    return {"--web.listen-address=127.0.0.1:0", "--collector.disable-defaults",
            "--collector.libvirt", "--collector.libvirt.uri=" + sandbox_.read_only_uri(),
            "--collector.libvirt.vcpu-metrics"};
  }

  LibvirtdSandbox sandbox_;
};

TEST_F(LibvirtIntegrationTest, EveryValueMatchesVirshDomstats) {
  // Three running domains that differ where a mix-up would show: one vCPU of
  // two online, two of two; and one shut off, defined larger than the rest.
  const absl::Time start = absl::Now();
  DomainSpec small{sandbox_.Name("small")};
  DomainSpec one_of_two{sandbox_.Name("one-of-two")};
  one_of_two.vcpus = 2;
  one_of_two.current_vcpus = 1;
  DomainSpec two{sandbox_.Name("two")};
  two.vcpus = 2;
  DomainSpec off{sandbox_.Name("off")};
  off.memory_mib = 128;
  off.vcpus = 4;
  off.current_vcpus = 2;
  for (const DomainSpec* spec : {&small, &one_of_two, &two}) {
    ASSERT_NO_FATAL_FAILURE(DefineAndStart(*spec));
  }
  LibvirtResult defined = sandbox_.DefineDomain(off);
  ASSERT_TRUE(defined.ok()) << defined.error;
  PrintTiming("3 domains started, 1 defined", absl::Now() - start);
  const std::set<std::string> running = {small.name, one_of_two.name, two.name};
  const std::vector<std::string> all = {small.name, one_of_two.name, two.name, off.name};

  ExporterProcess exporter;
  // Every group every scrape, so that every value lies between the two
  // readings (the intervals are tested below, in SlowGroupsAre...).
  std::vector<std::string> flags = ExporterFlags();
  flags.push_back("--collector.libvirt.block-interval=0s");
  flags.push_back("--collector.libvirt.balloon-interval=0s");
  ASSERT_TRUE(exporter.Start(flags)) << exporter.stderr_text();
  // A first scrape connects and reads the definitions; the one checked below
  // then takes as little time as it can between the two readings.
  HttpResult warm_up = HttpGet(MetricsUrl(exporter.port()));
  ASSERT_TRUE(warm_up.ok) << warm_up.error;

  const std::string nodeinfo_before = Virsh({"nodeinfo"});
  const std::string memstats_before = Virsh({"nodememstats"});
  const VirshDomainStats before = Domstats();
  const absl::Time scrape_start = absl::Now();
  HttpResult scrape = HttpGet(MetricsUrl(exporter.port()));
  PrintTiming("scrape", absl::Now() - scrape_start);
  const VirshDomainStats after = Domstats();
  const std::string nodeinfo_after = Virsh({"nodeinfo"});
  const std::string memstats_after = Virsh({"nodememstats"});
  ASSERT_TRUE(scrape.ok) << scrape.error;
  ASSERT_EQ(scrape.status, 200) << scrape.body;
  const std::string& body = scrape.body;

  EXPECT_EQ(SampleValue(body, "strata_scrape_collector_success{collector=\"libvirt\"}"), 1)
      << exporter.stderr_text();
  EXPECT_EQ(SampleValue(body, "strata_libvirt_up"), 1);
  EXPECT_EQ(SampleValue(body, "strata_libvirt_domains_skipped"), 0);
  CommandResult lint = RunCommand({STRATA_PROMTOOL, "check", "metrics"}, body);
  EXPECT_EQ(lint.exit_code, 0) << "promtool check metrics found problems:\n" << lint.output;

  Expectations expected;
  std::map<std::string, double> domains_by_state = {
      {"running", 0}, {"paused", 0}, {"shutoff", 0}, {"crashed", 0}};
  double vcpus_running = 0, vcpus_defined = 0, memory_running = 0, memory_defined = 0;
  for (const std::string& domain : all) {
    SCOPED_TRACE(domain);
    ASSERT_EQ(before.count(domain), 1) << "virsh domstats left out " << domain;
    ASSERT_EQ(after.count(domain), 1) << "virsh domstats left out " << domain;
    const Fields& b = before.at(domain);
    const Fields& a = after.at(domain);
    const bool active = running.count(domain) > 0;
    EXPECT_EQ(Text(b, "state.state"), active ? "1" : "5");
    EXPECT_EQ(Text(a, "state.state"), Text(b, "state.state"));

    // Identity and state, from virsh's own calls.
    const std::optional<DefinedSize> definition =
        ParseDefinition(Virsh({"dumpxml", "--inactive", domain}));
    ASSERT_TRUE(definition.has_value()) << "cannot read the XML of " << domain;
    Expect(expected,
           Series("strata_domain_info", {{"domain", domain},
                                         {"uuid", Virsh({"domuuid", domain})},
                                         {"os_type", definition->os_type}}),
           1, "virsh domuuid, dumpxml");
    // "running (booted)", "shut off (unknown)".
    static const std::regex kStateReason(R"((.+) \((.+)\))");
    const std::string state_reason = Virsh({"domstate", "--reason", domain});
    std::smatch match;
    ASSERT_TRUE(std::regex_match(state_reason, match, kStateReason)) << state_reason;
    const std::string state = StateName(match[1]);
    Expect(expected,
           Series("strata_domain_state",
                  {{"domain", domain},
                   {"state", state},
                   {"reason", absl::StrReplaceAll(match[2].str(), {{" ", "_"}})}}),
           1, "virsh domstate --reason");
    domains_by_state[state] += 1;

    // Every field of both readings.
    std::set<std::string> keys;
    for (const Fields* fields : {&b, &a}) {
      for (const auto& [key, value] : *fields) keys.insert(key);
    }
    double delay_before = 0, delay_after = 0;
    bool has_delay = false;
    for (const std::string& key : keys) {
      // For a domain that is not running, libvirt 9.0's cpu.* are libvirtd's
      // own CPU times (it reads /proc/self/stat for a domain without a PID);
      // InactiveDomainHasNoCpuTime covers them.
      if (!active && absl::StartsWith(key, "cpu.")) continue;
      Mapping mapping;
      const FieldUse use = MapField(domain, key, a.count(key) ? a : b, mapping);
      if (use == FieldUse::kUnknown) {
        ADD_FAILURE() << "domstats field " << key << " is neither checked nor known to be left out";
        continue;
      }
      if (use == FieldUse::kLeftOut) continue;
      const std::optional<double> first = Number(b, key);
      const std::optional<double> second = Number(a, key);
      if (!first.has_value() && !second.has_value()) {
        ADD_FAILURE() << "domstats field " << key << " is not a number";
        continue;
      }
      const double x = first.value_or(*second) * mapping.scale;
      const double y = second.value_or(*first) * mapping.scale;
      expected[mapping.series] =
          Expectation{std::min(x, y), std::max(x, y), absl::StrCat("domstats ", key)};
      static const std::regex kDelay(R"(vcpu\.\d+\.delay)");
      if (std::regex_match(key, kDelay)) {
        has_delay = true;
        delay_before += first.value_or(*second);
        delay_after += second.value_or(*first);
      }
    }
    if (has_delay) {
      expected[Series("strata_domain_cpu_delay_seconds_total", {{"domain", domain}})] = Expectation{
          std::min(delay_before, delay_after) * kNanosecond,
          std::max(delay_before, delay_after) * kNanosecond, "the sum of domstats vcpu.<n>.delay"};
    }
    for (int i = 0; i < Number(a, "block.count").value_or(0); ++i) {
      const std::string base = absl::StrCat("block.", i, ".");
      Expect(expected,
             Series("strata_domain_block_info", {{"domain", domain},
                                                 {"device", Text(a, base + "name")},
                                                 {"source", Text(a, base + "path")}}),
             1, "domstats " + base + "name, " + base + "path");
    }

    // Allocation: live figures for running domains, the definition otherwise.
    const double domain_vcpus = active ? Number(a, "vcpu.current").value_or(-1) : definition->vcpus;
    const double domain_memory =
        active ? Number(a, "balloon.maximum").value_or(-1) * kKiB : definition->memory_bytes;
    vcpus_defined += domain_vcpus;
    memory_defined += domain_memory;
    if (active) {
      vcpus_running += domain_vcpus;
      memory_running += domain_memory;
    }
  }

  // The host. libvirt's node memory is its NUMA cells' total, which can
  // change while the test runs (a VM whose memory is hot-plugged).
  std::vector<NodeInfo> nodes;
  for (const std::string* text : {&nodeinfo_before, &nodeinfo_after}) {
    std::optional<NodeInfo> node = ParseNodeInfo(*text);
    ASSERT_TRUE(node.has_value()) << "cannot read virsh nodeinfo:\n" << *text;
    nodes.push_back(*node);
  }
  expected["strata_hypervisor_cpus"] =
      Expectation{std::min(nodes[0].cpus, nodes[1].cpus), std::max(nodes[0].cpus, nodes[1].cpus),
                  "virsh nodeinfo"};
  // The host-wide total of `virsh nodememstats` (nodeinfo's can be one NUMA cell's).
  std::vector<double> totals;
  for (const std::string* text : {&memstats_before, &memstats_after}) {
    static const std::regex kTotal(R"(total\s*:\s*(\d+) KiB)");
    std::smatch total;
    ASSERT_TRUE(std::regex_search(*text, total, kTotal)) << "cannot read virsh nodememstats:\n"
                                                         << *text;
    totals.push_back(std::stod(total[1]) * kKiB);
  }
  expected["strata_hypervisor_memory_bytes"] = Expectation{
      std::min(totals[0], totals[1]), std::max(totals[0], totals[1]), "virsh nodememstats"};
  for (const auto& [state, count] : domains_by_state) {
    Expect(expected, Series("strata_hypervisor_domains", {{"state", state}}), count,
           "virsh domstate of each domain");
  }
  Expect(expected, Series("strata_hypervisor_vcpus_allocated", {{"scope", "running"}}),
         vcpus_running, "domstats vcpu.current of the running domains");
  Expect(expected, Series("strata_hypervisor_vcpus_allocated", {{"scope", "defined"}}),
         vcpus_defined, "and <vcpu current=...> of the others");
  Expect(expected, Series("strata_hypervisor_memory_allocated_bytes", {{"scope", "running"}}),
         memory_running, "domstats balloon.maximum of the running domains");
  Expect(expected, Series("strata_hypervisor_memory_allocated_bytes", {{"scope", "defined"}}),
         memory_defined, "and <memory> of the others");

  for (const auto& [series, expectation] : expected) {
    const std::optional<double> value = SampleValue(body, series);
    if (!value.has_value()) {
      ADD_FAILURE() << "the scrape lacks " << series << " (expected from " << expectation.source
                    << ")";
      continue;
    }
    EXPECT_TRUE(Within(*value, expectation))
        << series << " is " << *value << "; " << expectation.source << " gave " << expectation.low
        << " and " << expectation.high;
  }
  // And nothing else about these domains (apart from the inactive one's CPU,
  // see above).
  for (const std::string& domain : all) {
    for (const std::string& line : DomainLines(body, domain)) {
      const std::string series = line.substr(0, line.rfind(' '));
      if (running.count(domain) == 0 &&
          absl::StartsWith(series, "strata_domain_cpu_time_seconds_total{")) {
        continue;
      }
      EXPECT_EQ(expected.count(series), 1)
          << "the scrape has a series virsh does not explain: " << line;
    }
  }
  std::cout << "[   INFO   ] " << expected.size() << " series checked" << std::endl;
}

// libvirt 9.0 answers cpu.time, cpu.user and cpu.system for a domain that is
// not running with libvirtd's own CPU times (qemuDomainGetStatsCpuProc reads
// /proc/self/stat when the domain has no PID); they grow as libvirtd works.
// Reported as the domain's, they would be wrong.
TEST_F(LibvirtIntegrationTest, InactiveDomainHasNoCpuTime) {
  DomainSpec off{sandbox_.Name("off")};
  LibvirtResult defined = sandbox_.DefineDomain(off);
  ASSERT_TRUE(defined.ok()) << defined.error;
  const VirshDomainStats stats = Domstats();
  ASSERT_EQ(stats.count(off.name), 1);
  std::cout << "[   INFO   ] libvirt's cpu.time for the shut-off domain: "
            << Text(stats.at(off.name), "cpu.time") << " ns" << std::endl;

  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(ExporterFlags())) << exporter.stderr_text();
  HttpResult scrape = HttpGet(MetricsUrl(exporter.port()));
  ASSERT_TRUE(scrape.ok) << scrape.error;
  EXPECT_EQ(SampleValue(scrape.body, "strata_scrape_collector_success{collector=\"libvirt\"}"), 1);
  EXPECT_TRUE(SampleValue(scrape.body, Series("strata_domain_state", {{"domain", off.name},
                                                                      {"state", "shutoff"},
                                                                      {"reason", "unknown"}}))
                  .has_value())
      << scrape.body;
  for (const char* mode : {"total", "user", "system"}) {
    const std::string series =
        Series("strata_domain_cpu_time_seconds_total", {{"domain", off.name}, {"mode", mode}});
    EXPECT_FALSE(SampleValue(scrape.body, series).has_value())
        << series << " is exported for a domain that is not running: it is libvirtd's own CPU time";
  }
}

// The slow groups (block, balloon) are read again once their interval has
// passed, and not before; a domain that appears between two scrapes is read
// whole at once, and one that vanishes is gone from the next scrape.
TEST_F(LibvirtIntegrationTest, SlowGroupsAreReadAgainOnceTheirIntervalHasPassed) {
  constexpr double kMiB = 1024 * 1024;
  const absl::Duration interval = absl::Seconds(4);
  DomainSpec vm{sandbox_.Name("resized")};
  vm.disk_mib = 32;
  DefineAndStart(vm);
  std::vector<std::string> flags = ExporterFlags();
  flags.push_back("--collector.libvirt.block-interval=4s");
  flags.push_back("--collector.libvirt.balloon-interval=4s");
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(flags)) << exporter.stderr_text();
  const std::string capacity =
      Series("strata_domain_block_capacity_bytes", {{"domain", vm.name}, {"device", "vda"}});
  const std::string rss = Series("strata_domain_memory_rss_bytes", {{"domain", vm.name}});

  const absl::Time first_at = absl::Now();
  HttpResult first = HttpGet(MetricsUrl(exporter.port()));
  // The collector read the groups between these two instants.
  const absl::Time first_done = absl::Now();
  ASSERT_TRUE(first.ok) << first.error;
  EXPECT_EQ(SampleValue(first.body, capacity), 32 * kMiB) << first.body;
  EXPECT_TRUE(SampleValue(first.body, rss).has_value()) << first.body;

  ASSERT_THAT(Virsh({"--quiet", "domblkinfo", vm.name, "vda"}), ::testing::HasSubstr("33554432"));
  LibvirtResult resize = sandbox_.Virsh({"blockresize", vm.name, "vda", "48M"});
  ASSERT_TRUE(resize.ok()) << resize.error;
  const VirshDomainStats resized = Domstats();
  ASSERT_EQ(Text(resized.at(vm.name), "block.0.capacity"), "50331648");

  HttpResult second = HttpGet(MetricsUrl(exporter.port()));
  ASSERT_TRUE(second.ok) << second.error;
  if (absl::Now() - first_at < interval) {
    // Not due yet: the capacity read by the first scrape.
    EXPECT_EQ(SampleValue(second.body, capacity), 32 * kMiB);
  } else {
    std::cout << "[   INFO   ] the second scrape came after the interval; not checked" << std::endl;
  }

  DomainSpec late{sandbox_.Name("late")};
  late.disk_mib = 16;
  DefineAndStart(late);
  absl::SleepFor(first_done + interval - absl::Now());
  HttpResult third = HttpGet(MetricsUrl(exporter.port()));
  ASSERT_TRUE(third.ok) << third.error;
  // Due again: the new size, as virsh has it.
  EXPECT_EQ(SampleValue(third.body, capacity), 48 * kMiB) << third.body;
  EXPECT_TRUE(SampleValue(third.body, rss).has_value());
  // The domain that appeared is read whole at once.
  EXPECT_EQ(SampleValue(third.body, Series("strata_domain_block_capacity_bytes",
                                           {{"domain", late.name}, {"device", "vda"}})),
            16 * kMiB)
      << third.body;
  EXPECT_TRUE(
      SampleValue(third.body, Series("strata_domain_memory_rss_bytes", {{"domain", late.name}}))
          .has_value());
  EXPECT_EQ(SampleValue(third.body, "strata_libvirt_domains_skipped"), 0);

  LibvirtResult destroyed = sandbox_.DestroyDomain(late.name);
  ASSERT_TRUE(destroyed.ok()) << destroyed.error;
  LibvirtResult undefined = sandbox_.UndefineDomain(late.name);
  ASSERT_TRUE(undefined.ok()) << undefined.error;
  HttpResult fourth = HttpGet(MetricsUrl(exporter.port()));
  ASSERT_TRUE(fourth.ok) << fourth.error;
  EXPECT_THAT(DomainLines(fourth.body, late.name), IsEmpty());
  EXPECT_EQ(SampleValue(fourth.body, capacity), 48 * kMiB);
}

}  // namespace
}  // namespace strata::testing
