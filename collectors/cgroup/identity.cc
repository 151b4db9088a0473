#include "collectors/cgroup/identity.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace strata {
namespace {

constexpr size_t kShortIdLength = 12;

bool IsContainerId(absl::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!absl::ascii_isxdigit(c) || absl::ascii_isupper(c)) return false;
  }
  return true;
}

CgroupIdentity Container(absl::string_view runtime, absl::string_view full_id) {
  CgroupIdentity identity;
  identity.kind = "container";
  identity.runtime = std::string(runtime);
  identity.id = std::string(full_id.substr(0, kShortIdLength));
  if (runtime == "docker" || runtime == "podman") identity.container_id = std::string(full_id);
  return identity;
}

// "<prefix><64 hex><suffix>" -> the hex id, or "" when the name is not of that shape.
absl::string_view IdBetween(absl::string_view name, absl::string_view prefix,
                            absl::string_view suffix) {
  if (!absl::ConsumePrefix(&name, prefix) || !absl::ConsumeSuffix(&name, suffix)) return "";
  return IsContainerId(name) ? name : "";
}

// libvirt names machine scopes "<driver>-<id>-<name>"; older versions "<name>".
std::string DomainName(absl::string_view unescaped, absl::string_view driver_prefix) {
  absl::string_view rest = unescaped;
  if (absl::ConsumePrefix(&rest, driver_prefix)) {
    size_t dash = rest.find('-');
    uint32_t domain_id = 0;
    if (dash != absl::string_view::npos && absl::SimpleAtoi(rest.substr(0, dash), &domain_id)) {
      return std::string(rest.substr(dash + 1));
    }
  }
  return std::string(unescaped);
}

}  // namespace

std::string SystemdUnescape(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    uint32_t value = 0;
    // The two digits are checked first: SimpleHexAtoi would also take "+f".
    if (text[i] == '\\' && i + 3 < text.size() && text[i + 1] == 'x' &&
        absl::ascii_isxdigit(text[i + 2]) && absl::ascii_isxdigit(text[i + 3]) &&
        absl::SimpleHexAtoi(text.substr(i + 2, 2), &value)) {
      out += static_cast<char>(value);
      i += 3;
    } else {
      out += text[i];
    }
  }
  return out;
}

CgroupIdentity IdentifyCgroup(absl::string_view path) {
  std::vector<absl::string_view> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  CgroupIdentity identity{"other", "", "", "", ""};
  if (parts.empty()) return identity;
  const absl::string_view leaf = parts.back();
  const absl::string_view parent = parts.size() >= 2 ? parts[parts.size() - 2] : "";
  const bool in_kubepods = absl::StartsWith(parts[0], "kubepods");
  identity.id = std::string(leaf);

  // Containers, systemd driver: "<runtime prefix>-<id>.scope".
  struct ScopePrefix {
    const char* prefix;
    const char* runtime;
  };
  for (const ScopePrefix& scope :
       {ScopePrefix{"docker-", "docker"}, ScopePrefix{"cri-containerd-", "containerd"},
        ScopePrefix{"crio-", "cri-o"}, ScopePrefix{"libpod-", "podman"}}) {
    absl::string_view id = IdBetween(leaf, scope.prefix, ".scope");
    if (!id.empty()) return Container(scope.runtime, id);
  }
  // cgroupfs driver: Podman "libpod-<id>", Docker "docker/<id>", Kubernetes "pod<uid>/<id>".
  if (absl::string_view id = IdBetween(leaf, "libpod-", ""); !id.empty()) {
    return Container("podman", id);
  }
  if (IsContainerId(leaf) && parent == "docker") return Container("docker", leaf);
  if (IsContainerId(leaf) && in_kubepods && absl::StartsWith(parent, "pod")) {
    // The cgroupfs driver's path does not say which CRI runtime made it.
    return Container("", leaf);
  }

  // Kubernetes pods: "kubepods-<qos>-pod<uid with _>.slice" or cgroupfs "pod<uid>".
  if (in_kubepods) {
    absl::string_view pod = leaf;
    size_t at = pod.find("-pod");
    if (absl::ConsumeSuffix(&pod, ".slice") && at != absl::string_view::npos) {
      identity.kind = "pod";
      identity.id = absl::StrReplaceAll(pod.substr(at + 4), {{"_", "-"}});
      return identity;
    }
    // A pod UID, or for static pods the 32-digit hash of their manifest.
    if (absl::ConsumePrefix(&pod, "pod") && (pod.size() == 36 || pod.size() == 32)) {
      identity.kind = "pod";
      identity.id = std::string(pod);
      return identity;
    }
  }

  // libvirt machines: systemd "machine-qemu\x2d1\x2dweb.scope", cgroupfs "qemu-1-web.libvirt-qemu".
  absl::string_view machine = leaf;
  if (absl::StartsWith(machine, "machine-") && absl::EndsWith(machine, ".scope")) {
    machine = machine.substr(8, machine.size() - 8 - 6);
    const std::string unescaped = SystemdUnescape(machine);
    if (absl::StartsWith(unescaped, "qemu-")) {
      identity.kind = "vm";
      identity.runtime = "libvirt-qemu";
      identity.name = DomainName(unescaped, "qemu-");
    } else if (absl::StartsWith(unescaped, "lxc-")) {
      identity.kind = "container";
      identity.runtime = "lxc";
      identity.name = DomainName(unescaped, "lxc-");
    } else {
      // Registered with systemd-machined by systemd-nspawn.
      identity.kind = "container";
      identity.runtime = "systemd-nspawn";
      identity.name = unescaped;
    }
    return identity;
  }
  machine = leaf;
  if (absl::ConsumeSuffix(&machine, ".libvirt-qemu")) {
    identity.kind = "vm";
    identity.runtime = "libvirt-qemu";
    identity.name = DomainName(machine, "qemu-");
    return identity;
  }
  absl::string_view nspawn = leaf;
  if (absl::ConsumePrefix(&nspawn, "systemd-nspawn@") && absl::ConsumeSuffix(&nspawn, ".service")) {
    identity.kind = "container";
    identity.runtime = "systemd-nspawn";
    identity.name = SystemdUnescape(nspawn);
    return identity;
  }

  // LXC: "lxc.payload.<name>" (LXC 4 and later) or "lxc/<name>".
  absl::string_view lxc = leaf;
  if (absl::ConsumePrefix(&lxc, "lxc.payload.") || (parent == "lxc" && parts.size() == 2)) {
    identity.kind = "container";
    identity.runtime = "lxc";
    identity.name = std::string(lxc);
    return identity;
  }
  if (absl::StartsWith(leaf, "lxc.monitor.")) {
    identity.runtime = "lxc";
    return identity;
  }
  // Podman's conmon processes under the cgroupfs manager: "<cgroup parent>/conmon"
  // ("/libpod_parent/conmon" by default); the systemd manager's are libpod-conmon-<id>.scope.
  if (leaf == "conmon") {
    identity.runtime = "podman";
    return identity;
  }

  // Plain systemd units.
  absl::string_view unit = leaf;
  if (absl::ConsumeSuffix(&unit, ".service")) {
    identity.kind = "service";
    identity.runtime = "systemd";
    identity.name = SystemdUnescape(unit);
  } else if (absl::EndsWith(leaf, ".slice")) {
    identity.kind = "slice";
    identity.runtime = "systemd";
  } else {
    for (const char* unit_type : {".scope", ".mount", ".socket", ".swap", ".device"}) {
      if (absl::EndsWith(leaf, unit_type)) identity.runtime = "systemd";
    }
  }
  return identity;
}

}  // namespace strata
