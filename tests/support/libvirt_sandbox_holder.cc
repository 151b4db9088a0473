// Holds a LibvirtdSandbox with one running domain until it is killed: the
// process that tests/e2e/libvirt_sandbox_sweep_test.cc kills with SIGKILL, as
// a ctest timeout kills a test, to leave behind what a killed test leaves.
//
//   libvirt_sandbox_holder READY_FILE
//
// Writes the sandbox's directory to READY_FILE once the domain runs, then
// waits. Exits 1 with the reason on stderr when it cannot get that far.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/support/libvirtd_sandbox.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: libvirt_sandbox_holder READY_FILE\n";
    return 2;
  }
  const std::string ready_file = argv[1];
  strata::testing::LibvirtdSandbox sandbox;
  const std::string failure = sandbox.Start();
  if (!failure.empty()) {
    std::cerr << "sandbox: " << failure << "\n";
    return 1;
  }
  strata::testing::LibvirtResult started =
      sandbox.DefineAndStartDomain(strata::testing::DomainSpec{sandbox.Name("held")});
  if (!started.ok()) {
    std::cerr << "domain: " << started.error << "\n" << sandbox.LibvirtdLog() << "\n";
    return 1;
  }
  // Renamed into place, so that the reader never sees half a path.
  const std::string temporary = absl::StrCat(ready_file, ".tmp");
  std::ofstream(temporary) << sandbox.dir();
  if (std::rename(temporary.c_str(), ready_file.c_str()) != 0) {
    std::cerr << "cannot write " << ready_file << "\n";
    return 1;
  }
  // The test kills this process long before; should it not, Cleanup() runs.
  absl::SleepFor(absl::Seconds(100));
  return 0;
}
