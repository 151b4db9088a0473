#include "collectors/libvirt/domain_stats.h"

#include <iterator>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace strata {
namespace {

std::optional<double> Number(const TypedParams& params, const std::string& key) {
  auto it = params.find(key);
  if (it == params.end()) return std::nullopt;
  if (const double* value = std::get_if<double>(&it->second)) return *value;
  return std::nullopt;
}

std::string String(const TypedParams& params, const std::string& key) {
  auto it = params.find(key);
  if (it == params.end()) return "";
  if (const std::string* value = std::get_if<std::string>(&it->second)) return *value;
  return "";
}

bool HasPrefix(const TypedParams& params, const std::string& prefix) {
  auto it = params.lower_bound(prefix);
  return it != params.end() && it->first.compare(0, prefix.size(), prefix) == 0;
}

// Indices listed by "<group>.count", or the indices that appear, for drivers
// that leave the count out.
int Count(const TypedParams& params, const std::string& group) {
  if (std::optional<double> count = Number(params, group + ".count")) {
    return static_cast<int>(*count);
  }
  int highest = -1;
  for (auto it = params.lower_bound(group + "."); it != params.end(); ++it) {
    if (it->first.compare(0, group.size() + 1, group + ".") != 0) break;
    std::vector<absl::string_view> parts = absl::StrSplit(it->first, '.');
    int index = 0;
    if (parts.size() >= 3 && absl::SimpleAtoi(parts[1], &index) && index > highest) {
      highest = index;
    }
  }
  return highest + 1;
}

constexpr const char* kStates[] = {"nostate",  "running", "blocked", "paused",
                                   "shutdown", "shutoff", "crashed", "pmsuspended"};

// Reasons per state, from libvirt-domain.h.
const std::vector<std::vector<const char*>>& Reasons() {
  static const auto* reasons = new std::vector<std::vector<const char*>>{
      /* nostate */ {"unknown"},
      /* running */
      {"unknown", "booted", "migrated", "restored", "from_snapshot", "unpaused",
       "migration_canceled", "save_canceled", "wakeup", "crashed", "postcopy", "postcopy_failed"},
      /* blocked */ {"unknown"},
      /* paused */
      {"unknown", "user", "migration", "save", "dump", "ioerror", "watchdog", "from_snapshot",
       "shutting_down", "snapshot", "crashed", "starting_up", "postcopy", "postcopy_failed",
       "api_error"},
      /* shutdown */ {"unknown", "user"},
      /* shutoff */
      {"unknown", "shutdown", "destroyed", "crashed", "migrated", "saved", "failed",
       "from_snapshot", "daemon"},
      /* crashed */ {"unknown", "panicked"},
      /* pmsuspended */ {"unknown"},
  };
  return *reasons;
}

}  // namespace

std::string DomainStateName(int state) {
  if (state >= 0 && state < static_cast<int>(std::size(kStates))) return kStates[state];
  return absl::StrCat("state_", state);
}

std::string DomainStateReasonName(int state, int reason) {
  const auto& reasons = Reasons();
  if (state >= 0 && state < static_cast<int>(reasons.size()) && reason >= 0 &&
      reason < static_cast<int>(reasons[state].size())) {
    return reasons[state][reason];
  }
  return absl::StrCat("reason_", reason);
}

bool DomainStateIsActive(int state) {
  // Shutoff (5) has no process and nostate (0) says nothing; a domain libvirt
  // still lists as crashed kept its process (on_crash=preserve).
  return state != 0 && state != 5;
}

DomainStats ParseDomainStats(const TypedParams& p) {
  DomainStats s;
  if (std::optional<double> state = Number(p, "state.state")) {
    s.has_state = true;
    s.state = static_cast<int>(*state);
    s.reason = static_cast<int>(Number(p, "state.reason").value_or(0));
  }

  s.has_cpu = HasPrefix(p, "cpu.");
  s.cpu_time_ns = Number(p, "cpu.time");
  s.cpu_user_ns = Number(p, "cpu.user");
  s.cpu_system_ns = Number(p, "cpu.system");

  s.has_balloon = HasPrefix(p, "balloon.");
  s.balloon_current_kib = Number(p, "balloon.current");
  s.balloon_maximum_kib = Number(p, "balloon.maximum");
  s.balloon_swap_in_kib = Number(p, "balloon.swap_in");
  s.balloon_swap_out_kib = Number(p, "balloon.swap_out");
  s.balloon_major_fault = Number(p, "balloon.major_fault");
  s.balloon_minor_fault = Number(p, "balloon.minor_fault");
  s.balloon_unused_kib = Number(p, "balloon.unused");
  s.balloon_available_kib = Number(p, "balloon.available");
  s.balloon_usable_kib = Number(p, "balloon.usable");
  s.balloon_rss_kib = Number(p, "balloon.rss");

  s.has_vcpu = HasPrefix(p, "vcpu.");
  s.vcpu_current = Number(p, "vcpu.current");
  s.vcpu_maximum = Number(p, "vcpu.maximum");
  const int vcpus = s.has_vcpu ? static_cast<int>(s.vcpu_maximum.value_or(Count(p, "vcpu"))) : 0;
  for (int i = 0; i < vcpus; ++i) {
    const std::string base = absl::StrCat("vcpu.", i, ".");
    VcpuStats vcpu{i, Number(p, base + "time"), Number(p, base + "wait"),
                   Number(p, base + "delay")};
    // Offline vCPUs have no entries.
    if (vcpu.time_ns || vcpu.wait_ns || vcpu.delay_ns) s.vcpus.push_back(vcpu);
  }

  s.has_block = HasPrefix(p, "block.");
  for (int i = 0, n = Count(p, "block"); i < n; ++i) {
    const std::string base = absl::StrCat("block.", i, ".");
    BlockStats b;
    b.name = String(p, base + "name");
    if (b.name.empty()) continue;
    b.path = String(p, base + "path");
    b.read_requests = Number(p, base + "rd.reqs");
    b.read_bytes = Number(p, base + "rd.bytes");
    b.read_time_ns = Number(p, base + "rd.times");
    b.write_requests = Number(p, base + "wr.reqs");
    b.write_bytes = Number(p, base + "wr.bytes");
    b.write_time_ns = Number(p, base + "wr.times");
    b.flush_requests = Number(p, base + "fl.reqs");
    b.flush_time_ns = Number(p, base + "fl.times");
    b.capacity = Number(p, base + "capacity");
    b.allocation = Number(p, base + "allocation");
    b.physical = Number(p, base + "physical");
    s.blocks.push_back(std::move(b));
  }

  s.has_net = HasPrefix(p, "net.");
  for (int i = 0, n = Count(p, "net"); i < n; ++i) {
    const std::string base = absl::StrCat("net.", i, ".");
    NetStats net;
    net.name = String(p, base + "name");
    if (net.name.empty()) continue;
    net.rx_bytes = Number(p, base + "rx.bytes");
    net.rx_packets = Number(p, base + "rx.pkts");
    net.rx_errors = Number(p, base + "rx.errs");
    net.rx_drops = Number(p, base + "rx.drop");
    net.tx_bytes = Number(p, base + "tx.bytes");
    net.tx_packets = Number(p, base + "tx.pkts");
    net.tx_errors = Number(p, base + "tx.errs");
    net.tx_drops = Number(p, base + "tx.drop");
    s.nets.push_back(std::move(net));
  }
  return s;
}

}  // namespace strata
