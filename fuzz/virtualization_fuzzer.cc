// The virtualisation signals (virtualization.h): DMI strings, cpuinfo flags,
// clock sources, Xen, WSL and container markers, PID 1's environment and
// cgroup, read through HostFs and classified.
//
// Input format: the contents of the files in kSignalFiles, in that order,
// separated by the byte 0x1E (ASCII record separator); an empty or missing
// record is a missing file. fuzz/make-corpora packs the host fixture trees
// this way.
#include <ostream>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "collectors/host/virtualization.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/memory_host_fs.h"

namespace strata::fuzz {
namespace {

struct SignalFile {
  HostRoot root;
  const char* path;
};

// Keep in step with the list in fuzz/make-corpora.
constexpr SignalFile kSignalFiles[] = {
    {HostRoot::kSys, "class/dmi/id/product_name"},
    {HostRoot::kSys, "class/dmi/id/sys_vendor"},
    {HostRoot::kSys, "class/dmi/id/board_vendor"},
    {HostRoot::kSys, "class/dmi/id/bios_vendor"},
    {HostRoot::kSys, "class/dmi/id/product_version"},
    {HostRoot::kProc, "cpuinfo"},
    {HostRoot::kSys, "devices/system/clocksource/clocksource0/available_clocksource"},
    {HostRoot::kSys, "hypervisor/type"},
    {HostRoot::kProc, "xen"},
    {HostRoot::kSys, "hypervisor/properties/features"},
    {HostRoot::kProc, "vz"},
    {HostRoot::kProc, "bc"},
    {HostRoot::kProc, "sys/kernel/osrelease"},
    {HostRoot::kProc, "sys/fs/binfmt_misc/WSLInterop"},
    {HostRoot::kRootfs, "run/host/container-manager"},
    {HostRoot::kRootfs, "run/systemd/container"},
    {HostRoot::kProc, "1/environ"},
    {HostRoot::kRootfs, ".dockerenv"},
    {HostRoot::kRootfs, "run/.containerenv"},
    {HostRoot::kProc, "1/cgroup"},
};

}  // namespace

void FuzzOne(absl::string_view input) {
  MemoryHostFs fs;
  size_t i = 0;
  for (absl::string_view record : absl::StrSplit(input, '\x1e')) {
    if (i == std::size(kSignalFiles)) break;
    if (!record.empty()) fs.Add(kSignalFiles[i].root, kSignalFiles[i].path, std::string(record));
    ++i;
  }
  // Logs at debug level into nothing, so the formatting of hostile text runs too.
  std::ostream discard(nullptr);
  const Logger logger(LogLevel::kDebug, discard);

  const Virtualization v = ClassifyVirtualization(ReadVirtSignals(fs, logger));
  static const std::set<std::string> kRoles = {"bare-metal", "vm", "container", "container-in-vm"};
  STRATA_FUZZ_CHECK(kRoles.count(v.role) == 1);
  // Both are names from systemd-detect-virt's tables, never text from a file.
  for (const std::string* name : {&v.hypervisor, &v.container_runtime}) {
    STRATA_FUZZ_CHECK(!name->empty());
    for (char c : *name)
      STRATA_FUZZ_CHECK(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' || c == '_');
  }
  // The role is what the two detections say.
  const bool vm = v.hypervisor != "none";
  const bool container = v.container_runtime != "none";
  STRATA_FUZZ_CHECK(v.role == (vm ? (container ? "container-in-vm" : "vm")
                                  : (container ? "container" : "bare-metal")));
}

}  // namespace strata::fuzz
