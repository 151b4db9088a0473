// Where this host runs: bare metal, a virtual machine, a container, or a
// container inside a virtual machine, decided from the file signals that
// systemd-detect-virt uses, in its order. The CPUID hypervisor vendor, which
// no file exposes, is replaced by the paravirtual clock sources the guest
// kernel registers (kvm-clock, xen, hyperv_clocksource_*).
#pragma once

#include <optional>
#include <string>

#include "base/host_fs.h"
#include "base/logging.h"

namespace strata {

// Raw signals; an absent file is an empty string or false.
struct VirtSignals {
  // /sys/class/dmi/id/*, trimmed.
  std::string dmi_product_name;
  std::string dmi_sys_vendor;
  std::string dmi_board_vendor;
  std::string dmi_bios_vendor;
  std::string dmi_product_version;
  bool cpuinfo_hypervisor_flag = false;
  std::string available_clocksource;  // sysfs clocksource0
  std::string sys_hypervisor_type;    // /sys/hypervisor/type
  bool proc_xen = false;              // /proc/xen exists
  bool xen_dom0 = false;              // XENFEAT_dom0 set in /sys/hypervisor/properties/features
  bool proc_vz = false;
  bool proc_bc = false;
  std::string kernel_osrelease;                   // /proc/sys/kernel/osrelease
  bool wsl_interop = false;                       // /proc/sys/fs/binfmt_misc/WSLInterop exists
  std::string run_host_container_manager;         // /run/host/container-manager
  std::string run_systemd_container;              // /run/systemd/container
  std::optional<std::string> pid1_container_env;  // container= in /proc/1/environ
  bool dockerenv = false;                         // /.dockerenv
  bool containerenv = false;                      // /run/.containerenv
  std::string pid1_cgroup;                        // /proc/1/cgroup
};

struct Virtualization {
  std::string role;               // bare-metal, vm, container, container-in-vm
  std::string hypervisor;         // systemd-detect-virt --vm names, or "none"
  std::string container_runtime;  // systemd-detect-virt --container names, or "none"
};

// Pure classification, in systemd-detect-virt's order of precedence.
std::string DetectHypervisor(const VirtSignals& signals);
std::string DetectContainerRuntime(const VirtSignals& signals);
Virtualization ClassifyVirtualization(const VirtSignals& signals);

// Reads the signals through `fs`. A signal that cannot be read (PID 1's
// environment is root-only) counts as absent and is logged at debug level.
VirtSignals ReadVirtSignals(const HostFs& fs, const Logger& logger);

}  // namespace strata
