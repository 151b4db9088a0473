// A private libvirtd, with its virtlogd, for tests that need real QEMU
// domains. Both daemons are started by hand as root (no systemd) inside a
// mount namespace of their own, where /etc/libvirt, /var/lib/libvirt,
// /var/cache/libvirt, /var/log/libvirt and /run/libvirt are directories of
// the sandbox. libvirtd accepts no path for its state, and its QEMU driver in
// system mode keeps domain definitions, status and logs in exactly those
// places; this way nothing there is shared with a libvirtd of the host, and
// nothing is left behind. Overlays on /etc, /var and /run, private to the
// namespace, provide the mount points without writing to the host. The
// daemons listen only on unix sockets in <dir>/run (no TCP, no TLS, no auth).
//
// Domains are minimal QEMU guests that boot no OS: 64 MiB, one vCPU, an
// empty qcow2 disk (virtio), one tap interface libvirt creates without a
// bridge (type 'ethernet', so block and interface stats exist), no graphics.
// The firmware is qboot when QEMU ships it (SeaBIOS costs seconds of CPU per
// boot under nested KVM), which finds nothing to boot and idles. KVM when
// /dev/kvm answers and libvirt reports it usable, else TCG (domain type
// 'qemu').
//
// QEMU's capabilities, which libvirtd probes on its first start (a second or
// more per emulator, several under load), are kept next to the test binary in
// libvirtd-sandbox-cache/ and given to the next sandbox; libvirt checks them
// against the binaries and the host before it uses them.
//
// QEMU runs as root in the sandbox (qemu.conf user = "root"), so /dev/kvm
// needs no change of owner or mode on the host. libvirt 9.0 looks up its
// compiled-in default user, libvirt-qemu, before it reads qemu.conf; when the
// host lacks it (libvirt-daemon-system not installed), it is added to the
// namespace's own /etc/passwd only.
//
// Needs root, CAP_SYS_ADMIN (unshare, mount), overlayfs with /tmp as upper
// directory, /dev/net/tun, and the Debian packages libvirt-daemon,
// libvirt-daemon-driver-qemu, libvirt-clients, qemu-system-x86, qemu-utils.
//
// Usage, in a fixture:
//   SetUp:    ASSERT_EQ(sandbox_.Start(), "");
//   TearDown: EXPECT_THAT(sandbox_.Cleanup(), IsEmpty());
//
// A test killed with SIGKILL (a ctest timeout) never runs Cleanup(): its
// daemons die with it, but QEMU, its cgroups and tap devices and the
// directory stay. So each directory holds its owner (PID and start time), and
// Start() first sweeps the directories whose owner is gone, printing what it
// did to stderr. A directory whose owner lives is never touched.
//
// Not thread-safe; call it from the thread that called Start() (the daemons
// get SIGKILL when that thread ends, so none outlives a crashed test). While
// started, the process is a child subreaper and a thread of the sandbox reaps
// the QEMU processes it adopts (only those). One sandbox at a time.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"

namespace strata::testing {

// What a command gave: on success `value` (its output, or the answer the call
// names) and an empty `error`; on failure `error` holds the command and its
// output.
struct LibvirtResult {
  std::string value;
  std::string error;
  bool ok() const { return error.empty(); }
};

// A minimal domain. Names should be unique to the sandbox (see Name()): the
// host's cgroups and tap devices are named after them.
struct DomainSpec {
  std::string name;
  int memory_mib = 64;         // <memory>, the maximum
  int current_memory_mib = 0;  // <currentMemory>; 0: as memory_mib
  int vcpus = 1;               // <vcpu>, the maximum
  int current_vcpus = 0;       // <vcpu current=...>; 0: as vcpus
  int disk_mib = 32;           // virtual size of the empty qcow2 image
  bool with_interface = true;  // one tap interface, type 'ethernet'
};

// `virsh domstats --raw` output: per domain name, its fields ("cpu.time",
// "block.0.name", ...) with their values as printed.
using VirshDomainStats = std::map<std::string, std::map<std::string, std::string>>;
VirshDomainStats ParseVirshDomstats(const std::string& output);

class LibvirtdSandbox {
 public:
  enum class Access { kReadOnly, kReadWrite };

  LibvirtdSandbox();
  LibvirtdSandbox(const LibvirtdSandbox&) = delete;
  LibvirtdSandbox& operator=(const LibvirtdSandbox&) = delete;
  // Calls Cleanup() if the test did not, and prints what it left to stderr.
  ~LibvirtdSandbox();

  // Checks the prerequisites, sweeps abandoned sandboxes (see swept()),
  // makes the directory and the namespace, starts virtlogd and libvirtd and
  // waits until libvirtd answers. Returns "" on success, else what failed;
  // what was made by then is still removed by Cleanup(). A sweep that could
  // not undo everything does not fail Start(): it says so in swept().
  std::string Start();

  // Makes the disk image, writes the XML and defines the domain (persistent,
  // shut off). value: the domain name.
  LibvirtResult DefineDomain(const DomainSpec& spec);
  // `virsh start`.
  LibvirtResult StartDomain(const std::string& name);
  // DefineDomain, then StartDomain.
  LibvirtResult DefineAndStartDomain(const DomainSpec& spec);
  // `virsh create`: a running domain that vanishes entirely once destroyed.
  LibvirtResult CreateTransientDomain(const DomainSpec& spec);
  // `virsh destroy`: QEMU is killed; a persistent domain stays defined.
  LibvirtResult DestroyDomain(const std::string& name);
  // `virsh undefine`.
  LibvirtResult UndefineDomain(const std::string& name);

  // virsh with `args` on the read-only or read-write socket, bounded by
  // `timeout`. value: virsh's whole output (stdout and stderr).
  LibvirtResult Virsh(const std::vector<std::string>& args, Access access = Access::kReadWrite,
                      absl::Duration timeout = absl::Seconds(30)) const;

  // SIGSTOP and SIGCONT to libvirtd: it hangs with its sockets open. Return
  // "" or what failed.
  std::string PauseLibvirtd();
  std::string ResumeLibvirtd();
  // SIGKILL, then reaped: the sockets stay, and connecting is refused. The
  // domains keep running.
  std::string KillLibvirtd();
  // SIGTERM, then SIGKILL after 10 s; reaped.
  std::string StopLibvirtd();
  // Starts libvirtd again on the same sockets and state (it takes the running
  // domains back) and waits until it answers.
  std::string RestartLibvirtd();

  // Removes everything, even after a failed test: destroys and undefines the
  // domains made here, stops both daemons, kills any QEMU of the sandbox
  // that is still running (not counted as left behind when the test had
  // killed libvirtd), removes the domains' cgroups (and libvirt's "machine"
  // cgroups if they were made here and are empty) and the directory. Returns
  // what was left behind or could not be removed (empty when all is gone).
  // Idempotent.
  std::vector<std::string> Cleanup();

  // For the exporter: "qemu:///system?socket=<dir>/run/libvirt-sock-ro".
  const std::string& read_only_uri() const { return read_only_uri_; }
  // For test setup: "qemu:///system?socket=<dir>/run/libvirt-sock".
  const std::string& read_write_uri() const { return read_write_uri_; }
  const std::string& dir() const { return dir_; }
  // The random part of the names, e.g. "AbC123".
  const std::string& unique() const { return unique_; }
  // "strata-<unique>-<suffix>": a domain name no other sandbox uses.
  std::string Name(const std::string& suffix) const;
  // "kvm" or "qemu": the domain type DefineDomain uses.
  const std::string& domain_type() const { return domain_type_; }
  // The host-side tap device of a domain made here, or "".
  std::string InterfaceOf(const std::string& name) const;
  pid_t libvirtd_pid() const { return libvirtd_pid_; }
  // libvirtd's log (warnings and errors), for failure messages.
  std::string LibvirtdLog() const;
  // What the last Start() swept, one line per abandoned sandbox, as printed:
  // "swept abandoned libvirtd sandbox <dir> (<why>): killed QEMU pid N, ...",
  // with what could not be undone after "; NOT undone: ".
  const std::vector<std::string>& swept() const { return swept_; }

 private:
  std::string MakeNamespace();
  void StartReaper();
  void StopReaper();
  std::string StartLibvirtd();
  std::string WaitUntilAnswering(absl::Duration timeout);
  LibvirtResult WriteDomain(const DomainSpec& spec);
  std::string DomainXml(const DomainSpec& spec, const std::string& interface) const;
  void DestroyDomainsMadeHere(std::vector<std::string>& left);
  void RemoveCgroups(std::vector<std::string>& left);

  std::string dir_;
  std::string unique_;
  std::string read_only_uri_;
  std::string read_write_uri_;
  std::string domain_type_ = "qemu";
  std::string firmware_;  // qboot's path, or "" for QEMU's default
  std::string virsh_, libvirtd_, virtlogd_, qemu_img_;
  int mount_namespace_fd_ = -1;
  pid_t virtlogd_pid_ = -1;
  pid_t libvirtd_pid_ = -1;
  bool libvirtd_paused_ = false;
  // Cgroup hierarchies (mount points) that had no "machine" cgroup at Start().
  std::vector<std::string> machine_cgroups_absent_;
  // Domains made here, with their tap device ("" for none).
  std::map<std::string, std::string> domains_;
  int interfaces_made_ = 0;
  // Reaps QEMU, which libvirtd daemonizes and this process adopts as a child
  // subreaper: libvirt waits for a destroyed QEMU's PID to vanish, and an
  // init that reaps late (or never) would hold up every destroy.
  std::thread reaper_;
  std::atomic<bool> reaper_stop_{false};
  int previous_subreaper_ = 0;
  bool started_ = false;  // Start() was called and Cleanup() has not run since
  std::vector<std::string> swept_;
};

}  // namespace strata::testing
