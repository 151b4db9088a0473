// The procfs and sysfs parsers of the host collector (proc_parsers.h) and the
// identity normalizers (identity.h), every one on every input: the seeds are
// the host fixtures' meminfo, stat, cpuinfo, cpu lists and identity files.
#include <cmath>

#include "collectors/host/identity.h"
#include "collectors/host/proc_parsers.h"
#include "fuzz/fuzz_support.h"

namespace strata::fuzz {

void FuzzOne(absl::string_view input) {
  absl::StatusOr<int> cpus = ParseCpuListCount(input);
  if (cpus.ok()) STRATA_FUZZ_CHECK(*cpus > 0 && *cpus <= (1 << 20));
  absl::StatusOr<double> memory = ParseMemTotalBytes(input);
  if (memory.ok()) STRATA_FUZZ_CHECK(std::isfinite(*memory) && *memory >= 0);
  absl::StatusOr<std::optional<double>> available = ParseMemAvailableBytes(input);
  if (available.ok() && available->has_value()) {
    STRATA_FUZZ_CHECK(std::isfinite(**available) && **available >= 0);
  }
  absl::StatusOr<double> steal = ParseStealSeconds(input);
  if (steal.ok()) STRATA_FUZZ_CHECK(std::isfinite(*steal) && *steal >= 0);
  absl::StatusOr<std::vector<CpuModeSeconds>> modes = ParseCpuModeSeconds(input);
  if (modes.ok()) {
    // At least user, nice, system and idle; never more modes than there are.
    STRATA_FUZZ_CHECK(modes->size() >= 4 && modes->size() <= kCpuModes.size());
    for (const CpuModeSeconds& mode : *modes) {
      STRATA_FUZZ_CHECK(std::isfinite(mode.seconds) && mode.seconds >= 0);
    }
    // Steal is the same column for both parsers.
    STRATA_FUZZ_CHECK(steal.ok());
    if (modes->size() == kCpuModes.size()) STRATA_FUZZ_CHECK(modes->back().seconds == *steal);
  }
  (void)CpuinfoHasHypervisorFlag(input);

  const std::string uuid = NormalizeDmiUuid(input);
  STRATA_FUZZ_CHECK(uuid.empty() || uuid.size() == 36);
  for (char c : uuid)
    STRATA_FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-');
  const std::string serial = NormalizeDmiSerial(input);
  STRATA_FUZZ_CHECK(serial.size() <= 64);
  for (char c : serial) STRATA_FUZZ_CHECK(c >= 0x20 && c <= 0x7e);
  const std::string machine_id = NormalizeMachineId(input);
  STRATA_FUZZ_CHECK(machine_id.empty() || machine_id.size() == 32);
  for (char c : machine_id) STRATA_FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
}

}  // namespace strata::fuzz
