#include "tests/support/libvirtd_sandbox.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "tests/support/exporter_process.h"
#include "tests/support/test_files.h"

extern char** environ;

namespace strata::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kInstallHint[] =
    "the libvirt tests need root and the Debian packages libvirt-daemon, "
    "libvirt-daemon-driver-qemu, libvirt-clients, qemu-system-x86 and qemu-utils "
    "(apt-get install --no-install-recommends ...; scripts/install-deps does it in CI)";
constexpr char kQboot[] = "/usr/share/qemu/qboot.rom";
// The daemon's state directories, as the namespace sees them, and the
// directory of the sandbox that takes each one's place.
constexpr std::pair<const char*, const char*> kPrivateDirs[] = {
    {"/etc/libvirt", "etc"},
    {"/var/lib/libvirt", "state/lib"},
    {"/var/cache/libvirt", "state/cache"},
    {"/var/log/libvirt", "state/log"},
    {"/run/libvirt", "state/run"},
};
// Only unix sockets, in <dir>/run ($DIR), without authentication; warnings
// and errors go to stderr, which is the log file.
constexpr char kLibvirtdConf[] = R"(listen_tls = 0
listen_tcp = 0
unix_sock_dir = "$DIR/run"
unix_sock_ro_perms = "0777"
unix_sock_rw_perms = "0700"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_outputs = "3:stderr"
)";
constexpr char kVirtlogdConf[] = "log_outputs = \"3:stderr\"\n";
// QEMU as root: /dev/kvm and /dev/net/tun stay as they are. No security
// driver: AppArmor's would load a profile per domain into the host's kernel.
// No owner remembered in extended attributes of the images.
constexpr char kQemuConf[] = R"(user = "root"
group = "root"
security_driver = "none"
remember_owner = 0
)";
// Run by `sh -eu` in the new mount namespace; $DIR is the sandbox, and
// $PRIVATE_DIRS lists kPrivateDirs as "target:sub".
constexpr char kNamespaceScript[] = R"(
# Private, writable /etc, /var and /run, so that mount points can be made in
# them without writing to the host.
for p in etc var run; do
  mount -t overlay overlay \
    -o "lowerdir=/$p,upperdir=$DIR/overlay/$p/upper,workdir=$DIR/overlay/$p/work" "/$p"
done
for pair in $PRIVATE_DIRS; do
  mkdir -p "${pair%%:*}"
  mount --bind "$DIR/${pair#*:}" "${pair%%:*}"
done
# libvirt 9.0 resolves its default QEMU user before it reads qemu.conf.
getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
getent passwd libvirt-qemu >/dev/null || useradd --system --gid libvirt-qemu \
  --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin libvirt-qemu
# libvirt probes every emulator it finds, for seconds each; x86_64 is the one used.
if [ -e /usr/bin/qemu-system-i386 ]; then
  mount --bind /dev/null /usr/bin/qemu-system-i386
fi
touch "$DIR/namespace-ready"
exec sleep 3600
)";
// A domain that boots nothing; $LOADER and $INTERFACE may be empty.
constexpr char kDomainXml[] = R"(<domain type='$TYPE'>
  <name>$NAME</name>
  <memory unit='MiB'>$MEMORY</memory>
  <currentMemory unit='MiB'>$CURRENT_MEMORY</currentMemory>
  <vcpu placement='static' current='$CURRENT_VCPUS'>$VCPUS</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>$LOADER
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$IMAGE'/>
      <target dev='vda' bus='virtio'/>
    </disk>$INTERFACE
    <controller type='usb' model='none'/>
    <memballoon model='virtio'/>
  </devices>
</domain>
)";
// A tap device libvirt makes and attaches to nothing: no bridge needed, and
// the host counts its traffic. No option ROM: nothing to network-boot.
constexpr char kInterfaceXml[] = R"(
    <interface type='ethernet'>
      <target dev='$DEVICE'/>
      <model type='virtio'/>
      <rom enabled='no'/>
    </interface>)";
// QEMU's probed capabilities, below /var/cache/libvirt.
constexpr char kCapabilitiesDir[] = "state/cache/qemu/capabilities";

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

std::string LastLines(const std::string& text, size_t count) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  if (lines.size() > count) lines.erase(lines.begin(), lines.end() - count);
  return absl::StrJoin(lines, "\n");
}

std::string XmlEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// The environment for the daemons: ours, with the sbin directories on PATH.
std::vector<std::string> DaemonEnvironment() {
  std::vector<std::string> env;
  std::string path = "/usr/sbin:/usr/bin:/sbin:/bin";
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (absl::StartsWith(*entry, "PATH=")) {
      path = absl::StrCat(*entry + 5, ":", path);
    } else {
      env.emplace_back(*entry);
    }
  }
  env.push_back("PATH=" + path);
  return env;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// How a spawned daemon gets its mount namespace.
enum class Namespace { kNew, kEnter };

// Starts `argv` (argv[0] an absolute path) as a child of this thread, stdin
// from /dev/null, stdout and stderr appended to `log_path`. With kNew it gets
// a new mount namespace in which every mount is private; with kEnter it joins
// the one `namespace_fd` refers to. It gets SIGKILL when the calling thread
// ends. Returns its PID, or -1 with `error` set.
pid_t Spawn(std::vector<std::string> argv, const std::string& log_path, Namespace ns,
            int namespace_fd, std::string& error) {
  std::vector<std::string> env = DaemonEnvironment();
  std::vector<char*> argv_pointers = Pointers(argv);
  std::vector<char*> env_pointers = Pointers(env);
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int report[2];  // the child's errno if it cannot exec; closed by a successful exec
  if (log_fd < 0 || null_fd < 0 || pipe2(report, O_CLOEXEC) != 0) {
    error = absl::StrCat("cannot prepare to start ", argv[0], ": ", strerror(errno));
    if (log_fd >= 0) close(log_fd);
    if (null_fd >= 0) close(null_fd);
    return -1;
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec: the parent may have threads.
    int failure = 0;
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) failure = errno;
    if (failure == 0 && getppid() != parent) failure = ESRCH;  // the parent is gone already
    if (failure == 0 && ns == Namespace::kNew &&
        (unshare(CLONE_NEWNS) != 0 ||
         mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)) {
      failure = errno;
    }
    if (failure == 0 && ns == Namespace::kEnter && setns(namespace_fd, CLONE_NEWNS) != 0) {
      failure = errno;
    }
    if (failure == 0 && (dup2(null_fd, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
                         dup2(log_fd, STDERR_FILENO) < 0)) {
      failure = errno;
    }
    if (failure == 0) {
      execve(argv_pointers[0], argv_pointers.data(), env_pointers.data());
      failure = errno;
    }
    ssize_t ignored = write(report[1], &failure, sizeof(failure));
    (void)ignored;
    _exit(127);
  }
  close(report[1]);
  close(log_fd);
  close(null_fd);
  if (pid < 0) {
    error = absl::StrCat("fork for ", argv[0], ": ", strerror(errno));
    close(report[0]);
    return -1;
  }
  int child_errno = 0;
  const ssize_t n = read(report[0], &child_errno, sizeof(child_errno));
  close(report[0]);
  if (n > 0) {
    waitpid(pid, nullptr, 0);
    error = absl::StrCat("cannot start ", argv[0], ": ", strerror(child_errno));
    return -1;
  }
  return pid;
}

// True while `pid`, a child of this process, has not exited; reaps it once it has.
bool ChildRunning(pid_t& pid) {
  if (pid <= 0) return false;
  if (waitpid(pid, nullptr, WNOHANG) == 0) return true;
  pid = -1;
  return false;
}

// SIGTERM (after SIGCONT, in case it is stopped), then SIGKILL if it is
// still there after `grace`; reaped. Returns "" or what it had to do.
std::string StopChild(pid_t& pid, const char* name, absl::Duration grace) {
  if (pid <= 0) return "";
  kill(pid, SIGCONT);
  kill(pid, SIGTERM);
  const absl::Time deadline = absl::Now() + grace;
  while (ChildRunning(pid) && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  if (pid <= 0) return "";
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  pid = -1;
  return absl::StrCat(name, " ignored SIGTERM for ", absl::FormatDuration(grace),
                      " and was killed");
}

// The fields of /proc/PID/stat from the third (state) on: "pid (comm) state
// ppid ...", where comm may hold spaces and parentheses. Empty when gone.
std::vector<std::string> StatFieldsAfterComm(pid_t pid) {
  const std::string stat = ReadWholeFile(absl::StrCat("/proc/", pid, "/stat"));
  const size_t comm_end = stat.rfind(')');
  if (comm_end == std::string::npos) return {};
  return absl::StrSplit(absl::string_view(stat).substr(comm_end + 1), ' ', absl::SkipWhitespace());
}

// The state letter of /proc/PID/stat ('R', 'S', 'T', 'Z', ...), or 0 when gone.
char ProcessState(pid_t pid) {
  const std::vector<std::string> fields = StatFieldsAfterComm(pid);
  return fields.empty() || fields[0].empty() ? 0 : fields[0][0];
}

// "<pid> <start time>" (field 22 of /proc/PID/stat, clock ticks after boot):
// names a process even after its PID is reused. "" when it is gone or a
// zombie, which will never clean up after itself either.
std::string OwnerRecord(pid_t pid) {
  const std::vector<std::string> fields = StatFieldsAfterComm(pid);
  if (fields.size() < 20 || fields[0] == "Z" || fields[0] == "X") return "";
  return absl::StrCat(pid, " ", fields[19]);
}

// Live (not zombie) processes other than this one whose command line mentions
// `text`.
std::vector<pid_t> ProcessesMentioning(const std::string& text) {
  std::vector<pid_t> found;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc", error)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid) || pid == getpid()) continue;
    if (!absl::StrContains(ReadWholeFile(absl::StrCat("/proc/", pid, "/cmdline")), text)) continue;
    const char state = ProcessState(pid);
    if (state != 0 && state != 'Z') found.push_back(pid);
  }
  return found;
}

std::string CommandLine(pid_t pid) {
  std::string cmdline = ReadWholeFile(absl::StrCat("/proc/", pid, "/cmdline"));
  std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
  return absl::StrCat(pid, ": ", cmdline.substr(0, 300));
}

// Reaps the zombie children of this process that are QEMU: as a child
// subreaper it adopts them from libvirtd, which daemonizes them. Other
// children are left to whoever waits for them.
void ReapQemuZombies() {
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc", error)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    const std::vector<std::string> fields = StatFieldsAfterComm(pid);
    pid_t ppid = 0;
    if (fields.size() < 2 || fields[0] != "Z" || !absl::SimpleAtoi(fields[1], &ppid) ||
        ppid != getpid() ||
        !absl::StartsWith(ReadWholeFile(absl::StrCat("/proc/", pid, "/comm")), "qemu-system")) {
      continue;
    }
    waitpid(pid, nullptr, WNOHANG);
  }
}

// Whether /dev/kvm opens and answers as KVM does. libvirt's own verdict may
// come from a cached probe.
bool KvmUsable() {
  const int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  const bool usable = ioctl(fd, KVM_GET_API_VERSION, 0) == KVM_API_VERSION;
  close(fd);
  return usable;
}

// Removes the cgroup `root` and those below it, children first (control
// files cannot be unlinked; rmdir takes a cgroup with them). Appends what
// would not go to `left`.
void RemoveCgroupTree(const std::string& root, std::vector<std::string>& left) {
  std::error_code error;
  std::vector<std::string> dirs = {root};
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(root, error)) {
    if (entry.is_directory(error)) dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const std::string& dir : dirs) {
    if (rmdir(dir.c_str()) != 0 && errno != ENOENT) {
      left.push_back(absl::StrCat("cgroup not removed: ", dir, ": ", strerror(errno)));
    }
  }
}

bool HasSubdirectory(const std::string& dir) {
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    if (entry.is_directory(error)) return true;
  }
  return false;
}

// QEMU's capabilities as libvirt probed them, kept next to the test binary so
// that only the first sandbox of a build tree pays for the probe (seconds per
// emulator). libvirt checks the entries against the binaries and the host
// before it uses them.
std::string CapabilitiesCacheDir() {
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (error) return "";
  return (exe.parent_path() / "libvirtd-sandbox-cache").string();
}

// Copies the *.xml files of `from` into `to` (each by rename, so that a
// reader never sees half a file).
void CopyXmlFiles(const std::string& from, const std::string& to, const std::string& unique) {
  std::error_code error;
  if (from.empty() || to.empty() || !fs::is_directory(from, error)) return;
  fs::create_directories(to, error);
  for (const fs::directory_entry& entry : fs::directory_iterator(from, error)) {
    if (entry.path().extension() != ".xml") continue;
    const fs::path target = fs::path(to) / entry.path().filename();
    const fs::path temporary = target.string() + ".tmp-" + unique;
    std::error_code copy_error;
    fs::copy_file(entry.path(), temporary, fs::copy_options::overwrite_existing, copy_error);
    if (!copy_error) fs::rename(temporary, target, copy_error);
    if (copy_error) fs::remove(temporary, copy_error);
  }
}

// What follows undoes a sandbox given only its directory and unique id, so
// that Cleanup() and the sweep of abandoned sandboxes share it.

// SIGKILLs the QEMU processes of the sandbox in `dir` and waits up to 10 s
// until they are reaped, since their cgroups cannot be removed before.
// Returns the command line of each one killed; those still there after the
// wait are added to `left`.
std::map<pid_t, std::string> KillQemuOf(const std::string& dir, std::vector<std::string>& left) {
  // QEMU names its disk image in <dir>/images/. Not the directory alone: an
  // exporter's --collector.libvirt.uri names it too.
  std::map<pid_t, std::string> killed;
  for (pid_t pid : ProcessesMentioning(dir + "/images/")) {
    killed[pid] = CommandLine(pid);
    kill(pid, SIGKILL);
  }
  auto gone = [](const auto& process) { return ProcessState(process.first) == 0; };
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!std::all_of(killed.begin(), killed.end(), gone) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  for (const auto& process : killed) {
    if (!gone(process)) {
      left.push_back(absl::StrCat("process ", process.first, " not gone 10 s after SIGKILL"));
    }
  }
  return killed;
}

// Removes the cgroups of the sandbox `unique` below each hierarchy's
// "machine" cgroup. Returns how many were removed; what would not go is
// added to `left`.
int RemoveMachineCgroupsOf(const std::string& unique, std::vector<std::string>& left) {
  if (unique.empty()) return 0;  // would match every cgroup
  int removed = 0;
  for (const std::string& mount : CgroupMountPoints()) {
    const std::string machine = mount + "/machine";
    std::error_code error;
    if (!fs::is_directory(machine, error)) continue;
    // libvirt names them "qemu-<id>-<domain>.libvirt-qemu"; it removes them
    // when a domain stops, but not when QEMU had to be killed without it.
    std::vector<std::string> ours;
    for (const fs::directory_entry& entry : fs::directory_iterator(machine, error)) {
      const std::string name = entry.path().filename();
      if (entry.is_directory(error) && absl::StrContains(name, unique)) {
        ours.push_back(entry.path());
      }
    }
    for (const std::string& cgroup : ours) {
      const size_t failures = left.size();
      RemoveCgroupTree(cgroup, left);
      if (left.size() == failures) ++removed;
    }
  }
  return removed;
}

// Deletes the tap devices of the sandbox `unique` ("st-<unique>-N") that
// outlived their QEMU. Returns their names; what would not go is added to
// `left`.
std::vector<std::string> DeleteTapDevicesOf(const std::string& unique,
                                            std::vector<std::string>& left) {
  std::vector<std::string> deleted;
  if (unique.empty()) return deleted;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator("/sys/class/net", error)) {
    const std::string name = entry.path().filename();
    if (!absl::StartsWith(name, absl::StrCat("st-", unique, "-"))) continue;
    CommandResult result = RunCommand({"ip", "link", "delete", name});
    if (result.exit_code == 0) {
      deleted.push_back(name);
    } else {
      left.push_back(absl::StrCat("tap device not deleted: ", name, ": ", result.output));
    }
  }
  return deleted;
}

void RemoveSandboxDirectory(const std::string& dir, std::vector<std::string>& left) {
  std::error_code error;
  fs::remove_all(dir, error);
  if (error) left.push_back(absl::StrCat("not removed: ", dir, ": ", error.message()));
}

// The sandbox directory's owner: a process whose OwnerRecord() it keeps.
constexpr char kOwnerFile[] = "owner";
constexpr char kSandboxPrefix[] = "/tmp/strata-libvirt-";
// Before the owner file, or an owner killed between mkdtemp and writing it.
constexpr absl::Duration kOwnerlessAbandonedAfter = absl::Minutes(10);

// Why the sandbox in `dir` is abandoned, or "" while someone may still use it.
std::string WhyAbandoned(const std::string& dir) {
  const std::string record(absl::StripAsciiWhitespace(ReadWholeFile(dir + "/" + kOwnerFile)));
  pid_t owner = 0;
  if (absl::SimpleAtoi(record.substr(0, record.find(' ')), &owner) && owner > 0) {
    return OwnerRecord(owner) == record ? "" : absl::StrCat("its owner, pid ", owner, ", is gone");
  }
  struct stat info;
  if (stat(dir.c_str(), &info) != 0) return "";
  const absl::Duration age = absl::Now() - absl::FromTimeT(info.st_mtime);
  if (age < kOwnerlessAbandonedAfter) return "";
  // libvirtd and virtlogd name their configuration in <dir>/etc/: a sandbox
  // without an owner file whose daemons still run is in use.
  if (!ProcessesMentioning(dir + "/etc/").empty()) return "";
  return absl::StrCat("no owner file, unchanged for ",
                      absl::FormatDuration(absl::Floor(age, absl::Seconds(1))));
}

// Undoes the abandoned sandbox in `dir`. Returns the line that reports it.
std::string SweepSandbox(const std::string& dir, const std::string& unique,
                         const std::string& why) {
  std::vector<std::string> left;
  std::vector<std::string> done;
  for (const auto& [pid, command_line] : KillQemuOf(dir, left)) {
    done.push_back(absl::StrCat("killed QEMU pid ", pid));
  }
  const int cgroups = RemoveMachineCgroupsOf(unique, left);
  if (cgroups > 0) done.push_back(absl::StrCat("removed ", cgroups, " cgroup(s)"));
  for (const std::string& tap : DeleteTapDevicesOf(unique, left)) {
    done.push_back("deleted tap device " + tap);
  }
  RemoveSandboxDirectory(dir, left);
  if (left.empty()) done.push_back("removed the directory");
  std::string line = absl::StrCat("swept abandoned libvirtd sandbox ", dir, " (", why,
                                  "): ", absl::StrJoin(done, ", "));
  if (!left.empty()) absl::StrAppend(&line, "; NOT undone: ", absl::StrJoin(left, "; "));
  return line;
}

// Sweeps every abandoned sandbox directory, once: a test killed with SIGKILL
// never runs Cleanup(), and the QEMU that libvirtd daemonized outlives it.
// A directory whose owner lives is never touched (tests run in parallel).
// Returns one line per directory swept.
std::vector<std::string> SweepAbandonedSandboxes() {
  std::vector<std::string> report;
  const fs::path prefix(kSandboxPrefix);
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(prefix.parent_path(), error)) {
    const std::string dir = entry.path();
    absl::string_view unique = dir;
    // mkdtemp's six letters and digits; anything else is not a sandbox.
    if (!absl::ConsumePrefix(&unique, kSandboxPrefix) || unique.size() != 6 ||
        !std::all_of(unique.begin(), unique.end(),
                     [](unsigned char c) { return absl::ascii_isalnum(c); }) ||
        entry.is_symlink(error) || !entry.is_directory(error)) {
      continue;
    }
    const std::string why = WhyAbandoned(dir);
    if (why.empty()) continue;
    // Sandboxes starting together sweep the same directories: one does it.
    const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) continue;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fs::exists(dir, error)) {
      report.push_back(SweepSandbox(dir, std::string(unique), why));
    }
    close(fd);
  }
  return report;
}

}  // namespace

VirshDomainStats ParseVirshDomstats(const std::string& output) {
  VirshDomainStats stats;
  std::map<std::string, std::string>* domain = nullptr;
  for (absl::string_view line : absl::StrSplit(output, '\n', absl::SkipWhitespace())) {
    // "Domain: 'name'", then "  key=value" lines.
    if (absl::ConsumePrefix(&line, "Domain: '") && absl::ConsumeSuffix(&line, "'")) {
      domain = &stats[std::string(line)];
      continue;
    }
    line = absl::StripAsciiWhitespace(line);
    const size_t equals = line.find('=');
    if (domain == nullptr || equals == absl::string_view::npos) continue;
    (*domain)[std::string(line.substr(0, equals))] = std::string(line.substr(equals + 1));
  }
  return stats;
}

LibvirtdSandbox::LibvirtdSandbox() = default;

void LibvirtdSandbox::StartReaper() {
  if (prctl(PR_GET_CHILD_SUBREAPER, &previous_subreaper_) != 0) previous_subreaper_ = 0;
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  reaper_stop_ = false;
  reaper_ = std::thread([this] {
    while (!reaper_stop_) {
      ReapQemuZombies();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
}

void LibvirtdSandbox::StopReaper() {
  if (!reaper_.joinable()) return;
  reaper_stop_ = true;
  reaper_.join();
  ReapQemuZombies();
  prctl(PR_SET_CHILD_SUBREAPER, previous_subreaper_);
}

LibvirtdSandbox::~LibvirtdSandbox() {
  for (const std::string& left : Cleanup()) std::cerr << "LibvirtdSandbox left: " << left << "\n";
}

std::string LibvirtdSandbox::Name(const std::string& suffix) const {
  return absl::StrCat("strata-", unique_, "-", suffix);
}

std::string LibvirtdSandbox::InterfaceOf(const std::string& name) const {
  auto it = domains_.find(name);
  return it == domains_.end() ? "" : it->second;
}

std::string LibvirtdSandbox::LibvirtdLog() const {
  return LastLines(ReadWholeFile(dir_ + "/logs/libvirtd.log"), 40);
}

std::string LibvirtdSandbox::Start() {
  if (started_) return "LibvirtdSandbox::Start called twice";
  if (geteuid() != 0) return absl::StrCat("not root: ", kInstallHint);
  libvirtd_ = FindExecutable("libvirtd");
  virtlogd_ = FindExecutable("virtlogd");
  virsh_ = FindExecutable("virsh");
  qemu_img_ = FindExecutable("qemu-img");
  for (const auto& [path, name] : {std::pair{libvirtd_, "libvirtd"},
                                   {virtlogd_, "virtlogd"},
                                   {virsh_, "virsh"},
                                   {qemu_img_, "qemu-img"},
                                   {FindExecutable("qemu-system-x86_64"), "qemu-system-x86_64"}}) {
    if (path.empty()) return absl::StrCat(name, " not found: ", kInstallHint);
  }
  if (access("/dev/net/tun", R_OK | W_OK) != 0) {
    return absl::StrCat("/dev/net/tun is not usable (", strerror(errno),
                        "): the domains' tap interfaces need it");
  }
  for (const std::string& mount : CgroupMountPoints()) {
    std::error_code error;
    if (!fs::exists(mount + "/machine", error)) machine_cgroups_absent_.push_back(mount);
  }

  swept_ = SweepAbandonedSandboxes();
  for (const std::string& line : swept_) std::cerr << "LibvirtdSandbox: " << line << std::endl;

  started_ = true;  // from here on Cleanup() has something to undo
  StartReaper();
  // Not $TMPDIR: the directory must lie outside /etc, /var and /run, which
  // the namespace overlays, so that both sides see the same sockets.
  std::string dir_template = absl::StrCat(kSandboxPrefix, "XXXXXX");
  if (mkdtemp(dir_template.data()) == nullptr) {
    return absl::StrCat("mkdtemp ", dir_template, ": ", strerror(errno));
  }
  dir_ = dir_template;
  unique_ = dir_.substr(dir_.rfind('-') + 1);
  // First, so that a sandbox killed from here on is swept by the next one.
  if (!WriteFile(dir_ + "/" + kOwnerFile, OwnerRecord(getpid()))) {
    return absl::StrCat("cannot write ", dir_, "/", kOwnerFile);
  }
  read_write_uri_ = absl::StrCat("qemu:///system?socket=", dir_, "/run/libvirt-sock");
  read_only_uri_ = absl::StrCat("qemu:///system?socket=", dir_, "/run/libvirt-sock-ro");
  if (fs::exists(kQboot)) firmware_ = kQboot;

  std::error_code error;
  for (const char* sub : {"run", "logs", "images", "xml", "overlay/etc/upper", "overlay/etc/work",
                          "overlay/var/upper", "overlay/var/work", "overlay/run/upper",
                          "overlay/run/work", kCapabilitiesDir}) {
    fs::create_directories(dir_ + "/" + sub, error);
    if (error) return absl::StrCat("mkdir ", dir_, "/", sub, ": ", error.message());
  }
  for (const auto& [target, sub] : kPrivateDirs) {
    fs::create_directories(dir_ + "/" + sub, error);
    if (error) return absl::StrCat("mkdir ", dir_, "/", sub, ": ", error.message());
  }
  CopyXmlFiles(CapabilitiesCacheDir(), dir_ + "/" + kCapabilitiesDir, unique_);

  const bool configured = WriteFile(dir_ + "/etc/libvirtd.conf",
                                    absl::StrReplaceAll(kLibvirtdConf, {{"$DIR", dir_}})) &&
                          WriteFile(dir_ + "/etc/virtlogd.conf", kVirtlogdConf) &&
                          WriteFile(dir_ + "/etc/qemu.conf", kQemuConf);
  if (!configured) return absl::StrCat("cannot write the configuration in ", dir_, "/etc");

  std::string failure = MakeNamespace();
  if (!failure.empty()) return failure;

  // virtlogd first: libvirtd hands it QEMU's output when a domain starts.
  virtlogd_pid_ =
      Spawn({virtlogd_, "-f", dir_ + "/etc/virtlogd.conf", "-p", dir_ + "/virtlogd.pid"},
            dir_ + "/logs/virtlogd.log", Namespace::kEnter, mount_namespace_fd_, failure);
  if (virtlogd_pid_ < 0) return failure;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!fs::exists(dir_ + "/state/run/virtlogd-sock", error)) {
    if (!ChildRunning(virtlogd_pid_)) {
      return absl::StrCat("virtlogd exited:\n", ReadWholeFile(dir_ + "/logs/virtlogd.log"));
    }
    if (absl::Now() >= deadline) return "virtlogd made no socket in 10 s";
    absl::SleepFor(absl::Milliseconds(10));
  }

  failure = StartLibvirtd();
  if (!failure.empty()) return failure;

  // KVM when QEMU (as root) can open it and libvirt can use it; else TCG.
  if (KvmUsable() && Virsh({"domcapabilities", "--virttype", "kvm", "--arch", "x86_64"}).ok()) {
    domain_type_ = "kvm";
  }
  return "";
}

std::string LibvirtdSandbox::MakeNamespace() {
  // A short-lived process makes the namespace and its mounts; an open file
  // of /proc/PID/ns/mnt then keeps the namespace for the daemons to join, and
  // it ends with the last of them and that file.
  std::vector<std::string> pairs;
  for (const auto& [target, sub] : kPrivateDirs) pairs.push_back(absl::StrCat(target, ":", sub));
  const std::string script = absl::StrReplaceAll(
      kNamespaceScript, {{"$DIR", dir_}, {"$PRIVATE_DIRS", absl::StrJoin(pairs, " ")}});
  std::string failure;
  pid_t maker = Spawn({"/bin/sh", "-euc", script}, dir_ + "/logs/namespace.log", Namespace::kNew,
                      -1, failure);
  if (maker < 0) return failure;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  std::error_code error;
  while (!fs::exists(dir_ + "/namespace-ready", error)) {
    if (!ChildRunning(maker)) {
      return absl::StrCat(
          "could not make the mount namespace (needs CAP_SYS_ADMIN and overlayfs):\n",
          ReadWholeFile(dir_ + "/logs/namespace.log"));
    }
    if (absl::Now() >= deadline) {
      StopChild(maker, "namespace maker", absl::ZeroDuration());
      return "the mount namespace was not ready after 20 s";
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  mount_namespace_fd_ =
      open(absl::StrCat("/proc/", maker, "/ns/mnt").c_str(), O_RDONLY | O_CLOEXEC);
  const int open_errno = errno;
  StopChild(maker, "namespace maker", absl::ZeroDuration());
  if (mount_namespace_fd_ < 0) {
    return absl::StrCat("open the namespace of ", maker, ": ", strerror(open_errno));
  }
  return "";
}

std::string LibvirtdSandbox::StartLibvirtd() {
  if (libvirtd_pid_ > 0) return "libvirtd is already running";
  std::string failure;
  libvirtd_pid_ =
      Spawn({libvirtd_, "-f", dir_ + "/etc/libvirtd.conf", "-p", dir_ + "/libvirtd.pid"},
            dir_ + "/logs/libvirtd.log", Namespace::kEnter, mount_namespace_fd_, failure);
  if (libvirtd_pid_ < 0) return failure;
  libvirtd_paused_ = false;
  // The first connection waits while libvirtd probes QEMU.
  return WaitUntilAnswering(absl::Seconds(60));
}

std::string LibvirtdSandbox::WaitUntilAnswering(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  LibvirtResult version;
  while (true) {
    if (!ChildRunning(libvirtd_pid_)) {
      return absl::StrCat("libvirtd exited:\n", LibvirtdLog());
    }
    version = Virsh({"version"}, Access::kReadWrite, deadline - absl::Now());
    if (version.ok()) return "";
    if (absl::Now() >= deadline) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::StrCat("libvirtd did not answer within ", absl::FormatDuration(timeout), ":\n",
                      version.error, "\n", LibvirtdLog());
}

LibvirtResult LibvirtdSandbox::Virsh(const std::vector<std::string>& args, Access access,
                                     absl::Duration timeout) const {
  const double seconds = std::max(0.1, absl::ToDoubleSeconds(timeout));
  std::vector<std::string> argv = {"timeout", "--kill-after=5", absl::StrCat(seconds), virsh_};
  if (access == Access::kReadOnly) {
    argv.insert(argv.end(), {"-r", "-c", read_only_uri_});
  } else {
    argv.insert(argv.end(), {"-c", read_write_uri_});
  }
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult command = RunCommand(argv);
  LibvirtResult result;
  if (command.exit_code == 0) {
    result.value = std::move(command.output);
  } else {
    result.error =
        absl::StrCat("virsh ", absl::StrJoin(args, " "), " exited with ", command.exit_code,
                     command.exit_code == 124 ? " (timed out)" : "", ":\n", command.output);
  }
  return result;
}

std::string LibvirtdSandbox::DomainXml(const DomainSpec& spec, const std::string& interface) const {
  std::string loader;
  if (!firmware_.empty()) {
    loader = absl::StrCat("\n    <loader type='rom' readonly='yes'>", firmware_, "</loader>");
  }
  return absl::StrReplaceAll(
      kDomainXml,
      {{"$TYPE", domain_type_},
       {"$NAME", XmlEscape(spec.name)},
       {"$MEMORY", absl::StrCat(spec.memory_mib)},
       {"$CURRENT_MEMORY",
        absl::StrCat(spec.current_memory_mib > 0 ? spec.current_memory_mib : spec.memory_mib)},
       {"$VCPUS", absl::StrCat(spec.vcpus)},
       {"$CURRENT_VCPUS", absl::StrCat(spec.current_vcpus > 0 ? spec.current_vcpus : spec.vcpus)},
       {"$LOADER", loader},
       {"$IMAGE", XmlEscape(absl::StrCat(dir_, "/images/", spec.name, ".qcow2"))},
       {"$INTERFACE",
        interface.empty() ? "" : absl::StrReplaceAll(kInterfaceXml, {{"$DEVICE", interface}})}});
}

LibvirtResult LibvirtdSandbox::WriteDomain(const DomainSpec& spec) {
  LibvirtResult result;
  if (!started_ || libvirtd_pid_ <= 0) {
    result.error = "the sandbox's libvirtd is not running";
    return result;
  }
  if (spec.name.empty() || absl::StrContains(spec.name, "/")) {
    result.error = absl::StrCat("bad domain name \"", spec.name, "\"");
    return result;
  }
  const std::string image = absl::StrCat(dir_, "/images/", spec.name, ".qcow2");
  CommandResult create = RunCommand({"timeout", "30", qemu_img_, "create", "-q", "-f", "qcow2",
                                     image, absl::StrCat(spec.disk_mib, "M")});
  if (create.exit_code != 0) {
    result.error = absl::StrCat("qemu-img create ", image, " exited with ", create.exit_code, ":\n",
                                create.output);
    return result;
  }
  std::string interface;
  if (spec.with_interface) interface = absl::StrCat("st-", unique_, "-", ++interfaces_made_);
  const std::string path = absl::StrCat(dir_, "/xml/", spec.name, ".xml");
  if (!WriteFile(path, DomainXml(spec, interface))) {
    result.error = "cannot write " + path;
    return result;
  }
  domains_[spec.name] = interface;
  result.value = path;
  return result;
}

LibvirtResult LibvirtdSandbox::DefineDomain(const DomainSpec& spec) {
  LibvirtResult xml = WriteDomain(spec);
  if (!xml.ok()) return xml;
  LibvirtResult define = Virsh({"define", xml.value});
  if (define.ok()) define.value = spec.name;
  return define;
}

LibvirtResult LibvirtdSandbox::StartDomain(const std::string& name) {
  return Virsh({"start", name});
}

LibvirtResult LibvirtdSandbox::DefineAndStartDomain(const DomainSpec& spec) {
  LibvirtResult define = DefineDomain(spec);
  if (!define.ok()) return define;
  LibvirtResult start = StartDomain(spec.name);
  if (start.ok()) start.value = spec.name;
  return start;
}

LibvirtResult LibvirtdSandbox::CreateTransientDomain(const DomainSpec& spec) {
  LibvirtResult xml = WriteDomain(spec);
  if (!xml.ok()) return xml;
  LibvirtResult create = Virsh({"create", xml.value});
  if (create.ok()) create.value = spec.name;
  return create;
}

LibvirtResult LibvirtdSandbox::DestroyDomain(const std::string& name) {
  return Virsh({"destroy", name});
}

LibvirtResult LibvirtdSandbox::UndefineDomain(const std::string& name) {
  return Virsh({"undefine", name});
}

std::string LibvirtdSandbox::PauseLibvirtd() {
  if (libvirtd_pid_ <= 0) return "libvirtd is not running";
  if (kill(libvirtd_pid_, SIGSTOP) != 0) return absl::StrCat("SIGSTOP: ", strerror(errno));
  libvirtd_paused_ = true;
  // Stopped once every thread is: wait for the state to say so.
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (ProcessState(libvirtd_pid_) != 'T') {
    if (absl::Now() >= deadline) return "libvirtd did not stop within 5 s of SIGSTOP";
    absl::SleepFor(absl::Milliseconds(5));
  }
  return "";
}

std::string LibvirtdSandbox::ResumeLibvirtd() {
  if (libvirtd_pid_ <= 0) return "libvirtd is not running";
  if (kill(libvirtd_pid_, SIGCONT) != 0) return absl::StrCat("SIGCONT: ", strerror(errno));
  libvirtd_paused_ = false;
  return "";
}

std::string LibvirtdSandbox::KillLibvirtd() {
  if (libvirtd_pid_ <= 0) return "libvirtd is not running";
  kill(libvirtd_pid_, SIGKILL);
  waitpid(libvirtd_pid_, nullptr, 0);
  libvirtd_pid_ = -1;
  libvirtd_paused_ = false;
  return "";
}

std::string LibvirtdSandbox::StopLibvirtd() {
  if (libvirtd_pid_ <= 0) return "libvirtd is not running";
  StopChild(libvirtd_pid_, "libvirtd", absl::Seconds(10));
  libvirtd_paused_ = false;
  return "";
}

std::string LibvirtdSandbox::RestartLibvirtd() {
  if (!started_ || mount_namespace_fd_ < 0) return "the sandbox is not started";
  return StartLibvirtd();
}

void LibvirtdSandbox::DestroyDomainsMadeHere(std::vector<std::string>& left) {
  if (domains_.empty()) return;
  if (libvirtd_paused_) ResumeLibvirtd();
  if (!ChildRunning(libvirtd_pid_)) return;  // QEMU is killed directly, below
  // The domains made here that `virsh list <flags>` names.
  auto listed = [this, &left](const std::vector<std::string>& flags) {
    std::vector<std::string> args = {"list", "--name"};
    args.insert(args.end(), flags.begin(), flags.end());
    LibvirtResult list = Virsh(args, Access::kReadWrite, absl::Seconds(20));
    std::vector<std::string> ours;
    if (!list.ok()) {
      left.push_back(list.error);
      return ours;
    }
    for (absl::string_view name : absl::StrSplit(list.value, '\n', absl::SkipWhitespace())) {
      name = absl::StripAsciiWhitespace(name);
      if (domains_.count(std::string(name)) > 0) ours.emplace_back(name);
    }
    return ours;
  };
  // Running first (a transient one is gone once destroyed), then the persistent ones.
  for (const std::string& name : listed({})) {
    LibvirtResult destroy = Virsh({"destroy", name}, Access::kReadWrite, absl::Seconds(20));
    if (!destroy.ok()) left.push_back(destroy.error);
  }
  for (const std::string& name : listed({"--all", "--persistent"})) {
    LibvirtResult undefine = Virsh({"undefine", name}, Access::kReadWrite, absl::Seconds(20));
    if (!undefine.ok()) left.push_back(undefine.error);
  }
  for (const std::string& name : listed({"--all"})) left.push_back("domain left: " + name);
}

void LibvirtdSandbox::RemoveCgroups(std::vector<std::string>& left) {
  RemoveMachineCgroupsOf(unique_, left);
  for (const std::string& mount : machine_cgroups_absent_) {
    // Another sandbox's domains may still be in it: then it stays.
    const std::string machine = mount + "/machine";
    if (!HasSubdirectory(machine)) rmdir(machine.c_str());
  }
}

std::vector<std::string> LibvirtdSandbox::Cleanup() {
  std::vector<std::string> left;
  if (!started_) return left;
  started_ = false;
  // With libvirtd gone (a test killed it), QEMU can only be killed directly.
  const bool libvirtd_was_running = ChildRunning(libvirtd_pid_);
  DestroyDomainsMadeHere(left);
  if (libvirtd_pid_ > 0) {
    std::string stopped = StopChild(libvirtd_pid_, "libvirtd", absl::Seconds(10));
    if (!stopped.empty()) left.push_back(stopped);
  }
  if (virtlogd_pid_ > 0) {
    std::string stopped = StopChild(virtlogd_pid_, "virtlogd", absl::Seconds(10));
    if (!stopped.empty()) left.push_back(stopped);
  }
  libvirtd_paused_ = false;

  // QEMU still running: libvirtd was killed, or did not destroy it.
  if (!dir_.empty()) {
    for (const auto& [pid, command_line] : KillQemuOf(dir_, left)) {
      if (libvirtd_was_running) left.push_back("process left running, killed: " + command_line);
    }
  }
  StopReaper();
  if (mount_namespace_fd_ >= 0) {
    close(mount_namespace_fd_);
    mount_namespace_fd_ = -1;
  }
  RemoveCgroups(left);
  for (const std::string& tap : DeleteTapDevicesOf(unique_, left)) {
    left.push_back("tap device left: " + tap);
  }
  domains_.clear();
  if (!dir_.empty()) {
    CopyXmlFiles(dir_ + "/" + kCapabilitiesDir, CapabilitiesCacheDir(), unique_);
    RemoveSandboxDirectory(dir_, left);
  }
  return left;
}

}  // namespace strata::testing
