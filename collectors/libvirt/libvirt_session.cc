#include "collectors/libvirt/libvirt_session.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace strata {
namespace {

// Definitions change rarely; read them again at most this often.
constexpr absl::Duration kDefinitionTtl = absl::Minutes(10);
// Keepalive: a daemon that does not answer for 5 s x 3 probes is dead.
constexpr int kKeepAliveIntervalSeconds = 5;
constexpr unsigned kKeepAliveCount = 3;

constexpr unsigned kStatsGroups = VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL |
                                  VIR_DOMAIN_STATS_BALLOON | VIR_DOMAIN_STATS_VCPU |
                                  VIR_DOMAIN_STATS_INTERFACE | VIR_DOMAIN_STATS_BLOCK;

std::string LastError() {
  const char* message = virGetLastErrorMessage();
  return message != nullptr ? message : "unknown libvirt error";
}

bool DomainGone() { return virGetLastErrorCode() == VIR_ERR_NO_DOMAIN; }

TypedParams ToParams(const virTypedParameter* params, int count) {
  TypedParams out;
  for (int i = 0; i < count; ++i) {
    const virTypedParameter& p = params[i];
    switch (p.type) {
      case VIR_TYPED_PARAM_INT:
        out[p.field] = static_cast<double>(p.value.i);
        break;
      case VIR_TYPED_PARAM_UINT:
        out[p.field] = static_cast<double>(p.value.ui);
        break;
      case VIR_TYPED_PARAM_LLONG:
        out[p.field] = static_cast<double>(p.value.l);
        break;
      case VIR_TYPED_PARAM_ULLONG:
        out[p.field] = static_cast<double>(p.value.ul);
        break;
      case VIR_TYPED_PARAM_DOUBLE:
        out[p.field] = p.value.d;
        break;
      case VIR_TYPED_PARAM_BOOLEAN:
        out[p.field] = p.value.b ? 1.0 : 0.0;
        break;
      case VIR_TYPED_PARAM_STRING:
        out[p.field] = std::string(p.value.s != nullptr ? p.value.s : "");
        break;
    }
  }
  return out;
}

std::optional<double> Known(long long value) {
  // The per-domain calls report "not supported" as -1.
  if (value < 0) return std::nullopt;
  return static_cast<double>(value);
}

// Per-domain calls for the groups a driver's bulk call leaves out (the test
// driver supports only "state"; LXC and Xen fewer than QEMU). False when the
// domain vanished meanwhile.
bool FillFromPerDomainCalls(virDomainPtr dom, const DomainDefinition& def, DomainStats& s) {
  if (!s.has_cpu || !s.has_balloon || !s.has_vcpu) {
    virDomainInfo info;
    if (virDomainGetInfo(dom, &info) == 0) {
      if (!s.has_cpu) s.cpu_time_ns = static_cast<double>(info.cpuTime);
      if (!s.has_balloon) {
        s.balloon_current_kib = static_cast<double>(info.memory);
        s.balloon_maximum_kib = static_cast<double>(info.maxMem);
      }
      if (!s.has_vcpu) s.vcpu_current = info.nrVirtCpu;
    } else if (DomainGone()) {
      return false;
    }
  }
  if (!s.has_balloon) {
    virDomainMemoryStatStruct memory[VIR_DOMAIN_MEMORY_STAT_NR];
    const int n = virDomainMemoryStats(dom, memory, VIR_DOMAIN_MEMORY_STAT_NR, 0);
    if (n < 0 && DomainGone()) return false;
    for (int i = 0; i < n; ++i) {
      const double value = static_cast<double>(memory[i].val);
      switch (memory[i].tag) {
        case VIR_DOMAIN_MEMORY_STAT_SWAP_IN:
          s.balloon_swap_in_kib = value;
          break;
        case VIR_DOMAIN_MEMORY_STAT_SWAP_OUT:
          s.balloon_swap_out_kib = value;
          break;
        case VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT:
          s.balloon_major_fault = value;
          break;
        case VIR_DOMAIN_MEMORY_STAT_MINOR_FAULT:
          s.balloon_minor_fault = value;
          break;
        case VIR_DOMAIN_MEMORY_STAT_UNUSED:
          s.balloon_unused_kib = value;
          break;
        case VIR_DOMAIN_MEMORY_STAT_AVAILABLE:
          s.balloon_available_kib = value;
          break;
        case VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON:
          s.balloon_current_kib = value;
          break;
        case VIR_DOMAIN_MEMORY_STAT_RSS:
          s.balloon_rss_kib = value;
          break;
        case VIR_DOMAIN_MEMORY_STAT_USABLE:
          s.balloon_usable_kib = value;
          break;
        default:
          break;
      }
    }
  }
  if (!s.has_vcpu) {
    const int maximum = virDomainGetVcpusFlags(dom, VIR_DOMAIN_VCPU_MAXIMUM);
    if (maximum > 0) {
      s.vcpu_maximum = maximum;
      std::vector<virVcpuInfo> vcpus(static_cast<size_t>(maximum));
      const int n = virDomainGetVcpus(dom, vcpus.data(), maximum, nullptr, 0);
      for (int i = 0; i < n; ++i) {
        VcpuStats vcpu;
        vcpu.index = static_cast<int>(vcpus[i].number);
        vcpu.time_ns = static_cast<double>(vcpus[i].cpuTime);
        s.vcpus.push_back(vcpu);
      }
    } else if (DomainGone()) {
      return false;
    }
  }
  if (!s.has_block) {
    for (size_t i = 0; i < def.disk_targets.size(); ++i) {
      const std::string& target = def.disk_targets[i];
      BlockStats block;
      block.name = target;
      block.path = i < def.disk_sources.size() ? def.disk_sources[i] : "";
      virDomainBlockStatsStruct stats;
      if (virDomainBlockStats(dom, target.c_str(), &stats, sizeof(stats)) == 0) {
        block.read_requests = Known(stats.rd_req);
        block.read_bytes = Known(stats.rd_bytes);
        block.write_requests = Known(stats.wr_req);
        block.write_bytes = Known(stats.wr_bytes);
      } else if (DomainGone()) {
        return false;
      }
      virDomainBlockInfo info;
      if (virDomainGetBlockInfo(dom, target.c_str(), &info, 0) == 0) {
        block.capacity = static_cast<double>(info.capacity);
        block.allocation = static_cast<double>(info.allocation);
        block.physical = static_cast<double>(info.physical);
      }
      s.blocks.push_back(std::move(block));
    }
  }
  if (!s.has_net) {
    for (const std::string& target : def.interface_targets) {
      virDomainInterfaceStatsStruct stats;
      if (virDomainInterfaceStats(dom, target.c_str(), &stats, sizeof(stats)) != 0) {
        if (DomainGone()) return false;
        continue;
      }
      NetStats net;
      net.name = target;
      net.rx_bytes = Known(stats.rx_bytes);
      net.rx_packets = Known(stats.rx_packets);
      net.rx_errors = Known(stats.rx_errs);
      net.rx_drops = Known(stats.rx_drop);
      net.tx_bytes = Known(stats.tx_bytes);
      net.tx_packets = Known(stats.tx_packets);
      net.tx_errors = Known(stats.tx_errs);
      net.tx_drops = Known(stats.tx_drop);
      s.nets.push_back(std::move(net));
    }
  }
  return true;
}

}  // namespace

void EnsureLibvirtEventLoop() {
  static std::once_flag once;
  std::call_once(once, [] {
    virInitialize();
    // Errors are read where they happen (virGetLastErrorMessage); libvirt's
    // default handler would print every one of them to stderr.
    virSetErrorFunc(nullptr, [](void*, virErrorPtr) {});
    if (virEventRegisterDefaultImpl() < 0) return;
    // libvirt's process-wide event loop, which keepalive runs on; it lives as
    // long as the process.
    std::thread([] {
      while (true) {
        if (virEventRunDefaultImpl() < 0)
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }).detach();
  });
}

struct LibvirtSession::Connection {
  virConnectPtr conn = nullptr;
  // QEMU's bulk call carries every group; a record without one is a domain
  // whose job was busy (NOWAIT), not a driver gap to fill call by call.
  bool complete_bulk_stats = false;
  ~Connection() {
    if (conn != nullptr) virConnectClose(conn);
  }
};

LibvirtSession::LibvirtSession(std::string uri) : uri_(std::move(uri)) {}
LibvirtSession::~LibvirtSession() = default;

absl::Status LibvirtSession::Connect() {
  EnsureLibvirtEventLoop();
  virConnectPtr conn = virConnectOpenReadOnly(uri_.c_str());
  if (conn == nullptr) {
    return absl::UnavailableError(absl::StrCat("connect to ", uri_, ": ", LastError()));
  }
  auto connection = std::make_unique<Connection>();
  connection->conn = conn;
  // Drivers without an RPC link (test:///) have no keepalive; that is fine.
  virConnectSetKeepAlive(conn, kKeepAliveIntervalSeconds, kKeepAliveCount);
  const char* type = virConnectGetType(conn);
  connection->complete_bulk_stats = type != nullptr && std::string(type) == "QEMU";
  connection_ = std::move(connection);
  return absl::OkStatus();
}

void LibvirtSession::Disconnect() { connection_.reset(); }

absl::Status LibvirtSession::Fail(absl::string_view what) {
  absl::Status status = absl::UnavailableError(absl::StrCat(what, " on ", uri_, ": ", LastError()));
  // Whatever went wrong, the next scrape starts from a fresh connection.
  Disconnect();
  return status;
}

absl::StatusOr<HypervisorSnapshot> LibvirtSession::Snapshot() {
  if (connection_ != nullptr && virConnectIsAlive(connection_->conn) != 1) Disconnect();
  reconnected_ = false;
  if (connection_ == nullptr) {
    absl::Status connected = Connect();
    if (!connected.ok()) return connected;
    reconnected_ = true;
  }
  virConnectPtr conn = connection_->conn;

  HypervisorSnapshot snapshot;
  virNodeInfo node;
  if (virNodeGetInfo(conn, &node) < 0) return Fail("virNodeGetInfo");
  snapshot.cpus = node.cpus;
  snapshot.memory_bytes = static_cast<double>(node.memory) * 1024;
  // virNodeGetInfo's memory can be a NUMA cell's rather than the host's
  // (seen on a KVM guest); the host-wide total, where the driver has it, is
  // what overcommit must be measured against.
  int nparams = 0;
  if (virNodeGetMemoryStats(conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, nullptr, &nparams, 0) == 0 &&
      nparams > 0) {
    std::vector<virNodeMemoryStats> stats(static_cast<size_t>(nparams));
    if (virNodeGetMemoryStats(conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, stats.data(), &nparams, 0) ==
        0) {
      for (int i = 0; i < nparams; ++i) {
        if (std::string(stats[i].field) == VIR_NODE_MEMORY_STATS_TOTAL) {
          snapshot.memory_bytes = static_cast<double>(stats[i].value) * 1024;
        }
      }
    }
  }

  virDomainStatsRecordPtr* records = nullptr;
  const int count = virConnectGetAllDomainStats(conn, kStatsGroups, &records,
                                                VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
  if (count < 0) return Fail("virConnectGetAllDomainStats");

  const absl::Time now = absl::Now();
  std::set<std::string> seen;
  for (int i = 0; i < count; ++i) {
    virDomainPtr dom = records[i]->dom;
    DomainSnapshot domain;
    const char* name = virDomainGetName(dom);
    domain.name = name != nullptr ? name : "";
    char uuid[VIR_UUID_STRING_BUFLEN] = {};
    virDomainGetUUIDString(dom, uuid);
    domain.uuid = uuid;
    domain.stats = ParseDomainStats(ToParams(records[i]->params, records[i]->nparams));
    const bool active = DomainStateIsActive(domain.stats.state);
    if (!active) {
      // libvirt 9.0 fills cpu.* of a domain without a process with libvirtd's
      // own CPU time: drop it.
      domain.stats.cpu_time_ns.reset();
      domain.stats.cpu_user_ns.reset();
      domain.stats.cpu_system_ns.reset();
    }
    seen.insert(domain.uuid);

    auto cached = definitions_.find(domain.uuid);
    if (cached == definitions_.end() || cached->second.active != active ||
        now - cached->second.read_at > kDefinitionTtl) {
      char* xml = virDomainGetXMLDesc(dom, 0);
      if (xml == nullptr) {
        // Gone since the bulk call, or unreadable: leave it out this time.
        ++snapshot.skipped;
        continue;
      }
      absl::StatusOr<DomainDefinition> definition = ParseDomainXml(xml);
      free(xml);
      cached = definitions_
                   .insert_or_assign(
                       domain.uuid,
                       CachedDefinition{definition.value_or(DomainDefinition{}), active, now})
                   .first;
    }
    domain.definition = cached->second.definition;

    if (active && connection_->complete_bulk_stats) {
      const DomainStats& s = domain.stats;
      if (!s.has_cpu || !s.has_balloon || !s.has_vcpu) {
        domain.incomplete = true;
        ++snapshot.skipped;
      }
    } else if (active && !FillFromPerDomainCalls(dom, domain.definition, domain.stats)) {
      ++snapshot.skipped;
      continue;
    }
    snapshot.domains.push_back(std::move(domain));
  }
  virDomainStatsRecordListFree(records);
  // libvirt lists domains in hash order; a stable order keeps expositions comparable.
  std::sort(snapshot.domains.begin(), snapshot.domains.end(),
            [](const DomainSnapshot& a, const DomainSnapshot& b) { return a.name < b.name; });
  for (auto it = definitions_.begin(); it != definitions_.end();) {
    it = seen.count(it->first) ? std::next(it) : definitions_.erase(it);
  }
  return snapshot;
}

}  // namespace strata
