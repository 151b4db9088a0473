// NewDockerApiLister and ContainerMetadataCache against a real Podman API
// service (`podman system service`), run as root with a private storage root,
// a busybox image built from busybox-static and no network, so it needs
// neither a registry nor systemd. CI installs podman, runc and busybox-static;
// when they are missing these tests fail rather than skip.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "collectors/cgroup/docker_api.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/exporter_process.h"

extern char** environ;

namespace strata {
namespace {

namespace fs = std::filesystem;
using ::strata::testing::CommandResult;
using ::strata::testing::RunCommand;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

constexpr char kInstallHint[] =
    "the Podman integration test needs root and the Debian packages podman, runc and "
    "busybox-static (apt-get install --no-install-recommends podman runc busybox-static "
    "uidmap; scripts/install-deps does it in CI)";
constexpr char kImage[] = "localhost/strata-test-busybox:latest";
// Far above what any podman call here takes (well under a second), so a hung
// podman fails the test and still leaves time to clean up.
constexpr char kCommandTimeoutSeconds[] = "60";

std::string FindExecutable(const std::string& name) {
  const char* path = getenv("PATH");
  // CI may run with a PATH that lacks the sbin directories.
  std::string dirs = absl::StrCat(path == nullptr ? "" : path, ":/usr/sbin:/usr/bin:/sbin:/bin");
  for (absl::string_view dir : absl::StrSplit(dirs, ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The last non-empty line: podman prints warnings, if any, before its answer.
std::string LastLine(const std::string& output) {
  std::vector<std::string> lines = absl::StrSplit(output, '\n', absl::SkipWhitespace());
  return lines.empty() ? "" : std::string(absl::StripAsciiWhitespace(lines.back()));
}

// Lines that are container or image ids, as `podman ps -q` and `podman images -q` print them.
std::vector<std::string> IdLines(const std::string& output) {
  std::vector<std::string> ids;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty() && std::all_of(line.begin(), line.end(), absl::ascii_isxdigit)) {
      ids.emplace_back(line);
    }
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

// Processes whose command line mentions `text`: what podman started for this
// test names its private storage directory.
std::vector<std::string> ProcessesMentioning(const std::string& text) {
  std::vector<std::string> found;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc", error)) {
    const std::string pid = entry.path().filename();
    if (!std::all_of(pid.begin(), pid.end(), absl::ascii_isdigit)) continue;
    std::string cmdline = ReadFile(absl::StrCat("/proc/", pid, "/cmdline"));
    if (!absl::StrContains(cmdline, text)) continue;
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    found.push_back(absl::StrCat(pid, ": ", cmdline));
  }
  return found;
}

// Reaps finished children of this process. As a child
// subreaper the test inherits conmon, which podman detaches from itself; PID 1
// may not reap (it is not always an init).
void ReapZombieChildren() {
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename();
    int pid = 0;
    if (!absl::SimpleAtoi(name, &pid)) continue;
    // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces.
    const std::string stat = ReadFile(absl::StrCat("/proc/", name, "/stat"));
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
  std::istringstream mountinfo(ReadFile("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(mountinfo, line)) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ');
    if (fields.size() > 4 && absl::StartsWith(fields[4], dir)) mounts.push_back(fields[4]);
  }
  std::sort(mounts.begin(), mounts.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return mounts;
}

// Where each cgroup hierarchy (v1 controllers, v2 unified) is mounted.
std::vector<std::string> CgroupMounts() {
  std::vector<std::string> mounts;
  std::istringstream mountinfo(ReadFile("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(mountinfo, line)) {
    std::vector<std::string> halves = absl::StrSplit(line, " - ");
    if (halves.size() != 2) continue;
    std::vector<std::string> before = absl::StrSplit(halves[0], ' ');
    if (before.size() > 4 &&
        (absl::StartsWith(halves[1], "cgroup ") || absl::StartsWith(halves[1], "cgroup2 "))) {
      mounts.push_back(before[4]);
    }
  }
  return mounts;
}

// Removes the cgroup `relative` (and the ones below it) from every hierarchy;
// returns the ones that would not go.
std::vector<std::string> RemoveCgroup(const std::string& relative) {
  std::vector<std::string> left;
  for (const std::string& mount : CgroupMounts()) {
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
      if (rmdir(dir.c_str()) != 0) left.push_back(absl::StrCat(dir, ": ", strerror(errno)));
    }
  }
  return left;
}

// A long-running child with stdout and stderr in a log file; stopped and
// reaped at the latest when destroyed.
class ServiceProcess {
 public:
  ServiceProcess() = default;
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;
  ~ServiceProcess() { Stop(absl::ZeroDuration()); }

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

// One private Podman per test: storage, image, a running container labelled
// strata.test=1 and the API service on a unix socket. TearDown removes all of
// it, and checks that it did, whatever the test body did.
class PodmanApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << kInstallHint;
    podman_ = FindExecutable("podman");
    ASSERT_FALSE(podman_.empty()) << "podman not found: " << kInstallHint;
    ASSERT_FALSE(FindExecutable("runc").empty()) << "runc not found: " << kInstallHint;
    ASSERT_TRUE(fs::exists("/bin/busybox")) << "/bin/busybox not found: " << kInstallHint;

    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0) << strerror(errno);
    char dir_template[] = "/tmp/strata-podman-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr) << strerror(errno);
    dir_ = dir_template;
    const std::string unique = dir_.substr(dir_.rfind('-') + 1);
    name_ = "strata-test-" + unique;
    // A cgroup parent of its own, so TearDown can find and remove the
    // cgroups podman leaves behind.
    cgroup_parent_ = "/strata-test-" + unique;
    socket_ = dir_ + "/api.sock";

    ASSERT_NO_FATAL_FAILURE(ImportImage());
    started_after_ = absl::Now();
    ASSERT_NO_FATAL_FAILURE(
        Podman({"run", "-d", "--name", name_, "--cgroup-parent", cgroup_parent_, "--network",
                "none", "--ulimit", UlimitWithin(RLIMIT_NOFILE, "nofile", 20000), "--ulimit",
                UlimitWithin(RLIMIT_NPROC, "nproc", 32768), "--label", "strata.test=1", kImage,
                "/bin/busybox", "sleep", "300"}));
    std::string output;
    ASSERT_NO_FATAL_FAILURE(Podman({"inspect", "--format", "{{.Id}}", name_}, &output));
    id_ = LastLine(output);
    ASSERT_EQ(id_.size(), 64u) << output;
    ASSERT_NO_FATAL_FAILURE(Podman({"inspect", "--format", "{{.Image}}", name_}, &output));
    image_id_ = "sha256:" + LastLine(output);
    ASSERT_NO_FATAL_FAILURE(StartService());
  }

  void TearDown() override {
    if (!dir_.empty()) CleanUp();
    prctl(PR_SET_CHILD_SUBREAPER, 0);
  }

  // podman with this test's global flags. No systemd here: cgroupfs and a
  // file for events. runc, since crun refuses the hybrid cgroup layout. vfs
  // needs no overlay support and leaves no mounts behind.
  std::vector<std::string> PodmanArgv(const std::vector<std::string>& args) const {
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

  CommandResult RunPodman(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"timeout", "--kill-after=5", kCommandTimeoutSeconds};
    for (std::string& arg : PodmanArgv(args)) argv.push_back(std::move(arg));
    return RunCommand(argv);
  }

  // Runs podman; a fatal failure, with podman's output, when it exits non-zero.
  void Podman(const std::vector<std::string>& args, std::string* output = nullptr) {
    CommandResult result = RunPodman(args);
    ASSERT_EQ(result.exit_code, 0) << "podman " << absl::StrJoin(args, " ") << ":\n"
                                   << result.output;
    if (output != nullptr) *output = result.output;
  }

  void ImportImage() {
    const std::string rootfs = dir_ + "/rootfs";
    for (const char* sub : {"bin", "proc", "sys", "dev", "etc", "run", "tmp"}) {
      fs::create_directories(rootfs + "/" + sub);
    }
    fs::copy_file("/bin/busybox", rootfs + "/bin/busybox");
    const std::string tarball = dir_ + "/rootfs.tar";
    CommandResult tar = RunCommand({"tar", "-C", rootfs, "-cf", tarball, "."});
    ASSERT_EQ(tar.exit_code, 0) << tar.output;
    ASSERT_NO_FATAL_FAILURE(
        Podman({"import", "--change", R"(CMD ["/bin/busybox","sh"])", tarball, kImage}));
  }

  void StartService() {
    ASSERT_TRUE(service_.Start(PodmanArgv({"system", "service", "--time=0", "unix://" + socket_}),
                               dir_ + "/service.log"))
        << strerror(errno);
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (!IsSocket(socket_)) {
      ASSERT_TRUE(service_.Running()) << "podman system service exited:\n"
                                      << ReadFile(dir_ + "/service.log");
      ASSERT_LT(absl::Now(), deadline) << "no socket " << socket_ << " after 20 s:\n"
                                       << ReadFile(dir_ + "/service.log");
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  void CleanUp() {
    service_.Stop(absl::Seconds(5));
    if (fs::exists(dir_ + "/root")) {
      CommandResult rm = RunPodman({"rm", "--all", "--force", "--time", "0"});
      EXPECT_EQ(rm.exit_code, 0) << rm.output;
      CommandResult rmi = RunPodman({"rmi", "--all", "--force"});
      EXPECT_EQ(rmi.exit_code, 0) << rmi.output;
      EXPECT_THAT(IdLines(RunPodman({"ps", "--all", "--quiet"}).output), IsEmpty())
          << "containers left";
      EXPECT_THAT(IdLines(RunPodman({"images", "--quiet"}).output), IsEmpty()) << "images left";
    }
    // conmon and its `podman container cleanup` go away shortly after rm.
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    std::vector<std::string> left;
    do {
      absl::SleepFor(absl::Milliseconds(20));
      ReapZombieChildren();
      left = ProcessesMentioning(dir_);
    } while (!left.empty() && absl::Now() < deadline);
    EXPECT_THAT(left, IsEmpty()) << "podman processes left";
    for (const std::string& process : left) kill(std::stoi(process), SIGKILL);
    ReapZombieChildren();

    for (const std::string& mount : MountsUnder(dir_)) {
      ADD_FAILURE() << "left mounted: " << mount;
      umount2(mount.c_str(), MNT_DETACH);
    }
    EXPECT_THAT(RemoveCgroup(cgroup_parent_), IsEmpty());
    std::error_code error;
    fs::remove_all(dir_, error);
    EXPECT_FALSE(error) << dir_ << ": " << error.message();
  }

  std::string podman_;
  std::string dir_;
  std::string name_;
  std::string cgroup_parent_;
  std::string socket_;
  std::string id_;
  std::string image_id_;
  absl::Time started_after_;
  ServiceProcess service_;
};

TEST_F(PodmanApiTest, ListerReturnsTheRunningContainerWithItsMetadata) {
  absl::StatusOr<std::vector<EngineContainer>> containers =
      NewDockerApiLister(socket_, absl::Seconds(10))->ListContainers();
  ASSERT_TRUE(containers.ok()) << containers.status();
  ASSERT_EQ(containers->size(), 1u);
  const EngineContainer& container = containers->front();
  EXPECT_EQ(container.id, id_);
  EXPECT_EQ(container.name, name_);
  EXPECT_EQ(container.image, kImage);
  EXPECT_EQ(container.image_id, image_id_);
  // Created has whole seconds.
  EXPECT_GE(container.created_seconds, absl::ToUnixSeconds(started_after_) - 1);
  EXPECT_LE(container.created_seconds, absl::ToUnixSeconds(absl::Now()) + 1);
  EXPECT_THAT(container.labels, Contains(Pair("strata.test", "1")));
}

TEST_F(PodmanApiTest, CacheAsksTheServiceOnlyWhenTheIdSetChanges) {
  ContainerMetadataCache cache(NewDockerApiLister(socket_, absl::Seconds(10)));
  ASSERT_TRUE(cache.Refresh({id_}).ok());
  ASSERT_TRUE(cache.Refresh({id_}).ok());
  EXPECT_EQ(cache.requests(), 1);
  const EngineContainer* found = cache.Find(id_);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->name, name_);

  // A container the engine does not know, as when a cgroup of another engine appears.
  const std::string stranger(64, 'f');
  ASSERT_TRUE(cache.Refresh({id_, stranger}).ok());
  EXPECT_EQ(cache.requests(), 2);
  EXPECT_EQ(cache.Find(stranger), nullptr);
  ASSERT_NE(cache.Find(id_), nullptr);
}

TEST_F(PodmanApiTest, StoppedContainerIsNoLongerListed) {
  ASSERT_NO_FATAL_FAILURE(Podman({"stop", "--time", "0", name_}));
  absl::StatusOr<std::vector<EngineContainer>> containers =
      NewDockerApiLister(socket_, absl::Seconds(10))->ListContainers();
  ASSERT_TRUE(containers.ok()) << containers.status();
  EXPECT_THAT(*containers, IsEmpty());
}

TEST(DockerApiListerErrors, MissingSocketIsUnavailableAtOnceAndNamesThePath) {
  const std::string path = absl::StrCat("/tmp/strata-no-such-dir-", getpid(), "/docker.sock");
  ASSERT_FALSE(fs::exists(path));
  const absl::Time start = absl::Now();
  absl::StatusOr<std::vector<EngineContainer>> containers =
      NewDockerApiLister(path, absl::Seconds(10))->ListContainers();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_TRUE(absl::IsUnavailable(containers.status())) << containers.status();
  EXPECT_THAT(containers.status().message(), HasSubstr(path));
}

TEST(DockerApiListerErrors, EngineThatNeverAnswersTimesOut) {
  char dir_template[] = "/tmp/strata-silent-engine-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr) << strerror(errno);
  const std::string dir = dir_template;
  const std::string path = dir + "/engine.sock";
  // Listening, so the kernel accepts connections into the backlog, and never
  // reading: the request is sent and no answer ever comes.
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  const bool listening = fd >= 0 &&
                         bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                         listen(fd, 4) == 0;
  const int listen_errno = errno;

  absl::StatusOr<std::vector<EngineContainer>> containers;
  absl::Duration elapsed;
  if (listening) {
    const absl::Time start = absl::Now();
    containers = NewDockerApiLister(path, absl::Seconds(1))->ListContainers();
    elapsed = absl::Now() - start;
  }
  if (fd >= 0) close(fd);
  fs::remove_all(dir);

  ASSERT_TRUE(listening) << strerror(listen_errno);
  EXPECT_GE(elapsed, absl::Milliseconds(900));
  EXPECT_LT(elapsed, absl::Seconds(2));
  EXPECT_TRUE(absl::IsUnavailable(containers.status())) << containers.status();
  EXPECT_THAT(containers.status().message(), AllOf(HasSubstr(path), HasSubstr("timed out")));
}

}  // namespace
}  // namespace strata
