#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "collectors/libvirt/domain_xml.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr double kKiB = 1024;
constexpr double kMiB = 1024 * kKiB;
constexpr double kGiB = 1024 * kMiB;

// `virsh -c test:///default dumpxml test` (libvirt 9.0).
constexpr char kTestDriverDomain[] = R"(<domain type='test' id='1'>
  <name>test</name>
  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
  <memory unit='KiB'>8388608</memory>
  <currentMemory unit='KiB'>2097152</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='i686'>hvm</type>
    <boot dev='hd'/>
  </os>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <source file='/guest/diskimage1'/>
      <target dev='vda' bus='virtio'/>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </disk>
    <interface type='network'>
      <mac address='aa:bb:cc:dd:ee:ff'/>
      <source network='default'/>
      <target dev='testnet0'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>
    </interface>
    <memballoon model='virtio'>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>
    </memballoon>
  </devices>
</domain>
)";

// The live XML of a running OpenStack instance on QEMU/KVM, as Nova defines it
// and libvirt 9.0 returns it; NOVA_METADATA is replaced per test.
constexpr char kNovaDomain[] = R"(<domain type='kvm' id='7'>
  <name>instance-0000002a</name>
  <uuid>4f0e9c1a-5b3d-4e8f-9a71-2c6d8b0e1f34</uuid>
  <metadata>
NOVA_METADATA
  </metadata>
  <memory unit='KiB'>4194304</memory>
  <currentMemory unit='KiB'>4194304</currentMemory>
  <vcpu placement='static' current='2'>4</vcpu>
  <cputune>
    <shares>2048</shares>
  </cputune>
  <resource>
    <partition>/machine</partition>
  </resource>
  <sysinfo type='smbios'>
    <system>
      <entry name='manufacturer'>OpenStack Foundation</entry>
      <entry name='product'>OpenStack Nova</entry>
      <entry name='serial'>4f0e9c1a-5b3d-4e8f-9a71-2c6d8b0e1f34</entry>
      <entry name='uuid'>4f0e9c1a-5b3d-4e8f-9a71-2c6d8b0e1f34</entry>
      <entry name='family'>Virtual Machine</entry>
    </system>
  </sysinfo>
  <os>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <boot dev='hd'/>
    <smbios mode='sysinfo'/>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>
  <cpu mode='host-model' check='partial'/>
  <clock offset='utc'>
    <timer name='pit' tickpolicy='delay'/>
    <timer name='rtc' tickpolicy='catchup'/>
    <timer name='hpet' present='no'/>
  </clock>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none'/>
      <source file='/var/lib/nova/instances/4f0e9c1a-5b3d-4e8f-9a71-2c6d8b0e1f34/disk' index='4'/>
      <backingStore type='file' index='5'>
        <format type='raw'/>
        <source file='/var/lib/nova/instances/_base/9d2c1e0f5a7b'/>
        <backingStore/>
      </backingStore>
      <target dev='vda' bus='virtio'/>
      <alias name='virtio-disk0'/>
      <address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>
    </disk>
    <disk type='block' device='disk'>
      <driver name='qemu' type='raw' cache='none' io='native'/>
      <source dev='/dev/disk/by-id/dm-uuid-mpath-36001405e0c1f' index='3'/>
      <backingStore/>
      <target dev='vdb' bus='virtio'/>
      <serial>a2c1f7d0-3e4b-4c59-8d6e-7f8091a2b3c4</serial>
      <alias name='virtio-disk1'/>
      <address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x0'/>
    </disk>
    <disk type='network' device='disk'>
      <driver name='qemu' type='raw' cache='writeback' discard='unmap'/>
      <auth username='cinder'>
        <secret type='ceph' uuid='0b9a8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d'/>
      </auth>
      <source protocol='rbd' name='volumes/volume-7c6b5a4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d' index='2'>
        <host name='10.0.0.11' port='6789'/>
        <host name='10.0.0.12' port='6789'/>
      </source>
      <target dev='vdc' bus='virtio'/>
      <alias name='virtio-disk2'/>
      <address type='pci' domain='0x0000' bus='0x06' slot='0x00' function='0x0'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
      <alias name='sata0-0-0'/>
      <address type='drive' controller='0' bus='0' target='0' unit='0'/>
    </disk>
    <controller type='sata' index='0'>
      <alias name='ide'/>
    </controller>
    <interface type='bridge'>
      <mac address='fa:16:3e:5d:2a:91'/>
      <source bridge='qbr5d2a91c4-7e'/>
      <target dev='tap5d2a91c4-7e'/>
      <model type='virtio'/>
      <mtu size='1450'/>
      <alias name='net0'/>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </interface>
    <interface type='ethernet'>
      <mac address='fa:16:3e:08:b7:3c'/>
      <target dev='tap08b73c11-a0' managed='no'/>
      <model type='virtio'/>
      <alias name='net1'/>
      <address type='pci' domain='0x0000' bus='0x02' slot='0x00' function='0x0'/>
    </interface>
    <serial type='pty'>
      <source path='/dev/pts/3'/>
      <log file='/var/lib/nova/instances/4f0e9c1a-5b3d-4e8f-9a71-2c6d8b0e1f34/console.log' append='off'/>
      <target type='isa-serial' port='0'>
        <model name='isa-serial'/>
      </target>
      <alias name='serial0'/>
    </serial>
    <memballoon model='virtio'>
      <stats period='10'/>
      <alias name='balloon0'/>
      <address type='pci' domain='0x0000' bus='0x07' slot='0x00' function='0x0'/>
    </memballoon>
  </devices>
  <seclabel type='dynamic' model='apparmor' relabel='yes'>
    <label>libvirt-4f0e9c1a-5b3d-4e8f-9a71-2c6d8b0e1f34</label>
  </seclabel>
</domain>
)";

// nova:instance as Nova's libvirt driver writes it: namespace 1.0 (before
// Ussuri) and 1.1 (adds nova:ports).
constexpr char kNovaMetadata10[] =
    R"(    <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.0">
      <nova:package version="21.2.4"/>
      <nova:name>web-frontend-1</nova:name>
      <nova:creationTime>2024-03-18 09:12:44</nova:creationTime>
      <nova:flavor name="m1.medium">
        <nova:memory>4096</nova:memory>
        <nova:disk>40</nova:disk>
        <nova:swap>0</nova:swap>
        <nova:ephemeral>0</nova:ephemeral>
        <nova:vcpus>4</nova:vcpus>
      </nova:flavor>
      <nova:owner>
        <nova:user uuid="8e3f1b2c4d5a4e6f9a0b1c2d3e4f5a6b">alice</nova:user>
        <nova:project uuid="1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6">webshop</nova:project>
      </nova:owner>
      <nova:root type="image" uuid="0c3e8f5a-1b2d-4c6e-8f9a-0b1c2d3e4f5a"/>
    </nova:instance>)";

constexpr char kNovaMetadata11[] =
    R"(    <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">
      <nova:package version="27.1.0"/>
      <nova:name>web-frontend-1</nova:name>
      <nova:creationTime>2024-03-18 09:12:44</nova:creationTime>
      <nova:flavor name="m1.medium">
        <nova:memory>4096</nova:memory>
        <nova:disk>40</nova:disk>
        <nova:swap>0</nova:swap>
        <nova:ephemeral>0</nova:ephemeral>
        <nova:vcpus>4</nova:vcpus>
      </nova:flavor>
      <nova:owner>
        <nova:user uuid="8e3f1b2c4d5a4e6f9a0b1c2d3e4f5a6b">alice</nova:user>
        <nova:project uuid="1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6">webshop</nova:project>
      </nova:owner>
      <nova:root type="image" uuid="0c3e8f5a-1b2d-4c6e-8f9a-0b1c2d3e4f5a"/>
      <nova:ports>
        <nova:port uuid="5d2a91c4-7e3b-4f0a-8c1d-2e3f4a5b6c7d">
          <nova:ip type="fixed" address="10.20.0.14" ipVersion="4"/>
        </nova:port>
      </nova:ports>
    </nova:instance>)";

std::string NovaDomain(const std::string& metadata) {
  return absl::StrReplaceAll(kNovaDomain, {{"NOVA_METADATA", metadata}});
}

// A minimal domain with the given <memory> element.
std::string DomainWithMemory(const std::string& memory) {
  return absl::StrCat("<domain type='kvm'><name>m</name>", memory,
                      "<vcpu>1</vcpu><os><type>hvm</type></os></domain>");
}

TEST(LibvirtDomainXml, ReadsTheTestDriversDomain) {
  absl::StatusOr<DomainDefinition> def = ParseDomainXml(kTestDriverDomain);
  ASSERT_TRUE(def.ok()) << def.status();
  EXPECT_EQ(def->os_type, "hvm");
  EXPECT_EQ(def->vcpus, 2);
  // <memory>, the maximum; not <currentMemory>, the balloon.
  EXPECT_EQ(def->memory_bytes, 8 * kGiB);
  EXPECT_THAT(def->disk_targets, ElementsAre("vda"));
  EXPECT_THAT(def->disk_sources, ElementsAre("/guest/diskimage1"));
  EXPECT_THAT(def->interface_targets, ElementsAre("testnet0"));
  // A balloon without <stats period>: the guest reports nothing.
  EXPECT_EQ(def->balloon_stats_period_seconds, 0);
  EXPECT_FALSE(def->nova.has_value());
}

TEST(LibvirtDomainXml, ReadsTheBalloonStatisticsPeriod) {
  absl::StatusOr<DomainDefinition> def = ParseDomainXml(NovaDomain(kNovaMetadata11));
  ASSERT_TRUE(def.ok()) << def.status();
  EXPECT_EQ(def->balloon_stats_period_seconds, 10);
  // Not a number, negative, absurd: no period, and no error for the domain.
  for (const char* period : {"soon", "-5", "1e30", ""}) {
    const std::string xml =
        absl::StrCat("<domain><devices><memballoon model='virtio'><stats period='", period,
                     "'/></memballoon></devices></domain>");
    absl::StatusOr<DomainDefinition> odd = ParseDomainXml(xml);
    ASSERT_TRUE(odd.ok()) << period << ": " << odd.status();
    EXPECT_EQ(odd->balloon_stats_period_seconds, 0) << period;
  }
}

TEST(LibvirtDomainXml, ReadsAQemuDomain) {
  absl::StatusOr<DomainDefinition> def = ParseDomainXml(NovaDomain(kNovaMetadata11));
  ASSERT_TRUE(def.ok()) << def.status();
  EXPECT_EQ(def->os_type, "hvm");
  // <vcpu current='2'>4</vcpu>: two are plugged in.
  EXPECT_EQ(def->vcpus, 2);
  EXPECT_EQ(def->memory_bytes, 4 * kGiB);
  // Sources line up with targets: file, block device, RBD image, and "" for
  // the CD-ROM drive without media.
  EXPECT_THAT(def->disk_targets, ElementsAre("vda", "vdb", "vdc", "sda"));
  EXPECT_THAT(def->disk_sources,
              ElementsAre("/var/lib/nova/instances/4f0e9c1a-5b3d-4e8f-9a71-2c6d8b0e1f34/disk",
                          "/dev/disk/by-id/dm-uuid-mpath-36001405e0c1f",
                          "volumes/volume-7c6b5a4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d", ""));
  EXPECT_THAT(def->interface_targets, ElementsAre("tap5d2a91c4-7e", "tap08b73c11-a0"));
}

TEST(LibvirtDomainXml, DiskSourcesStayAlignedWhenTheFirstDiskHasNone) {
  absl::StatusOr<DomainDefinition> def = ParseDomainXml(R"(<domain type='kvm'>
  <name>d</name><memory>1024</memory><vcpu>1</vcpu><os><type>hvm</type></os>
  <devices>
    <disk type='file' device='cdrom'><target dev='hda' bus='ide'/><readonly/></disk>
    <disk type='volume' device='disk'><source pool='default' volume='d.qcow2'/><target dev='vda'/></disk>
    <disk type='file' device='floppy'><target dev='fda'/></disk>
    <disk type='block' device='disk'><source dev='/dev/vg0/d'/><target dev='vdb'/></disk>
  </devices>
</domain>)");
  ASSERT_TRUE(def.ok()) << def.status();
  EXPECT_THAT(def->disk_targets, ElementsAre("hda", "vda", "fda", "vdb"));
  EXPECT_THAT(def->disk_sources, ElementsAre("", "d.qcow2", "", "/dev/vg0/d"));
  EXPECT_TRUE(def->interface_targets.empty());
}

TEST(LibvirtDomainXml, ReadsNovaMetadataInBothNamespaces) {
  for (const char* metadata : {kNovaMetadata10, kNovaMetadata11}) {
    SCOPED_TRACE(metadata);
    absl::StatusOr<DomainDefinition> def = ParseDomainXml(NovaDomain(metadata));
    ASSERT_TRUE(def.ok()) << def.status();
    ASSERT_TRUE(def->nova.has_value());
    EXPECT_EQ(def->nova->instance_name, "web-frontend-1");
    EXPECT_EQ(def->nova->flavor, "m1.medium");
    EXPECT_EQ(def->nova->project_name, "webshop");
    EXPECT_EQ(def->nova->project_uuid, "1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6");
    EXPECT_EQ(def->nova->user_name, "alice");
  }
}

TEST(LibvirtDomainXml, DomainWithoutMetadataHasNoNova) {
  absl::StatusOr<DomainDefinition> def = ParseDomainXml(NovaDomain(""));
  ASSERT_TRUE(def.ok()) << def.status();
  EXPECT_FALSE(def->nova.has_value());
}

// Another tool's <x:instance> metadata is not Nova's: only Nova's own
// namespaces (http://openstack.org/xmlns/libvirt/nova/1.0 and /1.1) should
// count.
TEST(LibvirtDomainXml, OtherToolsInstanceMetadataIsNotNova) {
  absl::StatusOr<DomainDefinition> def = ParseDomainXml(NovaDomain(
      R"(<app:instance xmlns:app="http://example.com/xmlns/provisioner/1.0">
           <app:name>batch-7</app:name><app:owner>ci</app:owner>
         </app:instance>)"));
  ASSERT_TRUE(def.ok()) << def.status();
  EXPECT_FALSE(def->nova.has_value());
}

TEST(LibvirtDomainXml, VcpusWithoutCurrentAreTheMaximum) {
  absl::StatusOr<DomainDefinition> def = ParseDomainXml(
      "<domain type='kvm'><name>v</name><vcpu placement='static'>\n  6\n</vcpu></domain>");
  ASSERT_TRUE(def.ok()) << def.status();
  EXPECT_EQ(def->vcpus, 6);
  EXPECT_EQ(def->memory_bytes, 0);
  EXPECT_EQ(def->os_type, "");
}

TEST(LibvirtDomainXml, MemoryInEveryUnit) {
  struct Case {
    const char* memory;
    double bytes;
  };
  const Case cases[] = {
      {"<memory>524288</memory>", 512 * kMiB},  // KiB when no unit is given
      {"<memory unit='KiB'>524288</memory>", 512 * kMiB},
      {"<memory unit='k'>1024</memory>", kMiB},
      {"<memory unit='MiB'>1536</memory>", 1536 * kMiB},
      {"<memory unit='M'>2</memory>", 2 * kMiB},
      {"<memory unit='GiB'>16</memory>", 16 * kGiB},
      {"<memory unit='G'>1</memory>", kGiB},
      {"<memory unit='TiB'>1</memory>", 1024 * kGiB},
      {"<memory unit='b'>1048576</memory>", kMiB},
      {"<memory unit='bytes'>4096</memory>", 4096},
      {"<memory unit='KB'>1000</memory>", 1e6},
      {"<memory unit='MB'>1000</memory>", 1e9},
      {"<memory unit='GB'>2</memory>", 2e9},
      {"<memory unit='TB'>1</memory>", 1e12},
      {"<memory unit='KiB'> 2048 </memory>", 2 * kMiB},
  };
  for (const Case& c : cases) {
    absl::StatusOr<DomainDefinition> def = ParseDomainXml(DomainWithMemory(c.memory));
    ASSERT_TRUE(def.ok()) << c.memory << ": " << def.status();
    EXPECT_EQ(def->memory_bytes, c.bytes) << c.memory;
  }
}

TEST(LibvirtDomainXml, BadValuesAreInvalidArgument) {
  struct Case {
    std::string xml;
    const char* message;
  };
  const Case cases[] = {
      {DomainWithMemory("<memory unit='furlongs'>4</memory>"), "<memory>"},
      {DomainWithMemory("<memory>lots</memory>"), "<memory>"},
      {"<domain><name>v</name><vcpu>many</vcpu></domain>", "<vcpu>"},
      {"<domain><name>v</name><vcpu current='two'>4</vcpu></domain>", "<vcpu>"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<DomainDefinition> def = ParseDomainXml(c.xml);
    EXPECT_TRUE(absl::IsInvalidArgument(def.status())) << c.xml << ": " << def.status();
    EXPECT_THAT(def.status().message(), HasSubstr(c.message)) << c.xml;
  }
}

TEST(LibvirtDomainXml, NotADomainIsInvalidArgument) {
  const std::string cases[] = {
      "",
      "not xml at all",
      "<domain type='kvm'><name>x</name>",
      "<domain><name>x</domain>",
      "<network><name>default</name></network>",
      "<?xml version='1.0'?><node><domain><name>x</name></domain></node>",
  };
  for (const std::string& xml : cases) {
    absl::StatusOr<DomainDefinition> def = ParseDomainXml(xml);
    EXPECT_TRUE(absl::IsInvalidArgument(def.status())) << "\"" << xml << "\": " << def.status();
  }
}

TEST(LibvirtMemoryToBytes, ConvertsLibvirtUnits) {
  struct Case {
    const char* unit;
    double amount;
    std::optional<double> bytes;
  };
  const Case cases[] = {
      {"", 1, kKiB},
      {"KiB", 1, kKiB},
      {"kib", 3, 3 * kKiB},
      {"k", 1, kKiB},
      {"K", 2, 2 * kKiB},
      {"b", 7, 7},
      {"bytes", 7, 7},
      {"B", 8, 8},
      {"KB", 1, 1e3},
      {"kb", 5, 5e3},
      {"MiB", 1, kMiB},
      {"M", 1, kMiB},
      {"m", 1, kMiB},
      {"MB", 1, 1e6},
      {"GiB", 1, kGiB},
      {"G", 3, 3 * kGiB},
      {"GB", 1, 1e9},
      {"TiB", 1, 1024 * kGiB},
      {"T", 2, 2048 * kGiB},
      {"TB", 1, 1e12},
      {"MIB", 1, kMiB},
      {"furlongs", 1, std::nullopt},
      {"KiBi", 1, std::nullopt},
      {" KiB", 1, std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(MemoryToBytes(c.amount, c.unit), c.bytes) << "\"" << c.unit << "\"";
  }
}

}  // namespace
}  // namespace strata
