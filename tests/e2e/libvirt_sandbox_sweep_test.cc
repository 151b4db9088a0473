// A LibvirtdSandbox whose test is killed with SIGKILL (a ctest timeout) never
// runs Cleanup(): its daemons die with it, but the QEMU that libvirtd
// daemonized, its cgroups, its tap device and the directory stay. The next
// sandbox's Start() must sweep them. This test makes that situation for real:
// it runs tests/support/libvirt_sandbox_holder, which starts a sandbox and a
// domain and then waits, kills it with SIGKILL, checks what was left, and
// starts a new sandbox. Needs root and the libvirt and QEMU
// packages (CI installs them).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/libvirtd_sandbox.h"
#include "tests/support/test_files.h"

namespace strata::testing {
namespace {

namespace fs = std::filesystem;

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Live QEMU processes whose command line names `dir`'s disk images.
std::vector<pid_t> QemuProcessesOf(const std::string& dir) {
  std::vector<pid_t> found;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc", error)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    const std::string proc = absl::StrCat("/proc/", pid);
    if (absl::StartsWith(ReadWholeFile(proc + "/comm"), "qemu-system") &&
        absl::StrContains(ReadWholeFile(proc + "/cmdline"), dir + "/images/") &&
        !absl::StrContains(ReadWholeFile(proc + "/stat"), ") Z ")) {
      found.push_back(pid);
    }
  }
  return found;
}

// The cgroups below each hierarchy's "machine" cgroup named after `unique`.
std::vector<std::string> MachineCgroupsOf(const std::string& unique) {
  std::vector<std::string> found;
  for (const std::string& mount : CgroupMountPoints()) {
    std::error_code error;
    for (const fs::directory_entry& entry : fs::directory_iterator(mount + "/machine", error)) {
      if (absl::StrContains(entry.path().filename().string(), unique)) {
        found.push_back(entry.path());
      }
    }
  }
  return found;
}

// libvirt_sandbox_holder in a child process, killed with SIGKILL when the
// test ends if it has not been by then.
class HelperProcess {
 public:
  HelperProcess(const std::string& ready_file, const std::string& log_file) {
    pid_ = fork();
    if (pid_ != 0) return;
    const int log = open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (log >= 0) {
      dup2(log, STDOUT_FILENO);
      dup2(log, STDERR_FILENO);
    }
    execl(STRATA_SANDBOX_HOLDER, STRATA_SANDBOX_HOLDER, ready_file.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  HelperProcess(const HelperProcess&) = delete;
  HelperProcess& operator=(const HelperProcess&) = delete;
  ~HelperProcess() { Kill(); }

  bool Running() {
    if (pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) != 0) pid_ = -1;
    return pid_ > 0;
  }
  // SIGKILL, then reaped: its PID names no process any more.
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

TEST(LibvirtSandboxSweep, NextStartSweepsWhatASandboxKilledWithSigkillLeft) {
  const std::string base = absl::StrCat(::testing::TempDir(), "libvirt-sweep-", getpid());
  const std::string ready_file = base + ".ready";
  const std::string log_file = base + ".log";
  fs::remove(ready_file);
  HelperProcess helper(ready_file, log_file);
  ASSERT_GT(helper.pid(), 0) << "fork: " << strerror(errno);

  // libvirtd probes QEMU on its first start: seconds, more under load.
  const absl::Time deadline = absl::Now() + absl::Seconds(90);
  while (!fs::exists(ready_file) && helper.Running() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  const std::string helper_log = ReadWholeFile(log_file);
  fs::remove(log_file);
  ASSERT_TRUE(fs::exists(ready_file)) << "the helper made no sandbox with a running domain:\n"
                                      << helper_log;
  // Its first line: the directory (then the URI and libvirtd's PID).
  const std::string ready = ReadWholeFile(ready_file);
  const std::string dir(absl::StripAsciiWhitespace(ready.substr(0, ready.find('\n'))));
  const std::string unique = dir.substr(dir.rfind('-') + 1);
  const std::string tap = absl::StrCat("/sys/class/net/st-", unique, "-1");

  helper.Kill();
  fs::remove(ready_file);

  // What a killed test leaves: its daemons die with it, QEMU does not.
  const std::vector<pid_t> qemu = QemuProcessesOf(dir);
  ASSERT_EQ(qemu.size(), 1u) << "QEMU of " << dir << " should outlive the killed helper";
  const std::vector<std::string> cgroups = MachineCgroupsOf(unique);
  EXPECT_THAT(cgroups, Not(IsEmpty())) << "no machine cgroup named after " << unique;
  EXPECT_TRUE(fs::exists(tap)) << tap;
  EXPECT_TRUE(fs::is_directory(dir)) << dir;

  LibvirtdSandbox next;
  ASSERT_EQ(next.Start(), "");
  EXPECT_THAT(next.swept(),
              Contains(AllOf(HasSubstr(absl::StrCat("swept abandoned libvirtd sandbox ", dir,
                                                    " (its owner, pid ")),
                             HasSubstr(absl::StrCat("killed QEMU pid ", qemu[0])),
                             HasSubstr("removed the directory"), Not(HasSubstr("NOT undone")))));
  EXPECT_THAT(QemuProcessesOf(dir), IsEmpty());
  EXPECT_THAT(MachineCgroupsOf(unique), IsEmpty());
  EXPECT_FALSE(fs::exists(tap)) << tap;
  EXPECT_FALSE(fs::exists(dir)) << dir;
  EXPECT_THAT(next.Cleanup(), IsEmpty()) << "left behind";
}

}  // namespace
}  // namespace strata::testing
