#include "collectors/libvirt/libvirt_session.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <algorithm>
#include <functional>
#include <mutex>
#include <set>
#include <system_error>
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

// Groups whose values change all the time: asked for every scrape.
constexpr unsigned kEveryScrapeGroups = VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL |
                                        VIR_DOMAIN_STATS_VCPU | VIR_DOMAIN_STATS_INTERFACE;
// Drivers other than QEMU answer few groups in bulk, and the per-domain calls
// fill the rest every scrape: ask for all of them at once.
constexpr unsigned kStatsGroups =
    kEveryScrapeGroups | VIR_DOMAIN_STATS_BALLOON | VIR_DOMAIN_STATS_BLOCK;

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

// A bulk call's records, freed with it.
struct StatsList {
  virDomainStatsRecordPtr* records = nullptr;
  int count = -1;
  StatsList() = default;
  StatsList(const StatsList&) = delete;
  StatsList& operator=(const StatsList&) = delete;
  ~StatsList() {
    if (records != nullptr) virDomainStatsRecordListFree(records);
  }
};

// Runs `calls` at once, the first on this thread: libvirtd serves a
// connection's calls on several workers (up to its max_client_requests, 5 by
// default). When no thread can be made, the rest run here, one after another.
void RunAtOnce(std::vector<std::function<void()>> calls) {
  std::vector<std::thread> threads;
  for (size_t i = 1; i < calls.size(); ++i) {
    try {
      threads.emplace_back(std::move(calls[i]));
      calls[i] = nullptr;
    } catch (const std::system_error&) {
      break;
    }
  }
  for (auto& call : calls) {
    if (call) call();
  }
  for (std::thread& thread : threads) thread.join();
}

// The stats cache's key of a domain: its UUID and the ID of its current run
// (libvirt gives a domain a new ID each time it starts; -1 while shut off),
// so that nothing read from an earlier run of QEMU outlives it.
std::string RunKey(virDomainPtr dom, const std::string& uuid) {
  return absl::StrCat(uuid, "#", static_cast<int>(virDomainGetID(dom)));
}

// Whether a record carries a whole answer of `group`: for a domain whose job
// was busy (NOWAIT) libvirt sends what it knows without QEMU (the balloon's
// size, the disks' names), and such an answer is not kept, so that the
// domain is asked again next scrape.
bool CompleteAnswer(const TypedParams& params, SlowGroup group) {
  if (group == SlowGroup::kBalloon) return params.count("balloon.rss") > 0;
  auto count = params.find("block.count");
  if (count == params.end()) return false;
  const double* disks = std::get_if<double>(&count->second);
  return disks != nullptr && (*disks == 0 || params.count("block.0.rd.reqs") > 0);
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

LibvirtSession::LibvirtSession(std::string uri, SlowGroupIntervals intervals,
                               std::function<absl::Time()> clock)
    : uri_(std::move(uri)), clock_(std::move(clock)), stats_cache_(intervals) {}
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

  const bool qemu = connection_->complete_bulk_stats;
  const absl::Time now = clock_();
  // QEMU: the domains split by which slow groups are due, each part asked
  // for its groups in one call, the parts at once. Parts share no domain, so
  // no call waits for another's job on a domain (NOWAIT would then leave its
  // groups out). Others: every group of every domain in one call.
  std::vector<StatsList> lists(1);
  if (qemu) {
    virDomainPtr* listed = nullptr;
    const int n = virConnectListAllDomains(conn, &listed, 0);
    if (n < 0) return Fail("virConnectListAllDomains");
    // By due groups: 0 none, 1 balloon, 2 block, 3 both.
    std::vector<std::vector<virDomainPtr>> parts(4);
    for (int i = 0; i < n; ++i) {
      char uuid[VIR_UUID_STRING_BUFLEN] = {};
      virDomainGetUUIDString(listed[i], uuid);
      // The period of the definition read last; a new domain is due anyway.
      auto definition = definitions_.find(uuid);
      const double period = definition != definitions_.end()
                                ? definition->second.definition.balloon_stats_period_seconds
                                : 0;
      const std::string key = RunKey(listed[i], uuid);
      const int due = (stats_cache_.Due(key, SlowGroup::kBalloon, period, now) ? 1 : 0) |
                      (stats_cache_.Due(key, SlowGroup::kBlock, period, now) ? 2 : 0);
      parts[static_cast<size_t>(due)].push_back(listed[i]);
    }
    std::vector<unsigned> masks = {
        kEveryScrapeGroups, kEveryScrapeGroups | VIR_DOMAIN_STATS_BALLOON,
        kEveryScrapeGroups | VIR_DOMAIN_STATS_BLOCK,
        kEveryScrapeGroups | VIR_DOMAIN_STATS_BALLOON | VIR_DOMAIN_STATS_BLOCK};
    // The largest part in two halves while there are calls to spare: libvirtd
    // reads the domains of one call one after another.
    size_t largest = 0;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (parts[i].size() > parts[largest].size()) largest = i;
    }
    if (parts[largest].size() >= 2) {
      const size_t half = parts[largest].size() / 2;
      parts.emplace_back(parts[largest].begin() + half, parts[largest].end());
      parts[largest].resize(half);
      masks.push_back(masks[largest]);
    }
    lists = std::vector<StatsList>(parts.size());
    std::vector<std::function<void()>> calls;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (parts[i].empty()) {
        lists[i].count = 0;
        continue;
      }
      parts[i].push_back(nullptr);
      calls.push_back([&lists, &parts, &masks, i] {
        lists[i].count = virDomainListGetStats(parts[i].data(), masks[i], &lists[i].records,
                                               VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
      });
    }
    RunAtOnce(std::move(calls));
    for (int i = 0; i < n; ++i) virDomainFree(listed[i]);
    free(listed);
  } else {
    lists[0].count = virConnectGetAllDomainStats(conn, kStatsGroups, &lists[0].records,
                                                 VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
  }
  for (const StatsList& list : lists) {
    if (list.count < 0) return Fail("virConnectGetAllDomainStats");
  }

  // Every record's identity, parameters and definition; then the stats.
  struct Record {
    virDomainPtr dom;
    DomainSnapshot domain;
    TypedParams params;
    bool active = false;
  };
  std::vector<Record> read;
  std::set<std::string> seen;
  for (const StatsList& list : lists) {
    for (int i = 0; i < list.count; ++i) {
      virDomainStatsRecordPtr stats = list.records[i];
      Record record{stats->dom, {}, ToParams(stats->params, stats->nparams)};
      DomainSnapshot& domain = record.domain;
      const char* name = virDomainGetName(record.dom);
      domain.name = name != nullptr ? name : "";
      char uuid[VIR_UUID_STRING_BUFLEN] = {};
      virDomainGetUUIDString(record.dom, uuid);
      domain.uuid = uuid;
      auto state = record.params.find("state.state");
      const double* state_number =
          state != record.params.end() ? std::get_if<double>(&state->second) : nullptr;
      record.active =
          state_number != nullptr && DomainStateIsActive(static_cast<int>(*state_number));
      seen.insert(domain.uuid);

      auto cached = definitions_.find(domain.uuid);
      if (cached == definitions_.end() || cached->second.active != record.active ||
          now - cached->second.read_at > kDefinitionTtl) {
        char* xml = virDomainGetXMLDesc(record.dom, 0);
        if (xml == nullptr) {
          // Gone since the bulk call, or unreadable: leave it out this time.
          ++snapshot.skipped;
          continue;
        }
        absl::StatusOr<DomainDefinition> definition = ParseDomainXml(xml);
        free(xml);
        cached = definitions_
                     .insert_or_assign(domain.uuid,
                                       CachedDefinition{definition.value_or(DomainDefinition{}),
                                                        record.active, now})
                     .first;
      }
      domain.definition = cached->second.definition;
      read.push_back(std::move(record));
    }
  }

  std::set<std::string> running_keys;
  for (Record& record : read) {
    DomainSnapshot& domain = record.domain;
    // Only a running domain's answers are kept: a shut-off domain's cost
    // libvirtd no QEMU call, and are read fresh every scrape.
    if (qemu && record.active) {
      const std::string key = RunKey(record.dom, domain.uuid);
      for (SlowGroup group : {SlowGroup::kBalloon, SlowGroup::kBlock}) {
        if (CompleteAnswer(record.params, group))
          stats_cache_.Store(key, group, record.params, now);
      }
      stats_cache_.MergeInto(key, record.params);
      running_keys.insert(key);
    }
    domain.stats = ParseDomainStats(record.params);
    if (!record.active) {
      // libvirt 9.0 fills cpu.* of a domain without a process with libvirtd's
      // own CPU time: drop it.
      domain.stats.cpu_time_ns.reset();
      domain.stats.cpu_user_ns.reset();
      domain.stats.cpu_system_ns.reset();
    }
    if (record.active && qemu) {
      const DomainStats& s = domain.stats;
      if (!s.has_cpu || !s.has_balloon || !s.has_vcpu) {
        domain.incomplete = true;
        ++snapshot.skipped;
      }
    } else if (record.active &&
               !FillFromPerDomainCalls(record.dom, domain.definition, domain.stats)) {
      ++snapshot.skipped;
      continue;
    }
    snapshot.domains.push_back(std::move(domain));
  }
  // libvirt lists domains in hash order; a stable order keeps expositions comparable.
  std::sort(snapshot.domains.begin(), snapshot.domains.end(),
            [](const DomainSnapshot& a, const DomainSnapshot& b) { return a.name < b.name; });
  for (auto it = definitions_.begin(); it != definitions_.end();) {
    it = seen.count(it->first) ? std::next(it) : definitions_.erase(it);
  }
  stats_cache_.Retain(running_keys);
  return snapshot;
}

}  // namespace strata
