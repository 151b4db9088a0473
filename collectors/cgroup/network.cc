#include "collectors/cgroup/network.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/metric_spec.h"
#include "base/utf8.h"
#include "collectors/cgroup/cgroup_metrics.h"
#include "collectors/cgroup/net_dev.h"
#include "collectors/cgroup/walker.h"

namespace strata {
namespace {

namespace m = cgroup_metrics;

// cgroup.procs holds one PID a line; the first line is all that is read.
constexpr size_t kMaxPidLineBytes = 16;

bool HasNetwork(absl::string_view kind) { return kind == "container" || kind == "pod"; }

absl::Status Prefixed(const HostFs& fs, HostRoot root, absl::string_view path,
                      const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(fs.Resolve(root, path), ": ", status.message()));
}

}  // namespace

CgroupNetwork::CgroupNetwork(const HostFs& fs, const Logger& logger, int max_interfaces)
    : fs_(fs),
      max_interfaces_(max_interfaces),
      no_host_namespace_(logger, "cgroup",
                         "the host's network namespace cannot be read; no container network "
                         "series"),
      denied_(logger, "cgroup",
              "a task's network namespace may not be read (the exporter needs root, or "
              "CAP_SYS_PTRACE); its container has no network series") {}

absl::StatusOr<std::optional<int>> CgroupNetwork::FirstPid(
    const std::vector<HierarchyLocation>& hierarchies, absl::string_view cgroup) const {
  for (const HierarchyLocation& hierarchy : hierarchies) {
    const std::string file = absl::StrCat(hierarchy.path, cgroup, "/cgroup.procs");
    std::string head;
    bool enough = false;
    // Stop after the first line: a cgroup with many tasks has a long file.
    absl::Status status = fs_.ReadFileChunks(hierarchy.root, file, [&](absl::string_view chunk) {
      head.append(chunk.data(), std::min(chunk.size(), kMaxPidLineBytes + 1 - head.size()));
      if (head.find('\n') != std::string::npos || head.size() > kMaxPidLineBytes) {
        enough = true;
        return absl::CancelledError("first line read");
      }
      return absl::OkStatus();
    });
    if (!status.ok() && !enough) {
      if (absl::IsNotFound(status)) continue;  // not in this hierarchy
      return status;
    }
    absl::StatusOr<std::optional<int>> pid = ParseFirstPid(head);
    if (!pid.ok()) return Prefixed(fs_, hierarchy.root, file, pid.status());
    return pid;
  }
  return absl::NotFoundError(absl::StrCat("no cgroup.procs of ", cgroup));
}

absl::StatusOr<uint64_t> CgroupNetwork::NamespaceOf(absl::string_view task) const {
  const std::string link = absl::StrCat(task, "/ns/net");
  absl::StatusOr<std::string> target = fs_.ReadLink(HostRoot::kProc, link);
  if (!target.ok()) return target.status();
  absl::StatusOr<uint64_t> inode = ParseNetNamespaceLink(*target);
  if (!inode.ok()) return Prefixed(fs_, HostRoot::kProc, link, inode.status());
  return inode;
}

void CgroupNetwork::Collect(const CgroupMounts& mounts, const std::vector<NetworkCgroup>& cgroups,
                            std::vector<prometheus::MetricFamily>& out,
                            std::vector<std::string>& problems) {
  const std::vector<HierarchyLocation> hierarchies = HierarchiesToWalk(mounts);
  std::vector<std::optional<int>> pids(cgroups.size());
  bool any_task = false;
  for (size_t i = 0; i < cgroups.size(); ++i) {
    if (!HasNetwork(cgroups[i].kind)) continue;
    absl::StatusOr<std::optional<int>> pid = FirstPid(hierarchies, cgroups[i].path);
    if (pid.ok()) {
      pids[i] = *pid;
      any_task = any_task || pid->has_value();
    } else if (!absl::IsNotFound(pid.status())) {  // NotFound: removed since its stats were read
      problems.push_back(std::string(pid.status().message()));
    }
  }
  // A pod's own cgroup usually has no task (Kubernetes puts every process in
  // a container below it); its containers share its namespace, so the pod
  // takes the first task below it and reports the namespace itself. Sorted
  // paths put everything below a pod right after it.
  for (size_t i = 0; i < cgroups.size(); ++i) {
    if (cgroups[i].kind != "pod" || pids[i].has_value()) continue;
    const absl::string_view pod = cgroups[i].path;
    for (size_t j = i + 1; j < cgroups.size() && absl::StartsWith(cgroups[j].path, pod); ++j) {
      if (cgroups[j].path.size() > pod.size() && cgroups[j].path[pod.size()] == '/' &&
          pids[j].has_value()) {
        pids[i] = pids[j];
        break;
      }
    }
  }

  FamilyBuilder rx_bytes(m::kNetworkReceiveBytes), tx_bytes(m::kNetworkTransmitBytes),
      rx_packets(m::kNetworkReceivePackets), tx_packets(m::kNetworkTransmitPackets),
      rx_errors(m::kNetworkReceiveErrors), tx_errors(m::kNetworkTransmitErrors),
      rx_drops(m::kNetworkReceiveDrops), tx_drops(m::kNetworkTransmitDrops);
  int vanished = 0, denied = 0, capped = 0, duplicates = 0;

  std::optional<uint64_t> host;
  if (any_task) {
    // PID 1's namespace is the host's. Where PID 1 is hidden (a sandbox whose
    // init is not dumpable), the exporter's own, as for mountinfo.
    absl::StatusOr<uint64_t> pid1 = NamespaceOf("1");
    if (!pid1.ok()) pid1 = NamespaceOf("self");
    if (pid1.ok()) {
      host = *pid1;
      no_host_namespace_.Present();
    } else {
      no_host_namespace_.Absent({{"error", std::string(pid1.status().message())}});
      for (const std::optional<int>& pid : pids) denied += pid.has_value();
    }
  }

  std::set<uint64_t> reported;
  std::set<int> gone;  // tasks that exited: a pod and its container may name the same one
  for (size_t i = 0; host.has_value() && i < cgroups.size(); ++i) {
    if (!pids[i].has_value() || gone.count(*pids[i]) > 0) continue;
    const std::string task = absl::StrCat(*pids[i]);
    // A task that is gone or out of reach is counted; anything else is a problem.
    auto skip = [&](const absl::Status& status) {
      if (absl::IsNotFound(status)) {
        ++vanished;
        gone.insert(*pids[i]);
      } else if (absl::IsPermissionDenied(status)) {
        ++denied;
        denied_.Absent({{"error", std::string(status.message())}});
      } else {
        problems.push_back(std::string(status.message()));
      }
    };
    absl::StatusOr<uint64_t> ns = NamespaceOf(task);
    if (!ns.ok()) {
      skip(ns.status());
      continue;
    }
    if (*ns == *host || reported.count(*ns) > 0) continue;
    const std::string dev = absl::StrCat(task, "/net/dev");
    absl::StatusOr<std::string> text = fs_.ReadFile(HostRoot::kProc, dev);
    if (!text.ok()) {
      skip(text.status());
      continue;
    }
    // The task may have exited, and its PID been reused, while its file was read.
    absl::StatusOr<uint64_t> still = NamespaceOf(task);
    if (!still.ok() || *still != *ns) {
      ++vanished;
      gone.insert(*pids[i]);
      continue;
    }
    absl::StatusOr<std::vector<NetDevCounters>> interfaces = ParseNetDev(*text);
    if (!interfaces.ok()) {
      problems.push_back(
          std::string(Prefixed(fs_, HostRoot::kProc, dev, interfaces.status()).message()));
      continue;
    }
    reported.insert(*ns);
    const std::string_view cgroup(cgroups[i].path.data(), cgroups[i].path.size());
    std::set<std::string> labels;  // names as they will be served
    int kept = 0;
    for (const NetDevCounters& c : *interfaces) {
      if (c.interface == "lo") continue;
      if (kept >= max_interfaces_) {
        ++capped;
        continue;
      }
      // The scraper makes labels valid UTF-8 (base/utf8.h); two names that
      // differ only in invalid bytes would then be one series twice.
      std::string served = c.interface;
      MakeValidUtf8(served);
      if (!labels.insert(std::move(served)).second) {
        ++duplicates;
        continue;
      }
      ++kept;
      const std::string_view name = c.interface;
      rx_bytes.Add(static_cast<double>(c.receive_bytes), {cgroup, name});
      tx_bytes.Add(static_cast<double>(c.transmit_bytes), {cgroup, name});
      rx_packets.Add(static_cast<double>(c.receive_packets), {cgroup, name});
      tx_packets.Add(static_cast<double>(c.transmit_packets), {cgroup, name});
      rx_errors.Add(static_cast<double>(c.receive_errors), {cgroup, name});
      tx_errors.Add(static_cast<double>(c.transmit_errors), {cgroup, name});
      rx_drops.Add(static_cast<double>(c.receive_drops), {cgroup, name});
      tx_drops.Add(static_cast<double>(c.transmit_drops), {cgroup, name});
    }
  }
  for (FamilyBuilder* family : {&rx_bytes, &tx_bytes, &rx_packets, &tx_packets, &rx_errors,
                                &tx_errors, &rx_drops, &tx_drops}) {
    family->EmitTo(out);
  }
  FamilyBuilder(m::kNetworkSkipped)
      .Add(vanished, {"vanished"})
      .Add(denied, {"denied"})
      .Add(capped, {"cap"})
      .Add(duplicates, {"duplicate"})
      .EmitTo(out);
}

}  // namespace strata
