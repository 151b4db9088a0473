#include "collectors/host/virtualization.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "collectors/host/proc_parsers.h"

namespace strata {
namespace {

constexpr char kNone[] = "none";
constexpr char kVmOther[] = "vm-other";
constexpr char kContainerOther[] = "container-other";

// systemd's dmi_vendor_table: a DMI string starting with the key names the VM.
constexpr std::pair<const char*, const char*> kDmiVendors[] = {
    {"KVM", "kvm"},
    {"OpenStack", "kvm"},
    {"KubeVirt", "kvm"},
    {"Amazon EC2", "amazon"},
    {"QEMU", "qemu"},
    {"VMware", "vmware"},
    {"VMW", "vmware"},
    {"innotek GmbH", "oracle"},
    {"VirtualBox", "oracle"},
    {"Oracle Corporation", "oracle"},
    {"Xen", "xen"},
    {"Bochs", "bochs"},
    {"Parallels", "parallels"},
    {"BHYVE", "bhyve"},
    {"Hyper-V", "microsoft"},
    {"Apple Virtualization", "apple"},
    {"Google Compute Engine", "google"},
};

// Clock sources only a guest of that hypervisor registers: our stand-in for
// the CPUID vendor signature.
constexpr std::pair<const char*, const char*> kParavirtClocks[] = {
    {"kvm-clock", "kvm"},
    {"xen", "xen"},
    {"hyperv_clocksource_tsc_page", "microsoft"},
    {"hyperv_clocksource_msr", "microsoft"},
};

// Names systemd accepts in container=; anything else is container-other.
constexpr const char* kKnownContainers[] = {
    "lxc", "lxc-libvirt", "systemd-nspawn", "docker", "podman", "rkt", "wsl", "proot", "pouch",
};

std::string DetectDmi(const VirtSignals& s) {
  // Product name first, so KVM is told apart from QEMU, as systemd does.
  for (const std::string* field : {&s.dmi_product_name, &s.dmi_sys_vendor, &s.dmi_board_vendor,
                                   &s.dmi_bios_vendor, &s.dmi_product_version}) {
    for (const auto& [prefix, name] : kDmiVendors) {
      if (absl::StartsWith(*field, prefix)) return name;
    }
  }
  return kNone;
}

std::string DetectParavirtClock(const VirtSignals& s) {
  for (absl::string_view clock : absl::StrSplit(s.available_clocksource, ' ', absl::SkipEmpty())) {
    clock = absl::StripAsciiWhitespace(clock);
    for (const auto& [name, vm] : kParavirtClocks) {
      if (clock == name) return vm;
    }
  }
  return kNone;
}

std::string TranslateContainerName(absl::string_view name, const VirtSignals& s) {
  for (const char* known : kKnownContainers) {
    if (name == known) return known;
  }
  if (name == "oci") {
    // OCI runtimes set container=oci; the runtime's marker file says which.
    if (s.dockerenv) return "docker";
    if (s.containerenv) return "podman";
  }
  return kContainerOther;
}

// Last resort for runtimes that mark nothing: PID 1's cgroup path, visible
// without cgroup namespaces.
std::string DetectFromPid1Cgroup(absl::string_view cgroup) {
  for (absl::string_view line : absl::StrSplit(cgroup, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (parts.size() != 3) continue;
    absl::string_view path = parts[2];
    if (absl::StrContains(path, "/libpod-") || absl::StrContains(path, "/libpod_parent")) {
      return "podman";
    }
    if (absl::StrContains(path, "/docker/") || absl::StrContains(path, "/docker-")) return "docker";
    if (absl::StartsWith(path, "/lxc/") || absl::StartsWith(path, "/lxc.payload")) return "lxc";
    if (absl::StrContains(path, "/kubepods")) return kContainerOther;
  }
  return kNone;
}

}  // namespace

std::string DetectHypervisor(const VirtSignals& s) {
  const std::string dmi = DetectDmi(s);
  // These hypervisors are named by DMI even when they run on KVM.
  if (dmi == "oracle" || dmi == "xen" || dmi == "amazon" || dmi == "parallels") return dmi;
  if (s.proc_xen && !s.xen_dom0) return "xen";
  bool other = false;
  if (s.cpuinfo_hypervisor_flag) {
    std::string clock = DetectParavirtClock(s);
    if (clock != kNone) return clock;
    other = true;
  }
  if (dmi != kNone) return dmi;
  const std::string type(absl::StripAsciiWhitespace(s.sys_hypervisor_type));
  if (type == "xen") return s.xen_dom0 ? kNone : "xen";
  if (!type.empty()) return kVmOther;
  return other ? kVmOther : kNone;
}

std::string DetectContainerRuntime(const VirtSignals& s) {
  if (s.proc_vz && !s.proc_bc) return "openvz";
  if (absl::StrContains(s.kernel_osrelease, "Microsoft") ||
      absl::StrContains(s.kernel_osrelease, "WSL") || s.wsl_interop) {
    return "wsl";
  }
  for (const std::string* manager : {&s.run_host_container_manager, &s.run_systemd_container}) {
    absl::string_view name = absl::StripAsciiWhitespace(*manager);
    if (!name.empty()) return TranslateContainerName(name, s);
  }
  if (s.pid1_container_env.has_value() && !s.pid1_container_env->empty()) {
    return TranslateContainerName(*s.pid1_container_env, s);
  }
  if (s.dockerenv) return "docker";
  if (s.containerenv) return "podman";
  return DetectFromPid1Cgroup(s.pid1_cgroup);
}

Virtualization ClassifyVirtualization(const VirtSignals& signals) {
  Virtualization v;
  v.hypervisor = DetectHypervisor(signals);
  v.container_runtime = DetectContainerRuntime(signals);
  const bool vm = v.hypervisor != kNone;
  const bool container = v.container_runtime != kNone;
  v.role = vm && container ? "container-in-vm" : vm ? "vm" : container ? "container" : "bare-metal";
  return v;
}

namespace {

// Reads an optional signal file: absent or unreadable yields "".
std::string ReadSignal(const HostFs& fs, const Logger& logger, HostRoot root,
                       absl::string_view path) {
  absl::StatusOr<std::string> text = fs.ReadFile(root, path);
  if (!text.ok()) {
    if (!absl::IsNotFound(text.status())) {
      logger.Debug("virtualization signal not readable",
                   {{"collector", "host"}, {"err", std::string(text.status().message())}});
    }
    return "";
  }
  return std::string(absl::StripAsciiWhitespace(*text));
}

bool SignalExists(const HostFs& fs, const Logger& logger, HostRoot root, absl::string_view path) {
  absl::StatusOr<bool> exists = fs.Exists(root, path);
  if (!exists.ok()) {
    logger.Debug("virtualization signal not readable",
                 {{"collector", "host"}, {"err", std::string(exists.status().message())}});
    return false;
  }
  return *exists;
}

// The features file is a hex bitmap; bit 11 is XENFEAT_dom0.
bool IsXenDom0(absl::string_view features_hex) {
  uint64_t features = 0;
  if (features_hex.empty() || !absl::SimpleHexAtoi(features_hex, &features)) return false;
  return (features >> 11) & 1;
}

std::optional<std::string> ContainerFromEnviron(absl::string_view environ) {
  for (absl::string_view entry : absl::StrSplit(environ, '\0', absl::SkipEmpty())) {
    if (absl::ConsumePrefix(&entry, "container=")) return std::string(entry);
  }
  return std::nullopt;
}

}  // namespace

VirtSignals ReadVirtSignals(const HostFs& fs, const Logger& logger) {
  VirtSignals s;
  s.dmi_product_name = ReadSignal(fs, logger, HostRoot::kSys, "class/dmi/id/product_name");
  s.dmi_sys_vendor = ReadSignal(fs, logger, HostRoot::kSys, "class/dmi/id/sys_vendor");
  s.dmi_board_vendor = ReadSignal(fs, logger, HostRoot::kSys, "class/dmi/id/board_vendor");
  s.dmi_bios_vendor = ReadSignal(fs, logger, HostRoot::kSys, "class/dmi/id/bios_vendor");
  s.dmi_product_version = ReadSignal(fs, logger, HostRoot::kSys, "class/dmi/id/product_version");
  s.cpuinfo_hypervisor_flag =
      CpuinfoHasHypervisorFlag(ReadSignal(fs, logger, HostRoot::kProc, "cpuinfo"));
  s.available_clocksource = ReadSignal(
      fs, logger, HostRoot::kSys, "devices/system/clocksource/clocksource0/available_clocksource");
  s.sys_hypervisor_type = ReadSignal(fs, logger, HostRoot::kSys, "hypervisor/type");
  s.proc_xen = SignalExists(fs, logger, HostRoot::kProc, "xen");
  s.xen_dom0 = IsXenDom0(ReadSignal(fs, logger, HostRoot::kSys, "hypervisor/properties/features"));
  s.proc_vz = SignalExists(fs, logger, HostRoot::kProc, "vz");
  s.proc_bc = SignalExists(fs, logger, HostRoot::kProc, "bc");
  s.kernel_osrelease = ReadSignal(fs, logger, HostRoot::kProc, "sys/kernel/osrelease");
  s.wsl_interop = SignalExists(fs, logger, HostRoot::kProc, "sys/fs/binfmt_misc/WSLInterop");
  s.run_host_container_manager =
      ReadSignal(fs, logger, HostRoot::kRootfs, "run/host/container-manager");
  s.run_systemd_container = ReadSignal(fs, logger, HostRoot::kRootfs, "run/systemd/container");
  absl::StatusOr<std::string> environ = fs.ReadFile(HostRoot::kProc, "1/environ");
  if (environ.ok()) {
    s.pid1_container_env = ContainerFromEnviron(*environ);
  } else if (!absl::IsNotFound(environ.status())) {
    logger.Debug("virtualization signal not readable",
                 {{"collector", "host"}, {"err", std::string(environ.status().message())}});
  }
  s.dockerenv = SignalExists(fs, logger, HostRoot::kRootfs, ".dockerenv");
  s.containerenv = SignalExists(fs, logger, HostRoot::kRootfs, "run/.containerenv");
  s.pid1_cgroup = ReadSignal(fs, logger, HostRoot::kProc, "1/cgroup");
  return s;
}

}  // namespace strata
