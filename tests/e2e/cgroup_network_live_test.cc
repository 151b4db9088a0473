// Per-container network I/O against the kernel: the test makes a network
// namespace with a veth pair to the host (and, inside it, a veth pair whose
// names are not UTF-8 or hold a quote and a backslash), a pod-like cgroup
// tree whose two containers run a sleep in that namespace and a hostNetwork
// pod whose container runs one in the host's, sends UDP both ways across the
// veth, scrapes the real binary, and checks every counter against
// /sys/class/net/IF/statistics read inside the namespace just before and just
// after the scrape. Everything it makes is removed after, even on failure;
// what a killed run left behind is swept by the next.
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/exporter_process.h"
#include "tests/support/exposition.h"
#include "tests/support/http_client.h"
#include "tests/support/test_files.h"

namespace strata::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

const fs::path kCgroupRoot = "/sys/fs/cgroup";
constexpr char kNsPrefix[] = "strata-test-net-";
constexpr char kCgroupPrefix[] = "kubepods-strata-test-";
// Names a container's root may give its interfaces: not UTF-8; a quote and a backslash.
const std::string kNotUtf8 =
    "\xff\xfe"
    "ab";
const std::string kQuoteBackslash = "a\"b\\c";

// `value` in lower-case hex, zero-padded to `width` digits.
std::string Hex(uint64_t value, size_t width) {
  std::string digits = absl::StrCat(absl::Hex(value));
  return std::string(width > digits.size() ? width - digits.size() : 0, '0') + digits;
}

// A Kubernetes pod UID (36 characters) made from a number.
std::string PodUid(uint64_t n) { return absl::StrCat(Hex(n, 8), "-0000-4000-8000-", Hex(n, 12)); }

bool Write(const fs::path& path, const std::string& value) {
  std::ofstream out(path);
  out << value;
  out.flush();
  return out.good();
}

// The hierarchies to make cgroups in: the v1 ones the collector reads and the
// cgroup2 tree (hybrid), or the cgroup2 tree alone (v2).
std::vector<fs::path> Hierarchies() {
  if (fs::exists(kCgroupRoot / "unified/cgroup.procs")) {
    std::vector<fs::path> hierarchies;
    for (const char* v1 : {"cpu", "cpuacct", "memory", "pids"}) {
      if (fs::exists(kCgroupRoot / v1 / "cgroup.procs")) hierarchies.push_back(kCgroupRoot / v1);
    }
    hierarchies.push_back(kCgroupRoot / "unified");
    return hierarchies;
  }
  if (fs::exists(kCgroupRoot / "cgroup.controllers")) return {kCgroupRoot};
  return {};
}

bool Alive(pid_t pid) { return kill(pid, 0) == 0 || errno != ESRCH; }

// Removes a cgroup directory and everything below it, deepest first.
void RemoveCgroupTree(const fs::path& dir) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    if (entry.is_directory()) RemoveCgroupTree(entry.path());
  }
  for (int i = 0; i < 100 && rmdir(dir.c_str()) != 0 && errno == EBUSY; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
}

// What a run killed before its TearDown left: namespaces and cgroups named
// after a PID that no longer runs. (Its sleeps died with it: PDEATHSIG.)
void SweepLeftovers(const std::string& ip) {
  for (absl::string_view line : absl::StrSplit(RunCommand({ip, "netns", "list"}).output, '\n')) {
    absl::string_view name = line.substr(0, line.find(' '));
    absl::string_view owner = name;
    int pid = 0;
    if (absl::ConsumePrefix(&owner, kNsPrefix) && absl::SimpleAtoi(owner, &pid) && !Alive(pid)) {
      RunCommand({ip, "netns", "del", std::string(name)});
    }
  }
  for (const fs::path& hierarchy : Hierarchies()) {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(hierarchy, error)) {
      const std::string name = entry.path().filename();
      absl::string_view owner = name;
      int pid = 0;
      if (absl::ConsumePrefix(&owner, kCgroupPrefix) && absl::SimpleAtoi(owner, &pid) &&
          !Alive(pid)) {
        RemoveCgroupTree(entry.path());
      }
    }
  }
}

// The nine statistics /proc/net/dev's eight columns are made of.
struct InterfaceReading {
  double rx_bytes = -1, rx_packets = -1, rx_errors = -1, rx_dropped = -1, rx_missed = -1;
  double tx_bytes = -1, tx_packets = -1, tx_errors = -1, tx_dropped = -1;
};

class LiveNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces and cgroups";
    ip_ = FindExecutable("ip");
    if (ip_.empty()) GTEST_SKIP() << "needs iproute2's ip";
    hierarchies_ = Hierarchies();
    if (hierarchies_.empty()) GTEST_SKIP() << "no cgroup v1 + cgroup2 (hybrid) or cgroup2 tree";
    SweepLeftovers(ip_);

    const pid_t self = getpid();
    ns_ = absl::StrCat(kNsPrefix, self);
    host_veth_ = absl::StrCat("stn", self, "h");
    // A /30 of 198.18.0.0/15 (RFC 2544's benchmarking range) per PID, so
    // concurrent runs do not collide.
    const uint32_t base = (198u << 24) | (18u << 16) | ((static_cast<uint32_t>(self) % 32768) * 4);
    host_address_ = Dotted(base + 1);
    ns_address_ = Dotted(base + 2);
    ASSERT_TRUE(Ip({"netns", "add", ns_}));
    made_ns_ = true;
    ASSERT_TRUE(
        Ip({"link", "add", host_veth_, "type", "veth", "peer", "name", "eth0", "netns", ns_}));
    ASSERT_TRUE(Ip({"addr", "add", host_address_ + "/30", "dev", host_veth_}));
    ASSERT_TRUE(Ip({"link", "set", host_veth_, "up"}));
    ASSERT_TRUE(Ip({"-n", ns_, "addr", "add", ns_address_ + "/30", "dev", "eth0"}));
    ASSERT_TRUE(Ip({"-n", ns_, "link", "set", "eth0", "up"}));
    ASSERT_TRUE(Ip({"-n", ns_, "link", "set", "lo", "up"}));
    ASSERT_TRUE(
        Ip({"-n", ns_, "link", "add", kNotUtf8, "type", "veth", "peer", "name", kQuoteBackslash}));
    ASSERT_TRUE(Ip({"-n", ns_, "link", "set", kNotUtf8, "up"}));
    ASSERT_TRUE(Ip({"-n", ns_, "link", "set", kQuoteBackslash, "up"}));

    // "kubepods" first, so the collector takes what is below for Kubernetes.
    top_ = absl::StrCat("/", kCgroupPrefix, self);
    pod_ = absl::StrCat(top_, "/pod", PodUid(self));
    host_network_pod_ = absl::StrCat(top_, "/pod", PodUid(self + 1));
    pause_ = absl::StrCat(pod_, "/", Hex(1, 64));
    app_ = absl::StrCat(pod_, "/", Hex(2, 64));
    host_network_ = absl::StrCat(host_network_pod_, "/", Hex(3, 64));
    for (const std::string& cgroup : {top_, pod_, pause_, app_, host_network_pod_, host_network_}) {
      for (const fs::path& hierarchy : hierarchies_) {
        ASSERT_TRUE(fs::create_directory(hierarchy.string() + cgroup)) << hierarchy << cgroup;
      }
    }
    ASSERT_NO_FATAL_FAILURE(RunIn(pause_, /*in_namespace=*/true));
    ASSERT_NO_FATAL_FAILURE(RunIn(app_, /*in_namespace=*/true));
    ASSERT_NO_FATAL_FAILURE(RunIn(host_network_, /*in_namespace=*/false));
  }

  void TearDown() override {
    for (pid_t pid : sleepers_) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (!top_.empty()) {
      for (const fs::path& hierarchy : hierarchies_) {
        const fs::path dir = hierarchy.string() + top_;
        RemoveCgroupTree(dir);
        EXPECT_FALSE(fs::exists(dir)) << "could not remove " << dir;
      }
    }
    if (made_ns_) {
      // Deleting the namespace deletes its veths, and with eth0 its host end.
      Ip({"netns", "del", ns_});
      EXPECT_FALSE(fs::exists("/run/netns/" + ns_)) << "could not remove " << ns_;
      for (int i = 0; i < 100 && fs::exists("/sys/class/net/" + host_veth_); ++i) {
        absl::SleepFor(absl::Milliseconds(20));
      }
      EXPECT_FALSE(fs::exists("/sys/class/net/" + host_veth_)) << host_veth_ << " is left";
    }
  }

  static std::string Dotted(uint32_t address) {
    return absl::StrCat(address >> 24, ".", (address >> 16) & 255, ".", (address >> 8) & 255, ".",
                        address & 255);
  }

  bool Ip(std::vector<std::string> args) const {
    args.insert(args.begin(), ip_);
    CommandResult result = RunCommand(args);
    EXPECT_EQ(result.exit_code, 0) << absl::StrJoin(args, " ") << ": " << result.output;
    return result.exit_code == 0;
  }

  // A sleep in `cgroup` (every hierarchy), in the test's namespace or the host's.
  void RunIn(const std::string& cgroup, bool in_namespace) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (in_namespace) {
        // What "ip netns exec NS sleep 600" does for the network namespace.
        const int fd = open(("/run/netns/" + ns_).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(127);
      }
      execl("/bin/sleep", "sleep", "600", static_cast<char*>(nullptr));
      _exit(127);
    }
    sleepers_.push_back(pid);
    for (const fs::path& hierarchy : hierarchies_) {
      ASSERT_TRUE(Write(hierarchy.string() + cgroup + "/cgroup.procs", std::to_string(pid)))
          << hierarchy << cgroup;
    }
    if (!in_namespace) return;
    struct stat ns;
    ASSERT_EQ(stat(("/run/netns/" + ns_).c_str(), &ns), 0);
    const std::string want = absl::StrCat("net:[", ns.st_ino, "]");
    for (int i = 0; i < 250 && ReadLink(pid) != want; ++i) absl::SleepFor(absl::Milliseconds(20));
    ASSERT_EQ(ReadLink(pid), want) << "the sleep never entered " << ns_;
  }

  static std::string ReadLink(pid_t pid) {
    char target[64] = {};
    const std::string link = absl::StrCat("/proc/", pid, "/ns/net");
    ssize_t n = readlink(link.c_str(), target, sizeof(target) - 1);
    return n > 0 ? std::string(target, static_cast<size_t>(n)) : "";
  }

  // `count` UDP datagrams of `bytes` bytes to `to`:9 (discard), sent from
  // the test's namespace or, in a child that enters it, from the test's.
  void SendUdp(const std::string& to, int count, size_t bytes, bool from_namespace) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      if (from_namespace) {
        const int fd = open(("/run/netns/" + ns_).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(2);
      }
      const int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      sockaddr_in address = {};
      address.sin_family = AF_INET;
      address.sin_port = htons(9);
      if (sock < 0 || inet_pton(AF_INET, to.c_str(), &address.sin_addr) != 1) _exit(3);
      const std::string payload(bytes, 'x');
      for (int i = 0; i < count; ++i) {
        if (sendto(sock, payload.data(), payload.size(), 0,
                   reinterpret_cast<const sockaddr*>(&address), sizeof(address)) < 0) {
          _exit(4);
        }
      }
      _exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "sender exited " << status;
  }

  // An interface's statistics, read inside the namespace (ip netns exec
  // mounts the namespace's own /sys).
  InterfaceReading ReadInside(const std::string& interface) const {
    std::vector<std::string> args = {ip_, "netns", "exec", ns_, "cat"};
    for (const char* file :
         {"rx_bytes", "rx_packets", "rx_errors", "rx_dropped", "rx_missed_errors", "tx_bytes",
          "tx_packets", "tx_errors", "tx_dropped"}) {
      args.push_back(absl::StrCat("/sys/class/net/", interface, "/statistics/", file));
    }
    CommandResult result = RunCommand(args);
    std::vector<std::string> lines = absl::StrSplit(result.output, '\n', absl::SkipEmpty());
    InterfaceReading r;
    double* fields[] = {&r.rx_bytes, &r.rx_packets, &r.rx_errors, &r.rx_dropped, &r.rx_missed,
                        &r.tx_bytes, &r.tx_packets, &r.tx_errors, &r.tx_dropped};
    EXPECT_EQ(lines.size(), 9u) << result.output;
    for (size_t i = 0; i < lines.size() && i < 9; ++i) {
      EXPECT_TRUE(absl::SimpleAtod(lines[i], fields[i])) << lines[i];
    }
    return r;
  }

  std::vector<std::string> ExporterArgs() const {
    std::vector<std::string> args = {"--web.listen-address=127.0.0.1:0",
                                     "--collector.disable-defaults", "--collector.cgroup",
                                     "--collector.cgroup.path-include=^" + top_ + "(/|$)"};
    for (const std::string& flag : NoContainerEngineFlags()) args.push_back(flag);
    return args;
  }

  std::string ip_;
  std::vector<fs::path> hierarchies_;
  std::string ns_, host_veth_, host_address_, ns_address_;
  bool made_ns_ = false;
  std::string top_, pod_, host_network_pod_, pause_, app_, host_network_;
  std::vector<pid_t> sleepers_;
};

std::string Series(const std::string& metric, const std::string& cgroup,
                   const std::string& interface) {
  return absl::StrCat("strata_cgroup_network_", metric, "_total{cgroup=\"", cgroup,
                      "\",interface=\"", interface, "\"}");
}

void ExpectBetween(const std::string& exposition, const std::string& series, double before,
                   double after) {
  std::optional<double> value = SampleValue(exposition, series);
  ASSERT_TRUE(value.has_value()) << series << " missing";
  EXPECT_GE(*value, before) << series;
  EXPECT_LE(*value, after) << series;
}

TEST_F(LiveNetworkTest, CountsWhatTheKernelCountsInsideTheNamespace) {
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(ExporterArgs())) << exporter.stderr_text();
  ASSERT_NO_FATAL_FAILURE(SendUdp(ns_address_, 20, 100, /*from_namespace=*/false));
  ASSERT_NO_FATAL_FAILURE(SendUdp(host_address_, 10, 200, /*from_namespace=*/true));
  absl::SleepFor(absl::Milliseconds(200));

  // The names as they will be served: the quote and backslash escaped, the
  // bytes that are not UTF-8 replaced by U+FFFD by the scraper.
  const std::vector<std::pair<std::string, std::string>> interfaces = {
      {"eth0", "eth0"},
      {kQuoteBackslash, "a\\\"b\\\\c"},
      {kNotUtf8,
       "\xef\xbf\xbd\xef\xbf\xbd"
       "ab"}};
  std::map<std::string, InterfaceReading> before;
  for (const auto& [name, label] : interfaces) before[name] = ReadInside(name);
  HttpResult scrape = HttpGet(absl::StrCat("http://127.0.0.1:", exporter.port(), "/metrics"));
  std::map<std::string, InterfaceReading> after;
  for (const auto& [name, label] : interfaces) after[name] = ReadInside(name);
  ASSERT_TRUE(scrape.ok) << scrape.error;
  const std::string& body = scrape.body;
  EXPECT_EQ(SampleValue(body, "strata_scrape_collector_success{collector=\"cgroup\"}"), 1)
      << exporter.stderr_text();

  // The traffic is there: 20 datagrams in, 10 out, each with its headers.
  EXPECT_GE(before["eth0"].rx_packets, 20);
  EXPECT_GE(before["eth0"].rx_bytes, 20 * (100 + 42));
  EXPECT_GE(before["eth0"].tx_packets, 10);
  EXPECT_GE(before["eth0"].tx_bytes, 10 * (200 + 42));
  for (const auto& [name, label] : interfaces) {
    SCOPED_TRACE(label);
    const InterfaceReading& b = before[name];
    const InterfaceReading& a = after[name];
    ExpectBetween(body, Series("receive_bytes", pod_, label), b.rx_bytes, a.rx_bytes);
    ExpectBetween(body, Series("receive_packets", pod_, label), b.rx_packets, a.rx_packets);
    ExpectBetween(body, Series("receive_errors", pod_, label), b.rx_errors, a.rx_errors);
    // /proc/net/dev's drop column is rx_dropped + rx_missed_errors.
    ExpectBetween(body, Series("receive_drops", pod_, label), b.rx_dropped + b.rx_missed,
                  a.rx_dropped + a.rx_missed);
    ExpectBetween(body, Series("transmit_bytes", pod_, label), b.tx_bytes, a.tx_bytes);
    ExpectBetween(body, Series("transmit_packets", pod_, label), b.tx_packets, a.tx_packets);
    ExpectBetween(body, Series("transmit_errors", pod_, label), b.tx_errors, a.tx_errors);
    ExpectBetween(body, Series("transmit_drops", pod_, label), b.tx_dropped, a.tx_dropped);
  }
  // The pod's namespace is on the pod only, never on its containers too; the
  // hostNetwork pod and its container share the host's and have none; lo is
  // left out.
  for (const std::string& cgroup : {pause_, app_, host_network_pod_, host_network_}) {
    EXPECT_THAT(body, Not(HasSubstr("_total{cgroup=\"" + cgroup + "\",interface=")));
  }
  EXPECT_THAT(body, Not(HasSubstr("interface=\"lo\"")));
  EXPECT_EQ(SampleValue(body, "strata_cgroup_network_skipped{reason=\"vanished\"}"), 0);
  EXPECT_EQ(SampleValue(body, "strata_cgroup_network_skipped{reason=\"denied\"}"), 0);
  // Two replacements in each of the 8 series of the interface that is not UTF-8.
  EXPECT_EQ(SampleValue(body,
                        "strata_exposition_invalid_utf8_replacements_total{collector="
                        "\"cgroup\"}"),
            16);
  CommandResult lint = RunCommand({STRATA_PROMTOOL, "check", "metrics"}, body);
  EXPECT_EQ(lint.exit_code, 0) << lint.output;

  exporter.Signal(SIGTERM);
  EXPECT_EQ(exporter.Wait(absl::Seconds(10)), 0);
}

TEST_F(LiveNetworkTest, TheSwitchTurnsItOff) {
  ExporterProcess exporter;
  std::vector<std::string> args = ExporterArgs();
  args.push_back("--no-collector.cgroup.network");
  ASSERT_TRUE(exporter.Start(args)) << exporter.stderr_text();
  HttpResult scrape = HttpGet(absl::StrCat("http://127.0.0.1:", exporter.port(), "/metrics"));
  ASSERT_TRUE(scrape.ok) << scrape.error;
  EXPECT_THAT(scrape.body, HasSubstr("strata_cgroup_info{cgroup=\"" + pod_));
  EXPECT_THAT(scrape.body, Not(HasSubstr("strata_cgroup_network_")));
}

}  // namespace
}  // namespace strata::testing
