// Pure conversions for the libvirt collector: the typed parameters of one
// virConnectGetAllDomainStats record into a DomainStats, and libvirt's state
// and reason numbers into names.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace strata {

// A record's parameters by name ("cpu.time", "block.0.rd.bytes", ...);
// numbers of every width as double, strings as strings.
using TypedParams = std::map<std::string, std::variant<double, std::string>>;

struct VcpuStats {
  int index = 0;
  std::optional<double> time_ns, wait_ns, delay_ns;
};

struct BlockStats {
  std::string name;  // target, e.g. "vda"
  std::string path;  // source, when it has one
  std::optional<double> read_requests, read_bytes, read_time_ns;
  std::optional<double> write_requests, write_bytes, write_time_ns;
  std::optional<double> flush_requests, flush_time_ns;
  std::optional<double> capacity, allocation, physical;
};

struct NetStats {
  std::string name;  // host-side device, e.g. "vnet0"
  std::optional<double> rx_bytes, rx_packets, rx_errors, rx_drops;
  std::optional<double> tx_bytes, tx_packets, tx_errors, tx_drops;
};

struct DomainStats {
  int state = 0;
  int reason = 0;
  bool has_state = false;

  // Groups the record carried; a driver that does not support a group omits it.
  bool has_cpu = false, has_balloon = false, has_vcpu = false, has_block = false, has_net = false;

  std::optional<double> cpu_time_ns, cpu_user_ns, cpu_system_ns;

  // balloon.* in KiB, as libvirt reports them.
  std::optional<double> balloon_current_kib, balloon_maximum_kib, balloon_swap_in_kib,
      balloon_swap_out_kib, balloon_major_fault, balloon_minor_fault, balloon_unused_kib,
      balloon_available_kib, balloon_usable_kib, balloon_rss_kib;

  std::optional<double> vcpu_current, vcpu_maximum;
  std::vector<VcpuStats> vcpus;
  std::vector<BlockStats> blocks;
  std::vector<NetStats> nets;
};

DomainStats ParseDomainStats(const TypedParams& params);

// libvirt's virDomainState and its per-state reasons, as lower-case names
// ("running", "booted"); unknown numbers as "state_<n>" / "reason_<n>".
std::string DomainStateName(int state);
std::string DomainStateReasonName(int state, int reason);

// Whether a state means the domain is active (has a process): all but shutoff and nostate.
bool DomainStateIsActive(int state);

}  // namespace strata
