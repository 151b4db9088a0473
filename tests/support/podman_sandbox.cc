#include "tests/support/podman_sandbox.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/support/exporter_process.h"
#include "tests/support/test_files.h"

extern char** environ;

namespace strata::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kInstallHint[] =
    "the Podman tests need root and the Debian packages podman, runc and busybox-static "
    "(apt-get install --no-install-recommends podman runc busybox-static uidmap; "
    "scripts/install-deps does it in CI)";
// Far above what any podman call here takes (well under a second), so a hung
// podman fails the test and still leaves time to clean up.
constexpr char kCommandTimeoutSeconds[] = "60";

// The last non-empty line: podman prints warnings, if any, before its answer.
std::string LastLine(const std::string& output) {
  std::vector<std::string> lines = absl::StrSplit(output, '\n', absl::SkipWhitespace());
  return lines.empty() ? "" : std::string(absl::StripAsciiWhitespace(lines.back()));
}

bool IsHex(absl::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), absl::ascii_isxdigit);
}

// Lines that are container or image ids, as `podman ps -q` and `podman images -q` print them.
std::vector<std::string> IdLines(const std::string& output) {
  std::vector<std::string> ids;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (IsHex(line)) ids.emplace_back(line);
  }
  return ids;
}

// podman's --ulimit for `resource` at `value`, or at our own hard limit if
// that is lower. Podman's default, 1048576, may be above it, and raising a
// hard limit needs CAP_SYS_RESOURCE, which sandboxes and CI runners may drop
// even for root ("error setting rlimit type 7: operation not permitted").
std::string UlimitWithin(int resource, const char* name, rlim_t value) {
  rlimit limit{};
  if (getrlimit(resource, &limit) == 0 && limit.rlim_max != RLIM_INFINITY) {
    value = std::min(value, limit.rlim_max);
  }
  return absl::StrCat(name, "=", value, ":", value);
}

bool IsSocket(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

// Processes whose command line mentions `text`: what podman started for a
// sandbox names its private storage directory.
std::vector<std::string> ProcessesMentioning(const std::string& text) {
  std::vector<std::string> found;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc", error)) {
    const std::string pid = entry.path().filename();
    if (!std::all_of(pid.begin(), pid.end(), absl::ascii_isdigit)) continue;
    std::string cmdline = ReadWholeFile(absl::StrCat("/proc/", pid, "/cmdline"));
    if (!absl::StrContains(cmdline, text)) continue;
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    found.push_back(absl::StrCat(pid, ": ", cmdline));
  }
  return found;
}

// Reaps finished children of this process. As a child subreaper the process
// inherits conmon, which podman detaches from itself; PID 1 may not reap (it
// is not always an init).
void ReapZombieChildren() {
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename();
    int pid = 0;
    if (!absl::SimpleAtoi(name, &pid)) continue;
    // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces.
    const std::string stat = ReadWholeFile(absl::StrCat("/proc/", name, "/stat"));
    const size_t paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    std::vector<std::string> fields =
        absl::StrSplit(stat.substr(paren + 1), ' ', absl::SkipEmpty());
    int ppid = 0;
    if (fields.size() < 2 || fields[0] != "Z" || !absl::SimpleAtoi(fields[1], &ppid)) continue;
    if (ppid == getpid()) waitpid(pid, nullptr, WNOHANG);
  }
}

// Mount points at or below `dir`, deepest first.
std::vector<std::string> MountsUnder(const std::string& dir) {
  std::vector<std::string> mounts;
  std::istringstream mountinfo(ReadWholeFile("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(mountinfo, line)) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ');
    if (fields.size() > 4 && absl::StartsWith(fields[4], dir)) mounts.push_back(fields[4]);
  }
  std::sort(mounts.begin(), mounts.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return mounts;
}

// Removes the cgroup `relative` (and the ones below it) from every hierarchy;
// returns the ones that would not go.
std::vector<std::string> RemoveCgroup(const std::string& relative) {
  std::vector<std::string> left;
  for (const std::string& mount : CgroupMountPoints()) {
    const std::string root = mount + relative;
    std::error_code error;
    if (!fs::is_directory(root, error)) continue;
    std::vector<std::string> dirs = {root};
    for (const fs::directory_entry& entry : fs::recursive_directory_iterator(root, error)) {
      if (entry.is_directory(error)) dirs.push_back(entry.path());
    }
    // Control files cannot be unlinked; rmdir takes a cgroup with them, children first.
    std::sort(dirs.begin(), dirs.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    for (const std::string& dir : dirs) {
      if (rmdir(dir.c_str()) != 0) {
        left.push_back(absl::StrCat("cgroup not removed: ", dir, ": ", strerror(errno)));
      }
    }
  }
  return left;
}

}  // namespace

// A long-running child with stdout and stderr in a log file; stopped and
// reaped at the latest when destroyed.
class PodmanSandbox::Service {
 public:
  Service() = default;
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;
  ~Service() { Stop(absl::ZeroDuration()); }

  bool Start(std::vector<std::string> args, const std::string& log_path) {
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    return pid_ > 0;
  }

  // True while the child has not exited; reaps it once it has.
  bool Running() {
    if (pid_ <= 0) return false;
    if (waitpid(pid_, nullptr, WNOHANG) == 0) return true;
    pid_ = -1;
    return false;
  }

  // SIGTERM, then SIGKILL if it is still there after `grace`.
  void Stop(absl::Duration grace) {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    const absl::Time deadline = absl::Now() + grace;
    while (Running() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

 private:
  pid_t pid_ = -1;
};

PodmanSandbox::PodmanSandbox() : service_(std::make_unique<Service>()) {}

PodmanSandbox::~PodmanSandbox() {
  for (const std::string& left : Cleanup()) std::cerr << "PodmanSandbox left: " << left << "\n";
}

std::string PodmanSandbox::Start() {
  if (started_) return "PodmanSandbox::Start called twice";
  if (geteuid() != 0) return absl::StrCat("not root: ", kInstallHint);
  podman_ = FindExecutable("podman");
  if (podman_.empty()) return absl::StrCat("podman not found: ", kInstallHint);
  if (FindExecutable("runc").empty()) return absl::StrCat("runc not found: ", kInstallHint);
  if (!fs::exists("/bin/busybox")) return absl::StrCat("/bin/busybox not found: ", kInstallHint);

  if (prctl(PR_GET_CHILD_SUBREAPER, &previous_subreaper_) != 0) previous_subreaper_ = 0;
  started_ = true;  // from here on Cleanup() has something to undo
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    return absl::StrCat("cannot become a child subreaper: ", strerror(errno));
  }
  char dir_template[] = "/tmp/strata-podman-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    return absl::StrCat("mkdtemp ", dir_template, ": ", strerror(errno));
  }
  dir_ = dir_template;
  unique_ = dir_.substr(dir_.rfind('-') + 1);
  // A cgroup parent of its own, so Cleanup() can find and remove the cgroups
  // podman leaves behind.
  cgroup_parent_ = "/strata-test-" + unique_;
  socket_ = dir_ + "/api.sock";

  std::string error = ImportImage(kImage, "");
  if (error.empty()) error = StartService();
  return error;
}

std::vector<std::string> PodmanSandbox::PodmanArgv(const std::vector<std::string>& args) const {
  // No systemd here: cgroupfs and a file for events. runc, since crun refuses
  // the hybrid cgroup layout. vfs needs no overlay support and leaves no
  // mounts behind.
  std::vector<std::string> argv = {podman_,
                                   "--root=" + dir_ + "/root",
                                   "--runroot=" + dir_ + "/runroot",
                                   "--tmpdir=" + dir_ + "/tmp",
                                   "--storage-driver=vfs",
                                   "--runtime=runc",
                                   "--cgroup-manager=cgroupfs",
                                   "--events-backend=file"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

PodmanResult PodmanSandbox::Podman(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"timeout", "--kill-after=5", kCommandTimeoutSeconds};
  for (std::string& arg : PodmanArgv(args)) argv.push_back(std::move(arg));
  CommandResult command = RunCommand(argv);
  PodmanResult result;
  if (command.exit_code == 0) {
    result.value = std::move(command.output);
  } else {
    result.error = absl::StrCat("podman ", absl::StrJoin(args, " "), " exited with ",
                                command.exit_code, ":\n", command.output);
  }
  return result;
}

std::string PodmanSandbox::ImportImage(const std::string& reference, const std::string& build) {
  const std::string rootfs = dir_ + "/rootfs";
  std::error_code error;
  for (const char* sub :
       {"bin", "proc", "sys", "dev", "etc/strata", "run", "tmp", "var/log", "var/cache"}) {
    fs::create_directories(rootfs + "/" + sub, error);
    if (error) return absl::StrCat("mkdir ", rootfs, "/", sub, ": ", error.message());
  }
  if (!fs::exists(rootfs + "/bin/busybox")) {
    fs::copy_file("/bin/busybox", rootfs + "/bin/busybox", error);
    if (error) return absl::StrCat("copy /bin/busybox: ", error.message());
  }
  const std::vector<std::pair<std::string, std::string>> files = {
      {"etc/motd", "strata test image\n"},
      {"etc/strata/app.conf", "level=info\n"},
      {"etc/strata/old.conf", "remove me\n"},
  };
  for (const auto& [path, text] : files) {
    std::ofstream(rootfs + "/" + path, std::ios::trunc) << text;
  }
  fs::remove(rootfs + "/etc/build-id", error);
  if (!build.empty()) std::ofstream(rootfs + "/etc/build-id", std::ios::trunc) << build << "\n";
  const std::string tarball = dir_ + "/rootfs.tar";
  CommandResult tar = RunCommand({"tar", "-C", rootfs, "-cf", tarball, "."});
  if (tar.exit_code != 0) return absl::StrCat("tar of the image's rootfs failed:\n", tar.output);
  return Podman({"import", "--change", R"(CMD ["/bin/busybox","sh"])", tarball, reference}).error;
}

PodmanResult PodmanSandbox::BuildImage(const std::string& reference, const std::string& build) {
  PodmanResult result;
  result.error = ImportImage(reference, build);
  if (!result.ok()) return result;
  result = Podman({"image", "inspect", "--format", "{{.Id}}", reference});
  if (result.ok()) result.value = LastLine(result.value);
  return result;
}

std::string PodmanSandbox::StartService() {
  if (!service_->Start(PodmanArgv({"system", "service", "--time=0", "unix://" + socket_}),
                       dir_ + "/service.log")) {
    return absl::StrCat("cannot start podman system service: ", strerror(errno));
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!IsSocket(socket_)) {
    if (!service_->Running()) {
      return absl::StrCat("podman system service exited:\n", ReadWholeFile(dir_ + "/service.log"));
    }
    if (absl::Now() >= deadline) {
      return absl::StrCat("no socket ", socket_, " after 20 s:\n",
                          ReadWholeFile(dir_ + "/service.log"));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return "";
}

PodmanResult PodmanSandbox::RunContainer(const std::string& name,
                                         const std::map<std::string, std::string>& labels,
                                         const std::vector<std::string>& extra_args,
                                         const std::vector<std::string>& command,
                                         const std::string& image) {
  std::vector<std::string> args = {"run",
                                   "-d",
                                   "--name",
                                   name,
                                   "--cgroup-parent",
                                   cgroup_parent_,
                                   "--network",
                                   "none",
                                   "--ulimit",
                                   UlimitWithin(RLIMIT_NOFILE, "nofile", 20000),
                                   "--ulimit",
                                   UlimitWithin(RLIMIT_NPROC, "nproc", 32768)};
  for (const auto& [key, value] : labels) {
    args.push_back("--label");
    args.push_back(key + "=" + value);
  }
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  args.push_back(image);
  args.insert(args.end(), command.begin(), command.end());
  PodmanResult run = Podman(args);
  if (!run.ok()) return run;
  PodmanResult id = Inspect(name, "{{.Id}}");
  if (id.ok() && (id.value.size() != 64 || !IsHex(id.value))) {
    id.error = absl::StrCat("podman inspect ", name, ": not a container id: ", id.value);
  }
  return id;
}

PodmanResult PodmanSandbox::StopContainer(const std::string& id_or_name) {
  return Podman({"stop", "--time", "0", id_or_name});
}

PodmanResult PodmanSandbox::Inspect(const std::string& id_or_name, const std::string& format) {
  PodmanResult result = Podman({"inspect", "--format", format, id_or_name});
  if (result.ok()) result.value = LastLine(result.value);
  return result;
}

std::string PodmanSandbox::ContainerCgroup(const std::string& full_id) const {
  return absl::StrCat(cgroup_parent_, "/libpod-", full_id);
}

std::vector<std::string> PodmanSandbox::Cleanup() {
  std::vector<std::string> left;
  if (!started_) return left;
  started_ = false;
  service_->Stop(absl::Seconds(5));
  if (!dir_.empty()) {
    if (fs::exists(dir_ + "/root")) {
      PodmanResult rm = Podman({"rm", "--all", "--force", "--time", "0"});
      if (!rm.ok()) left.push_back(rm.error);
      PodmanResult rmi = Podman({"rmi", "--all", "--force"});
      if (!rmi.ok()) left.push_back(rmi.error);
      for (const std::string& id : IdLines(Podman({"ps", "--all", "--quiet"}).value)) {
        left.push_back("container left: " + id);
      }
      for (const std::string& id : IdLines(Podman({"images", "--quiet"}).value)) {
        left.push_back("image left: " + id);
      }
    }
    // conmon and its `podman container cleanup` go away shortly after rm.
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    std::vector<std::string> processes;
    do {
      absl::SleepFor(absl::Milliseconds(20));
      ReapZombieChildren();
      processes = ProcessesMentioning(dir_);
    } while (!processes.empty() && absl::Now() < deadline);
    for (const std::string& process : processes) {
      left.push_back("podman process left: " + process);
      kill(std::stoi(process), SIGKILL);
    }
    ReapZombieChildren();

    for (const std::string& mount : MountsUnder(dir_)) {
      left.push_back("left mounted: " + mount);
      umount2(mount.c_str(), MNT_DETACH);
    }
    if (!cgroup_parent_.empty()) {
      for (std::string& cgroup : RemoveCgroup(cgroup_parent_)) left.push_back(std::move(cgroup));
    }
    std::error_code error;
    fs::remove_all(dir_, error);
    if (error) left.push_back(absl::StrCat("not removed: ", dir_, ": ", error.message()));
  }
  prctl(PR_SET_CHILD_SUBREAPER, previous_subreaper_);
  return left;
}

}  // namespace strata::testing
