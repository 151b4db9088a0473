// The cgroup collector with its default options on the captured fixture trees
// (tests/fixtures/cgroup): what the default filters leave out.
#include <cctype>
#include <filesystem>
#include <sstream>

#include "base/host_fs.h"
#include "collectors/cgroup/cgroup_collector.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "tests/support/exposition.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

using ::testing::HasSubstr;
using ::testing::Not;
using testing::SampleValue;

const fs::path kFixtures = fs::path(STRATA_SOURCE_DIR) / "tests/fixtures/cgroup";

std::string CollectFixture(const std::string& fixture) {
  const fs::path root = kFixtures / fixture;
  auto host_fs = NewRealHostFs({(root / "proc").string(), (root / "sys").string(), "/nonexistent"});
  std::ostringstream log;
  Logger logger(LogLevel::kDebug, log);
  CgroupCollectorOptions options;
  options.docker_socket = "";
  auto collector = NewCgroupCollector({*host_fs, logger}, options);
  EXPECT_TRUE(collector.ok()) << collector.status();
  std::vector<prometheus::MetricFamily> families;
  absl::Status status = (*collector)->Collect(families);
  EXPECT_TRUE(status.ok()) << status;
  return prometheus::TextSerializer().Serialize(families);
}

class CgroupFixtureTest : public ::testing::TestWithParam<std::string> {};

// Podman's conmon cgroup under the cgroupfs manager (/libpod_parent/conmon)
// was reported as a cgroup of kind "other", where its systemd counterpart
// (libpod-conmon-<id>.scope) is filtered as noise.
TEST_P(CgroupFixtureTest, PodmansConmonCgroupIsFilteredAsNoise) {
  const std::string text = CollectFixture(GetParam());
  EXPECT_THAT(text, Not(HasSubstr("cgroup=\"/libpod_parent/conmon\"")));
  // Its neighbours stay: the container and the parent.
  EXPECT_THAT(text, HasSubstr("cgroup=\"/libpod_parent/libpod-bf941dfe1593"));
  EXPECT_THAT(text, HasSubstr("cgroup=\"/libpod_parent\""));
  // Filtered by default: the mount unit, the login session and conmon.
  EXPECT_EQ(SampleValue(text, "strata_cgroup_skipped{reason=\"filter\"}"), 3);
}

INSTANTIATE_TEST_SUITE_P(Captured, CgroupFixtureTest,
                         ::testing::Values("hybrid-firecracker-6.18",
                                           "v1-from-hybrid-firecracker-6.18"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace strata
