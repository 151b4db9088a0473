// What a cgroup is, from its path alone: a container (and whose), a
// Kubernetes pod, a systemd service or slice, a libvirt VM, or other.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace strata {

struct CgroupIdentity {
  std::string kind;          // container, pod, service, slice, vm, other
  std::string runtime;       // docker, containerd, cri-o, podman, lxc, systemd-nspawn,
                             // libvirt-qemu, systemd; empty when unknown
  std::string id;            // short container id, pod UID or unit name
  std::string name;          // VM, LXC or nspawn machine, or service name; empty when unknown
  std::string container_id;  // full 64-hex id of a Docker or Podman container, for the engine API
};

// Recognises Docker, containerd and CRI-O (cgroupfs and systemd drivers,
// inside Kubernetes pods or not), Podman (libpod), LXC, systemd-nspawn,
// libvirt QEMU machines, systemd services, slices and scopes.
CgroupIdentity IdentifyCgroup(absl::string_view path);

// Undoes systemd's unit-name escaping ("\x2d" -> "-").
std::string SystemdUnescape(absl::string_view text);

}  // namespace strata
