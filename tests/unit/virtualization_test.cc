#include "collectors/host/virtualization.h"

#include <ostream>
#include <string>

#include "gtest/gtest.h"

namespace strata {
namespace {

constexpr char kDockerId[] = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899";

// One host: the signals it shows and what systemd-detect-virt says of it.
struct VirtCase {
  const char* name;
  void (*set)(VirtSignals&);
  const char* role;
  const char* hypervisor;
  const char* container_runtime;
};

void PrintTo(const VirtCase& c, std::ostream* os) { *os << c.name; }

void KvmGuest(VirtSignals& s) {
  s.cpuinfo_hypervisor_flag = true;
  s.available_clocksource = "kvm-clock tsc acpi_pm";
}

const VirtCase kCases[] = {
    // Virtual machines.
    {"BareMetalNothingSet", [](VirtSignals&) {}, "bare-metal", "none", "none"},
    {"BareMetalServer",
     [](VirtSignals& s) {
       s.dmi_product_name = "PowerEdge R640";
       s.dmi_sys_vendor = "Dell Inc.";
       s.dmi_board_vendor = "Dell Inc.";
       s.dmi_bios_vendor = "Dell Inc.";
       s.available_clocksource = "tsc hpet acpi_pm";
       s.pid1_cgroup = "0::/init.scope\n";
     },
     "bare-metal", "none", "none"},
    {"KvmFromFlagAndKvmClock", KvmGuest, "vm", "kvm", "none"},
    {"KvmClockWinsOverQemuDmi",
     [](VirtSignals& s) {
       KvmGuest(s);
       s.dmi_product_name = "Standard PC (Q35 + ICH9, 2009)";
       s.dmi_sys_vendor = "QEMU";
       s.dmi_bios_vendor = "SeaBIOS";
     },
     "vm", "kvm", "none"},
    {"QemuDmiWithoutKvmClock",
     [](VirtSignals& s) {
       s.cpuinfo_hypervisor_flag = true;
       s.available_clocksource = "tsc hpet acpi_pm";
       s.dmi_product_name = "Standard PC (i440FX + PIIX, 1996)";
       s.dmi_sys_vendor = "QEMU";
     },
     "vm", "qemu", "none"},
    {"VirtualBoxDmiWinsOverKvmClock",
     [](VirtSignals& s) {
       KvmGuest(s);
       s.dmi_sys_vendor = "innotek GmbH";
       s.dmi_bios_vendor = "innotek GmbH";
     },
     "vm", "oracle", "none"},
    {"AmazonEc2DmiWinsOverKvmClock",
     [](VirtSignals& s) {
       KvmGuest(s);
       s.dmi_product_name = "m5.large";
       s.dmi_sys_vendor = "Amazon EC2";
       s.dmi_bios_vendor = "Amazon EC2";
     },
     "vm", "amazon", "none"},
    {"KvmProductName", [](VirtSignals& s) { s.dmi_product_name = "KVM"; }, "vm", "kvm", "none"},
    {"ProductNameCheckedBeforeSysVendor",
     [](VirtSignals& s) {
       s.dmi_product_name = "KVM";
       s.dmi_sys_vendor = "QEMU";
     },
     "vm", "kvm", "none"},
    {"VmwareDmi",
     [](VirtSignals& s) {
       s.cpuinfo_hypervisor_flag = true;
       s.available_clocksource = "tsc hpet acpi_pm";
       s.dmi_product_name = "VMware7,1";
       s.dmi_sys_vendor = "VMware, Inc.";
     },
     "vm", "vmware", "none"},
    {"UnknownHypervisorFromFlagOnly",
     [](VirtSignals& s) {
       s.cpuinfo_hypervisor_flag = true;
       s.available_clocksource = "tsc hpet acpi_pm";
     },
     "vm", "vm-other", "none"},
    {"KvmClockWithoutFlagIsIgnored",
     [](VirtSignals& s) { s.available_clocksource = "kvm-clock tsc"; }, "bare-metal", "none",
     "none"},
    {"XenGuestFromProcXen",
     [](VirtSignals& s) {
       s.proc_xen = true;
       s.sys_hypervisor_type = "xen";
     },
     "vm", "xen", "none"},
    {"XenDom0IsNotAVm",
     [](VirtSignals& s) {
       s.proc_xen = true;
       s.xen_dom0 = true;
       s.sys_hypervisor_type = "xen";
     },
     "bare-metal", "none", "none"},
    {"SysHypervisorTypeXen", [](VirtSignals& s) { s.sys_hypervisor_type = "xen\n"; }, "vm", "xen",
     "none"},
    {"SysHypervisorTypeOther", [](VirtSignals& s) { s.sys_hypervisor_type = "z/VM"; }, "vm",
     "vm-other", "none"},
    {"XenDmiWinsOverHyperVClock",
     [](VirtSignals& s) {
       s.cpuinfo_hypervisor_flag = true;
       s.available_clocksource = "hyperv_clocksource_tsc_page tsc";
       s.dmi_product_name = "HVM domU";
       s.dmi_sys_vendor = "Xen";
     },
     "vm", "xen", "none"},
    {"HyperVClocksource",
     [](VirtSignals& s) {
       s.cpuinfo_hypervisor_flag = true;
       s.available_clocksource = "hyperv_clocksource_tsc_page acpi_pm";
       s.dmi_product_name = "Virtual Machine";
       s.dmi_sys_vendor = "Microsoft Corporation";
     },
     "vm", "microsoft", "none"},

    // Containers.
    {"OpenVz", [](VirtSignals& s) { s.proc_vz = true; }, "container", "none", "openvz"},
    {"OpenVzHostHasProcBc",
     [](VirtSignals& s) {
       s.proc_vz = true;
       s.proc_bc = true;
     },
     "bare-metal", "none", "none"},
    {"Wsl2Osrelease",
     [](VirtSignals& s) { s.kernel_osrelease = "5.15.90.1-microsoft-standard-WSL2"; }, "container",
     "none", "wsl"},
    {"Wsl1Osrelease", [](VirtSignals& s) { s.kernel_osrelease = "4.4.0-19041-Microsoft"; },
     "container", "none", "wsl"},
    {"WslInterop", [](VirtSignals& s) { s.wsl_interop = true; }, "container", "none", "wsl"},
    {"RunSystemdContainerNspawn",
     [](VirtSignals& s) { s.run_systemd_container = "systemd-nspawn"; }, "container", "none",
     "systemd-nspawn"},
    {"RunHostContainerManagerFirst",
     [](VirtSignals& s) {
       s.run_host_container_manager = "podman";
       s.run_systemd_container = "systemd-nspawn";
     },
     "container", "none", "podman"},
    {"Pid1EnvLxc", [](VirtSignals& s) { s.pid1_container_env = "lxc"; }, "container", "none",
     "lxc"},
    {"Pid1EnvPodman", [](VirtSignals& s) { s.pid1_container_env = "podman"; }, "container", "none",
     "podman"},
    {"Pid1EnvOciWithDockerenv",
     [](VirtSignals& s) {
       s.pid1_container_env = "oci";
       s.dockerenv = true;
     },
     "container", "none", "docker"},
    {"Pid1EnvOciWithContainerenv",
     [](VirtSignals& s) {
       s.pid1_container_env = "oci";
       s.containerenv = true;
     },
     "container", "none", "podman"},
    {"Pid1EnvOciAlone", [](VirtSignals& s) { s.pid1_container_env = "oci"; }, "container", "none",
     "container-other"},
    {"Pid1EnvUnknown", [](VirtSignals& s) { s.pid1_container_env = "my-runtime"; }, "container",
     "none", "container-other"},
    {"Pid1EnvWinsOverDockerenv",
     [](VirtSignals& s) {
       s.pid1_container_env = "lxc";
       s.dockerenv = true;
     },
     "container", "none", "lxc"},
    {"EmptyPid1EnvIsIgnored", [](VirtSignals& s) { s.pid1_container_env = ""; }, "bare-metal",
     "none", "none"},
    {"DockerenvAlone", [](VirtSignals& s) { s.dockerenv = true; }, "container", "none", "docker"},
    {"ContainerenvAlone", [](VirtSignals& s) { s.containerenv = true; }, "container", "none",
     "podman"},
    {"Pid1CgroupDockerV1",
     [](VirtSignals& s) {
       s.pid1_cgroup = std::string("12:memory:/docker/") + kDockerId + "\n11:cpu,cpuacct:/docker/" +
                       kDockerId + "\n1:name=systemd:/docker/" + kDockerId + "\n";
     },
     "container", "none", "docker"},
    {"Pid1CgroupDockerSystemdDriver",
     [](VirtSignals& s) {
       s.pid1_cgroup = std::string("0::/system.slice/docker-") + kDockerId + ".scope\n";
     },
     "container", "none", "docker"},
    {"Pid1CgroupLibpod",
     [](VirtSignals& s) {
       s.pid1_cgroup = std::string("0::/machine.slice/libpod-") + kDockerId + ".scope\n";
     },
     "container", "none", "podman"},
    {"Pid1CgroupLxc", [](VirtSignals& s) { s.pid1_cgroup = "0::/lxc.payload.c1\n"; }, "container",
     "none", "lxc"},
    {"Pid1CgroupKubepods",
     [](VirtSignals& s) {
       s.pid1_cgroup =
           "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice\n";
     },
     "container", "none", "container-other"},
    {"Pid1CgroupRoot", [](VirtSignals& s) { s.pid1_cgroup = "0::/\n"; }, "bare-metal", "none",
     "none"},
    {"Pid1CgroupInitScope", [](VirtSignals& s) { s.pid1_cgroup = "0::/init.scope\n"; },
     "bare-metal", "none", "none"},

    // Both.
    {"DockerInKvm",
     [](VirtSignals& s) {
       KvmGuest(s);
       s.dockerenv = true;
     },
     "container-in-vm", "kvm", "docker"},
    {"LxcInAmazon",
     [](VirtSignals& s) {
       KvmGuest(s);
       s.dmi_sys_vendor = "Amazon EC2";
       s.pid1_container_env = "lxc";
     },
     "container-in-vm", "amazon", "lxc"},
    {"Wsl2OnHyperV",
     [](VirtSignals& s) {
       s.cpuinfo_hypervisor_flag = true;
       s.available_clocksource = "hyperv_clocksource_tsc_page tsc acpi_pm";
       s.kernel_osrelease = "5.15.90.1-microsoft-standard-WSL2";
     },
     "container-in-vm", "microsoft", "wsl"},
};

class ClassifyVirtualizationTest : public ::testing::TestWithParam<VirtCase> {};

TEST_P(ClassifyVirtualizationTest, FollowsSystemdDetectVirt) {
  const VirtCase& c = GetParam();
  VirtSignals signals;
  c.set(signals);
  Virtualization v = ClassifyVirtualization(signals);
  EXPECT_EQ(v.role, c.role);
  EXPECT_EQ(v.hypervisor, c.hypervisor);
  EXPECT_EQ(v.container_runtime, c.container_runtime);
  // The parts agree with the whole.
  EXPECT_EQ(DetectHypervisor(signals), v.hypervisor);
  EXPECT_EQ(DetectContainerRuntime(signals), v.container_runtime);
}

INSTANTIATE_TEST_SUITE_P(Hosts, ClassifyVirtualizationTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<VirtCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(ClassifyVirtualization, RoleCombinesHypervisorAndContainer) {
  struct Case {
    bool vm;
    bool container;
    const char* role;
  };
  const Case cases[] = {
      {false, false, "bare-metal"},
      {true, false, "vm"},
      {false, true, "container"},
      {true, true, "container-in-vm"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.role);
    VirtSignals signals;
    if (c.vm) signals.dmi_product_name = "KVM";
    if (c.container) signals.containerenv = true;
    EXPECT_EQ(ClassifyVirtualization(signals).role, c.role);
  }
}

}  // namespace
}  // namespace strata
