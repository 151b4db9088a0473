#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "collectors/cgroup/identity.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::PrintToString;

// Container ids as the engines write them: 64 lowercase hex digits.
const std::string kDockerId = "3941995b60d9ce3526482abbef75ef40444f676e58d860af1dc1d0306b4f6ebc";
const std::string kContainerdId =
    "44d9b7c3860757d523b029e019892e039eb85413cbafc684299f2511062cdf69";
const std::string kCrioId = "07fd489ab11828fb2162b8a14b28ae7a53df3d7bae1aebcc4d00c8f430d6a8de";
const std::string kPodmanId = "fa41449467b3e50bab81fd90dfccf1df1e6366c0e0d293c419eac6e7b94629d0";

// A pod UID, as the systemd driver writes it in slice names ("_" for "-")
// and as it is.
const std::string kPodUidSystemd = "0f6a1b2c_3d4e_5f60_7182_93a4b5c6d7e8";
const std::string kPodUid = "0f6a1b2c-3d4e-5f60-7182-93a4b5c6d7e8";
const std::string kBestEffortUidSystemd = "5e4d3c2b_1a09_4f8e_9d7c_6b5a49382716";
const std::string kBestEffortUid = "5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716";

const std::string kBurstablePodSlice =
    "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kPodUidSystemd + ".slice";

// All five fields on one line, so that a mismatch shows them together.
std::string Describe(const CgroupIdentity& identity) {
  return absl::StrCat("kind=", identity.kind, " runtime=", identity.runtime, " id=", identity.id,
                      " name=", identity.name, " container_id=", identity.container_id);
}

struct Case {
  std::string path;
  CgroupIdentity want;
};

void ExpectIdentities(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE(PrintToString(c.path));
    EXPECT_EQ(Describe(IdentifyCgroup(c.path)), Describe(c.want));
  }
}

TEST(IdentifyCgroup, SystemdUnits) {
  ExpectIdentities({
      {"/", {"other", "", "", "", ""}},
      {"", {"other", "", "", "", ""}},
      {"/system.slice", {"slice", "systemd", "system.slice", "", ""}},
      {"/user.slice/user-1000.slice", {"slice", "systemd", "user-1000.slice", "", ""}},
      {"/system.slice/nginx.service", {"service", "systemd", "nginx.service", "nginx", ""}},
      {"/system.slice/docker.service", {"service", "systemd", "docker.service", "docker", ""}},
      {"/user.slice/user-1000.slice/user@1000.service",
       {"service", "systemd", "user@1000.service", "user@1000", ""}},
      // The id keeps the escaped unit name; the name is unescaped.
      {"/system.slice/system-systemd\\x2dfsck.slice/"
       "systemd-fsck@dev-disk-by\\x2duuid-1234.service",
       {"service", "systemd", "systemd-fsck@dev-disk-by\\x2duuid-1234.service",
        "systemd-fsck@dev-disk-by-uuid-1234", ""}},
      {"/init.scope", {"other", "systemd", "init.scope", "", ""}},
      {"/user.slice/user-1000.slice/session-3.scope",
       {"other", "systemd", "session-3.scope", "", ""}},
  });
}

TEST(IdentifyCgroup, Docker) {
  const std::string short_id = kDockerId.substr(0, 12);
  ASSERT_EQ(short_id, "3941995b60d9");
  ExpectIdentities({
      // systemd cgroup driver.
      {"/system.slice/docker-" + kDockerId + ".scope",
       {"container", "docker", short_id, "", kDockerId}},
      // cgroupfs cgroup driver.
      {"/docker/" + kDockerId, {"container", "docker", short_id, "", kDockerId}},
      // Docker in Docker: the innermost container.
      {"/docker/" + kContainerdId + "/docker/" + kDockerId,
       {"container", "docker", short_id, "", kDockerId}},
  });
}

TEST(IdentifyCgroup, KubernetesSystemdDriver) {
  ExpectIdentities({
      {"/kubepods.slice", {"slice", "systemd", "kubepods.slice", "", ""}},
      {"/kubepods.slice/kubepods-burstable.slice",
       {"slice", "systemd", "kubepods-burstable.slice", "", ""}},
      {"/kubepods.slice/kubepods-besteffort.slice",
       {"slice", "systemd", "kubepods-besteffort.slice", "", ""}},
      // containerd: only Docker and Podman ids are looked up in an engine
      // API, so no container_id.
      {kBurstablePodSlice + "/cri-containerd-" + kContainerdId + ".scope",
       {"container", "containerd", kContainerdId.substr(0, 12), "", ""}},
      {kBurstablePodSlice, {"pod", "", kPodUid, "", ""}},
      {"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kBestEffortUidSystemd +
           ".slice",
       {"pod", "", kBestEffortUid, "", ""}},
      // Guaranteed QoS pods sit right below kubepods.slice, without a QoS level.
      {"/kubepods.slice/kubepods-pod" + kPodUidSystemd + ".slice", {"pod", "", kPodUid, "", ""}},
      {kBurstablePodSlice + "/crio-" + kCrioId + ".scope",
       {"container", "cri-o", kCrioId.substr(0, 12), "", ""}},
      // CRI-O's conmon scope is not the container.
      {kBurstablePodSlice + "/crio-conmon-" + kCrioId + ".scope",
       {"other", "systemd", "crio-conmon-" + kCrioId + ".scope", "", ""}},
      // dockershim.
      {kBurstablePodSlice + "/docker-" + kDockerId + ".scope",
       {"container", "docker", kDockerId.substr(0, 12), "", kDockerId}},
  });
}

TEST(IdentifyCgroup, KubernetesCgroupfsDriver) {
  ExpectIdentities({
      // The path does not say which CRI runtime made the container.
      {"/kubepods/burstable/pod" + kPodUid + "/" + kContainerdId,
       {"container", "", kContainerdId.substr(0, 12), "", ""}},
      {"/kubepods/burstable/pod" + kPodUid, {"pod", "", kPodUid, "", ""}},
      {"/kubepods/besteffort/pod" + kBestEffortUid, {"pod", "", kBestEffortUid, "", ""}},
      {"/kubepods/pod" + kPodUid, {"pod", "", kPodUid, "", ""}},
      {"/kubepods/pod" + kPodUid + "/" + kCrioId, {"container", "", kCrioId.substr(0, 12), "", ""}},
      {"/kubepods/burstable", {"other", "", "burstable", "", ""}},
      {"/kubepods", {"other", "", "kubepods", "", ""}},
  });
}

TEST(IdentifyCgroup, KubernetesStaticPodCgroupfsDriver) {
  // The kubelet gives static pods (kube-apiserver, etcd, ...) a UID that is
  // the hex MD5 of the manifest: 32 digits, no dashes.
  const std::string md5_uid = "6c6ec1c4a4f4bb7e0b2ba0a5b4ed6f1c";
  ExpectIdentities({
      {"/kubepods/burstable/pod" + md5_uid, {"pod", "", md5_uid, "", ""}},
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + md5_uid + ".slice",
       {"pod", "", md5_uid, "", ""}},
      {"/kubepods/burstable/pod" + md5_uid + "/" + kContainerdId,
       {"container", "", kContainerdId.substr(0, 12), "", ""}},
  });
}

TEST(IdentifyCgroup, Podman) {
  const std::string short_id = kPodmanId.substr(0, 12);
  ExpectIdentities({
      {"/machine.slice/libpod-" + kPodmanId + ".scope",
       {"container", "podman", short_id, "", kPodmanId}},
      {"/machine.slice/libpod-conmon-" + kPodmanId + ".scope",
       {"other", "systemd", "libpod-conmon-" + kPodmanId + ".scope", "", ""}},
      {"/libpod_parent/libpod-" + kPodmanId, {"container", "podman", short_id, "", kPodmanId}},
      // Its conmon processes under the cgroupfs manager: noise, like libpod-conmon-<id>.scope.
      {"/libpod_parent/conmon", {"other", "podman", "conmon", "", ""}},
      {"/strata-test-abc/conmon", {"other", "podman", "conmon", "", ""}},
      {"/libpod_parent", {"other", "", "libpod_parent", "", ""}},
  });
}

TEST(IdentifyCgroup, LibvirtMachines) {
  ExpectIdentities({
      // systemd: "machine-" + escaped "qemu-<domain id>-<name>" + ".scope".
      {"/machine.slice/machine-qemu\\x2d1\\x2dweb01.scope",
       {"vm", "libvirt-qemu", "machine-qemu\\x2d1\\x2dweb01.scope", "web01", ""}},
      {"/machine.slice/machine-qemu\\x2d12\\x2dmy\\x2ddb\\x2d01.scope",
       {"vm", "libvirt-qemu", "machine-qemu\\x2d12\\x2dmy\\x2ddb\\x2d01.scope", "my-db-01", ""}},
      // cgroupfs: "qemu-<domain id>-<name>.libvirt-qemu", and "<name>.libvirt-qemu"
      // before libvirt 1.3.
      {"/machine/qemu-3-build.libvirt-qemu",
       {"vm", "libvirt-qemu", "qemu-3-build.libvirt-qemu", "build", ""}},
      {"/machine/qemu-5-my-vm.libvirt-qemu",
       {"vm", "libvirt-qemu", "qemu-5-my-vm.libvirt-qemu", "my-vm", ""}},
      {"/machine/legacy.libvirt-qemu", {"vm", "libvirt-qemu", "legacy.libvirt-qemu", "legacy", ""}},
      // libvirt LXC domains.
      {"/machine.slice/machine-lxc\\x2d7\\x2dweb.scope",
       {"container", "lxc", "machine-lxc\\x2d7\\x2dweb.scope", "web", ""}},
  });
}

TEST(IdentifyCgroup, SystemdNspawn) {
  ExpectIdentities({
      {"/machine.slice/systemd-nspawn@build01.service",
       {"container", "systemd-nspawn", "systemd-nspawn@build01.service", "build01", ""}},
      {"/machine.slice/systemd-nspawn@my\\x2dbox.service",
       {"container", "systemd-nspawn", "systemd-nspawn@my\\x2dbox.service", "my-box", ""}},
      // Registered with systemd-machined.
      {"/machine.slice/machine-build02.scope",
       {"container", "systemd-nspawn", "machine-build02.scope", "build02", ""}},
      {"/machine.slice", {"slice", "systemd", "machine.slice", "", ""}},
  });
}

TEST(IdentifyCgroup, Lxc) {
  ExpectIdentities({
      // LXC 4 and later.
      {"/lxc.payload.ci-runner", {"container", "lxc", "lxc.payload.ci-runner", "ci-runner", ""}},
      {"/lxc.monitor.ci-runner", {"other", "lxc", "lxc.monitor.ci-runner", "", ""}},
      // Older LXC.
      {"/lxc/web", {"container", "lxc", "web", "web", ""}},
      // Units inside the container are its own.
      {"/lxc.payload.ci-runner/system.slice/cron.service",
       {"service", "systemd", "cron.service", "cron", ""}},
  });
}

TEST(IdentifyCgroup, OnlySixtyFourLowercaseHexDigitsAreAContainerId) {
  std::string upper = kDockerId;
  for (char& c : upper) c = absl::ascii_toupper(c);
  const std::string hex63 = kDockerId.substr(0, 63);
  const std::string hex65 = kDockerId + "0";
  const std::string not_hex = kDockerId.substr(0, 63) + "g";
  for (const std::string& id : {upper, hex63, hex65, not_hex}) {
    SCOPED_TRACE(id);
    ExpectIdentities({
        {"/system.slice/docker-" + id + ".scope",
         {"other", "systemd", "docker-" + id + ".scope", "", ""}},
        {"/docker/" + id, {"other", "", id, "", ""}},
        {"/machine.slice/libpod-" + id + ".scope",
         {"other", "systemd", "libpod-" + id + ".scope", "", ""}},
        {"/libpod_parent/libpod-" + id, {"other", "", "libpod-" + id, "", ""}},
        {kBurstablePodSlice + "/cri-containerd-" + id + ".scope",
         {"other", "systemd", "cri-containerd-" + id + ".scope", "", ""}},
        {"/kubepods/burstable/pod" + kPodUid + "/" + id, {"other", "", id, "", ""}},
    });
  }
}

TEST(IdentifyCgroup, HexLeafOutsideDockerOrKubepodsIsNotAContainer) {
  ExpectIdentities({
      {"/" + kDockerId, {"other", "", kDockerId, "", ""}},
      {"/system.slice/" + kDockerId, {"other", "", kDockerId, "", ""}},
  });
}

TEST(SystemdUnescape, UndoesHexEscapes) {
  struct UnescapeCase {
    const char* text;
    const char* want;
  };
  const UnescapeCase cases[] = {
      {"a\\x2db", "a-b"},
      {"\\x2d", "-"},
      {"\\x2F", "/"},
      {"\\x2f", "/"},
      {"\\x20", " "},
      {"qemu\\x2d12\\x2dmy\\x2ddb", "qemu-12-my-db"},
      {"\\x2d\\x2d", "--"},
      {"", ""},
      {"plain-name", "plain-name"},
      // Malformed escapes are kept as they are.
      {"\\x2", "\\x2"},
      {"a\\x2", "a\\x2"},
      {"\\xZZ", "\\xZZ"},
      {"\\x2g", "\\x2g"},
      {"\\X2d", "\\X2d"},
      {"abc\\", "abc\\"},
      {"\\", "\\"},
      {"\\x", "\\x"},
  };
  for (const UnescapeCase& c : cases) {
    SCOPED_TRACE(PrintToString(std::string(c.text)));
    EXPECT_EQ(SystemdUnescape(c.text), c.want);
  }
}

}  // namespace
}  // namespace strata
