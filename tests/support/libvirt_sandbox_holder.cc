// Holds a LibvirtdSandbox with running domains until it is told to stop: the
// process that tests/e2e/libvirt_sandbox_sweep_test.cc kills with SIGKILL, as
// a ctest timeout kills a test, to leave behind what a killed test leaves,
// and the libvirtd that bench/measure-libvirt measures against.
//
//   libvirt_sandbox_holder READY_FILE [DOMAINS]
//
// Starts DOMAINS (default 1) minimal domains, then writes three lines to
// READY_FILE: the sandbox's directory, its read-only URI and libvirtd's PID.
// Then waits: SIGTERM or SIGINT removes everything (Cleanup) and exits 0;
// SIGKILL leaves it for the next sandbox to sweep. Exits 1 with the reason on
// stderr when it cannot get that far.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/support/libvirtd_sandbox.h"

namespace {
volatile sig_atomic_t stop_requested = 0;
}  // namespace

int main(int argc, char** argv) {
  int domains = 1;
  if (argc < 2 || argc > 3 ||
      (argc == 3 && (!absl::SimpleAtoi(argv[2], &domains) || domains < 1 || domains > 1000))) {
    std::cerr << "usage: libvirt_sandbox_holder READY_FILE [DOMAINS (1-1000)]\n";
    return 2;
  }
  // A handler, not a blocked mask: the daemons the sandbox starts inherit the
  // mask (and would then ignore SIGTERM), while exec resets handlers.
  struct sigaction on_stop = {};
  on_stop.sa_handler = [](int) { stop_requested = 1; };
  sigaction(SIGTERM, &on_stop, nullptr);
  sigaction(SIGINT, &on_stop, nullptr);

  const std::string ready_file = argv[1];
  strata::testing::LibvirtdSandbox sandbox;
  const std::string failure = sandbox.Start();
  if (!failure.empty()) {
    std::cerr << "sandbox: " << failure << "\n";
    return 1;
  }
  for (int i = 0; i < domains; ++i) {
    const std::string name = domains == 1 ? "held" : absl::StrCat("held-", i);
    strata::testing::LibvirtResult started =
        sandbox.DefineAndStartDomain(strata::testing::DomainSpec{sandbox.Name(name)});
    if (!started.ok()) {
      std::cerr << "domain: " << started.error << "\n" << sandbox.LibvirtdLog() << "\n";
      return 1;  // the destructor cleans up
    }
  }
  // Renamed into place, so that the reader never sees half a file.
  const std::string temporary = absl::StrCat(ready_file, ".tmp");
  std::ofstream(temporary) << sandbox.dir() << "\n"
                           << sandbox.read_only_uri() << "\n"
                           << sandbox.libvirtd_pid() << "\n";
  if (std::rename(temporary.c_str(), ready_file.c_str()) != 0) {
    std::cerr << "cannot write " << ready_file << "\n";
    return 1;
  }
  // At most an hour; the sweep test kills this process long before.
  for (int i = 0; i < 36000 && stop_requested == 0; ++i) absl::SleepFor(absl::Milliseconds(100));
  for (const std::string& left : sandbox.Cleanup()) std::cerr << "left behind: " << left << "\n";
  return 0;
}
