// The procfs and sysfs parsers of the host collector (proc_parsers.h), every
// one on every input: the seeds are the host fixtures' meminfo, stat,
// cpuinfo and cpu lists.
#include <cmath>

#include "collectors/host/proc_parsers.h"
#include "fuzz/fuzz_support.h"

namespace strata::fuzz {

void FuzzOne(absl::string_view input) {
  absl::StatusOr<int> cpus = ParseCpuListCount(input);
  if (cpus.ok()) STRATA_FUZZ_CHECK(*cpus > 0 && *cpus <= (1 << 20));
  absl::StatusOr<double> memory = ParseMemTotalBytes(input);
  if (memory.ok()) STRATA_FUZZ_CHECK(std::isfinite(*memory) && *memory >= 0);
  absl::StatusOr<double> steal = ParseStealSeconds(input);
  if (steal.ok()) STRATA_FUZZ_CHECK(std::isfinite(*steal) && *steal >= 0);
  (void)CpuinfoHasHypervisorFlag(input);
}

}  // namespace strata::fuzz
