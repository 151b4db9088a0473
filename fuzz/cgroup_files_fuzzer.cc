// The cgroup v1 and v2 interface-file parsers (cgroup_parsers.h), every one
// on every input: the seeds are the files of the committed cgroup trees.
#include <set>
#include <utility>
#include <vector>

#include "collectors/cgroup/cgroup_parsers.h"
#include "fuzz/fuzz_support.h"

namespace strata::fuzz {

void FuzzOne(absl::string_view input) {
  (void)ParseFlatKeyed(input);
  (void)ParseSingleValue(input);
  (void)ParseSignedValue(input);
  (void)ParseMaxOrValue(input);

  absl::StatusOr<CpuMax> cpu_max = ParseCpuMax(input);
  if (cpu_max.ok()) STRATA_FUZZ_CHECK(cpu_max->period_us > 0);

  (void)ParsePressure(input);

  absl::StatusOr<std::vector<DeviceIo>> io = ParseIoStat(input);
  for (bool operations : {false, true}) {
    std::vector<DeviceIo> devices;
    if (!ParseBlkioThrottle(input, operations, devices).ok()) continue;
    // Merged by major:minor: each device once.
    std::set<std::pair<uint32_t, uint32_t>> seen;
    for (const DeviceIo& device : devices) {
      STRATA_FUZZ_CHECK(seen.insert({device.major, device.minor}).second);
    }
  }
}

}  // namespace strata::fuzz
