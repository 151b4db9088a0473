// NewDockerApiLister and ContainerMetadataCache against a real Podman API
// service (`podman system service`) in a PodmanSandbox: run as root with a
// private storage root, a busybox image built from busybox-static and no
// network, so it needs neither a registry nor systemd. CI installs podman,
// runc and busybox-static; when they are missing these tests fail rather than
// skip.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "collectors/cgroup/docker_api.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/podman_sandbox.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using ::strata::testing::PodmanResult;
using ::strata::testing::PodmanSandbox;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

// One private Podman per test: storage, image, a running container labelled
// strata.test=1 and the API service on a unix socket. TearDown removes all of
// it, and checks that it did, whatever the test body did.
class PodmanApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string error = sandbox_.Start();
    ASSERT_TRUE(error.empty()) << error;
    socket_ = sandbox_.socket_path();
    name_ = "strata-test-" + sandbox_.unique();
    started_after_ = absl::Now();
    PodmanResult run = sandbox_.RunContainer(name_, {{"strata.test", "1"}});
    ASSERT_TRUE(run.ok()) << run.error;
    id_ = run.value;
    PodmanResult image = sandbox_.Inspect(name_, "{{.Image}}");
    ASSERT_TRUE(image.ok()) << image.error;
    image_id_ = "sha256:" + image.value;
  }

  void TearDown() override { EXPECT_THAT(sandbox_.Cleanup(), IsEmpty()) << "left behind"; }

  PodmanSandbox sandbox_;
  std::string name_;
  std::string socket_;
  std::string id_;
  std::string image_id_;
  absl::Time started_after_;
};

TEST_F(PodmanApiTest, ListerReturnsTheRunningContainerWithItsMetadata) {
  absl::StatusOr<std::vector<EngineContainer>> containers =
      NewDockerApiLister(socket_, absl::Seconds(10))->ListContainers();
  ASSERT_TRUE(containers.ok()) << containers.status();
  ASSERT_EQ(containers->size(), 1u);
  const EngineContainer& container = containers->front();
  EXPECT_EQ(container.id, id_);
  EXPECT_EQ(container.name, name_);
  EXPECT_EQ(container.image, PodmanSandbox::kImage);
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
  PodmanResult stop = sandbox_.StopContainer(name_);
  ASSERT_TRUE(stop.ok()) << stop.error;
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
