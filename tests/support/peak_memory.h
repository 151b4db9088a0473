// How much a piece of code raises this process' peak resident memory, for
// tests that bound the memory a parser spends on hostile input.
#pragma once

#include <fstream>
#include <functional>
#include <optional>
#include <string>

namespace strata::testing {

// The kB of one "Name: N kB" line of /proc/self/status, or nullopt.
inline std::optional<long> ProcSelfStatusKb(const std::string& name) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + ":", 0) == 0) return std::stol(line.substr(name.size() + 1));
  }
  return std::nullopt;
}

// Bytes by which `run` raised the peak resident set (VmHWM) above the
// resident set before it, or nullopt when the kernel cannot reset the peak
// (writing 5 to /proc/self/clear_refs, Linux 4.0 and later).
inline std::optional<long> PeakRssGrowthBytes(const std::function<void()>& run) {
  {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
    if (!clear.flush()) return std::nullopt;
  }
  const std::optional<long> before = ProcSelfStatusKb("VmRSS");
  run();
  const std::optional<long> peak = ProcSelfStatusKb("VmHWM");
  if (!before || !peak) return std::nullopt;
  return (*peak - *before) * 1024;
}

}  // namespace strata::testing
