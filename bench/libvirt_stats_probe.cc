// What virConnectGetAllDomainStats costs libvirtd, group by group: calls it
// REPEAT times with the groups given and prints one JSON line with the
// call's wall time (median, p99) and, when LIBVIRTD_PID is given, libvirtd's
// CPU per call (user + system from /proc/PID/stat). With THREADS > 1 the
// domains are split into THREADS parts and each part is asked for by its own
// concurrent virDomainListGetStats on the same connection, to see whether
// libvirtd answers them in parallel. For bench/measure-libvirt.
//
//   libvirt_stats_probe URI GROUPS REPEAT [THREADS [LIBVIRTD_PID]]
//
// GROUPS: comma-separated, of state, cpu-total, balloon, vcpu, interface,
// block; or one of the per-domain calls, each made for every active domain
// (THREADS splits the domains): "per-domain:blockstats" (virDomainBlockStats
// for each disk), "per-domain:info" (virDomainGetInfo), "per-domain:memory"
// (virDomainMemoryStats).
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

double CpuSeconds(int pid) {
  if (pid <= 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  // Fields after the command: state is 3; utime 14 and stime 15.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t index = std::min(values.size() - 1, static_cast<size_t>(p * values.size()));
  return values[index];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || argc > 6) {
    std::cerr << "usage: libvirt_stats_probe URI GROUPS REPEAT [THREADS [LIBVIRTD_PID]]\n";
    return 2;
  }
  const std::string uri = argv[1], groups_text = argv[2];
  const int repeat = std::atoi(argv[3]);
  const int threads = argc > 4 ? std::max(1, std::atoi(argv[4])) : 1;
  const int libvirtd = argc > 5 ? std::atoi(argv[5]) : 0;
  static const std::map<std::string, unsigned> kGroups = {
      {"state", VIR_DOMAIN_STATS_STATE},         {"cpu-total", VIR_DOMAIN_STATS_CPU_TOTAL},
      {"balloon", VIR_DOMAIN_STATS_BALLOON},     {"vcpu", VIR_DOMAIN_STATS_VCPU},
      {"interface", VIR_DOMAIN_STATS_INTERFACE}, {"block", VIR_DOMAIN_STATS_BLOCK}};
  const bool per_domain = groups_text.rfind("per-domain:", 0) == 0;
  const std::string per_domain_call = per_domain ? groups_text.substr(11) : "";
  if (per_domain && per_domain_call != "blockstats" && per_domain_call != "info" &&
      per_domain_call != "memory") {
    std::cerr << "unknown per-domain call " << per_domain_call << "\n";
    return 2;
  }
  unsigned groups = 0;
  std::stringstream list(per_domain ? "" : groups_text);
  for (std::string name; std::getline(list, name, ',');) {
    auto it = kGroups.find(name);
    if (it == kGroups.end()) {
      std::cerr << "unknown group " << name << "\n";
      return 2;
    }
    groups |= it->second;
  }
  virSetErrorFunc(nullptr, [](void*, virErrorPtr) {});
  virConnectPtr conn = virConnectOpenReadOnly(uri.c_str());
  if (conn == nullptr) {
    std::cerr << "cannot open " << uri << ": " << virGetLastErrorMessage() << "\n";
    return 1;
  }
  virDomainPtr* domains = nullptr;
  const int count = virConnectListAllDomains(conn, &domains, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
  if (count < 0) {
    std::cerr << "virConnectListAllDomains: " << virGetLastErrorMessage() << "\n";
    return 1;
  }
  // Each thread's part, null-terminated as virDomainListGetStats wants it.
  std::vector<std::vector<virDomainPtr>> parts(static_cast<size_t>(threads));
  for (int i = 0; i < count; ++i) parts[static_cast<size_t>(i % threads)].push_back(domains[i]);
  for (auto& part : parts) part.push_back(nullptr);
  // The disks of each domain, for per-domain:blockstats, from one bulk call.
  std::map<virDomainPtr, std::vector<std::string>> disks;
  if (per_domain_call == "blockstats") {
    for (int i = 0; i < count; ++i) {
      virDomainPtr one[] = {domains[i], nullptr};
      virDomainStatsRecordPtr* stats = nullptr;
      if (virDomainListGetStats(one, VIR_DOMAIN_STATS_BLOCK, &stats, 0) < 1) continue;
      for (int p = 0; p < stats[0]->nparams; ++p) {
        const std::string field = stats[0]->params[p].field;
        if (field.size() > 5 && field.compare(field.size() - 5, 5, ".name") == 0 &&
            stats[0]->params[p].type == VIR_TYPED_PARAM_STRING) {
          disks[domains[i]].push_back(stats[0]->params[p].value.s);
        }
      }
      virDomainStatsRecordListFree(stats);
    }
  }

  std::vector<double> wall_ms;
  int records = 0, failures = 0;
  const double cpu_before = CpuSeconds(libvirtd);
  for (int r = 0; r < repeat; ++r) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<int> got(static_cast<size_t>(threads), 0);
    auto ask = [&](size_t t) {
      if (per_domain) {
        for (virDomainPtr dom : parts[t]) {
          if (dom == nullptr) break;
          bool ok = true;
          if (per_domain_call == "blockstats") {
            for (const std::string& disk : disks[dom]) {
              virDomainBlockStatsStruct block;
              ok = ok && virDomainBlockStats(dom, disk.c_str(), &block, sizeof(block)) == 0;
            }
          } else if (per_domain_call == "info") {
            virDomainInfo info;
            ok = virDomainGetInfo(dom, &info) == 0;
          } else {
            virDomainMemoryStatStruct memory[VIR_DOMAIN_MEMORY_STAT_NR];
            ok = virDomainMemoryStats(dom, memory, VIR_DOMAIN_MEMORY_STAT_NR, 0) >= 0;
          }
          got[t] += ok ? 1 : 0;
        }
        return;
      }
      virDomainStatsRecordPtr* stats = nullptr;
      const int n = threads == 1
                        ? virConnectGetAllDomainStats(conn, groups, &stats,
                                                      VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE |
                                                          VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT)
                        : virDomainListGetStats(parts[t].data(), groups, &stats,
                                                VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
      got[t] = n;
      if (n >= 0) virDomainStatsRecordListFree(stats);
    };
    if (threads == 1) {
      ask(0);
    } else {
      std::vector<std::thread> workers;
      for (size_t t = 0; t < parts.size(); ++t) workers.emplace_back(ask, t);
      for (std::thread& worker : workers) worker.join();
    }
    wall_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
    for (int n : got) n < 0 ? ++failures : records += n;
  }
  const double cpu_ms = (CpuSeconds(libvirtd) - cpu_before) * 1000;
  std::printf(
      "{\"probe\":\"domstats\",\"groups\":\"%s\",\"threads\":%d,\"domains\":%d,\"calls\":%d,"
      "\"failures\":%d,\"records_per_call\":%.1f,\"wall_ms_median\":%.3f,\"wall_ms_p99\":%.3f,"
      "\"libvirtd_cpu_ms_per_call\":%.3f}\n",
      groups_text.c_str(), threads, count, repeat, failures,
      repeat > 0 ? static_cast<double>(records) / repeat : 0, Percentile(wall_ms, 0.5),
      Percentile(wall_ms, 0.99), libvirtd > 0 && repeat > 0 ? cpu_ms / repeat : -1.0);
  for (int i = 0; i < count; ++i) virDomainFree(domains[i]);
  free(domains);
  virConnectClose(conn);
  return failures == 0 ? 0 : 1;
}
