#include "collectors/cgroup/docker_api.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <deque>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_files.h"

namespace strata {
namespace {

using ::strata::testing::ReadWholeFile;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::PrintToString;
using ::testing::UnorderedElementsAre;

std::string ReadFixture(const std::string& name) {
  return ReadWholeFile(std::string(STRATA_SOURCE_DIR) + "/tests/fixtures/docker_api/" + name);
}

// Parses `json`, which the test expects to be valid, as a single container.
EngineContainer ParseOne(const std::string& json) {
  absl::StatusOr<std::vector<EngineContainer>> containers = ParseContainerList(json);
  EXPECT_TRUE(containers.ok()) << containers.status();
  if (!containers.ok() || containers->size() != 1) {
    ADD_FAILURE() << "expected one container from " << json;
    return {};
  }
  return containers->front();
}

constexpr char kPodmanImageId[] =
    "sha256:a1937db3d1b8e9bca90e935889199ae315f7aa7ab30ab609792d53340e09c89a";

TEST(ParseContainerList, ReadsPodmanAnswer) {
  absl::StatusOr<std::vector<EngineContainer>> containers =
      ParseContainerList(ReadFixture("podman-4.3.1-containers-json.json"));
  ASSERT_TRUE(containers.ok()) << containers.status();
  const auto image = Field(&EngineContainer::image, "localhost/strata-test-busybox:latest");
  const auto image_id = Field(&EngineContainer::image_id, kPodmanImageId);
  EXPECT_THAT(
      *containers,
      ElementsAre(
          AllOf(Field(&EngineContainer::id,
                      "7f6b1adc574c245bf9be5e8cd16b3c4b0ca4939019a9607926bf3d6f8eab6cf2"),
                Field(&EngineContainer::name, "strata-test-multi"), image, image_id,
                Field(&EngineContainer::created_seconds, 1795315762.0),
                Field(&EngineContainer::labels,
                      ElementsAre(Pair("empty", ""),
                                  Pair("org.opencontainers.image.title", "busybox \"static\""),
                                  Pair("strata.test", "1")))),
          AllOf(Field(&EngineContainer::id,
                      "91fc9db8cf808e206468caa3e45ea26fdbd5632f7bdbd2ad393a503be74d9c30"),
                Field(&EngineContainer::name, "strata-test-manual"), image, image_id,
                Field(&EngineContainer::created_seconds, 1795315749.0),
                Field(&EngineContainer::labels, ElementsAre(Pair("strata.test", "1")))),
          AllOf(Field(&EngineContainer::id,
                      "f9217538a2f36cfc6e1e950a3ea519a9e25122c16e873fb5468fac0a6efcd687"),
                Field(&EngineContainer::name, "strata-test-nolabels"), image, image_id,
                Field(&EngineContainer::created_seconds, 1795315762.0),
                Field(&EngineContainer::labels, IsEmpty()))));
}

TEST(ParseContainerList, ReadsDockerDocsExample) {
  absl::StatusOr<std::vector<EngineContainer>> containers =
      ParseContainerList(ReadFixture("docker-engine-api-docs-example.json"));
  ASSERT_TRUE(containers.ok()) << containers.status();
  ASSERT_EQ(containers->size(), 2u);
  const EngineContainer& first = (*containers)[0];
  EXPECT_EQ(first.id, "8dfafdbc3a40d4b6e0e7a5c36b5d2bd4a6c1bd2a2f28a6e9b0a3d1b6e7f4c5a2");
  EXPECT_EQ(first.name, "boring_feynman");
  EXPECT_EQ(first.image, "ubuntu:latest");
  EXPECT_EQ(first.image_id,
            "sha256:d74508fb6632491cea586a1fd7d748dfc5274cd6fdfedee309ecdcbc2bf5cb82");
  EXPECT_EQ(first.created_seconds, 1367854155.0);
  EXPECT_THAT(first.labels,
              ElementsAre(Pair("com.example.license", "GPL"), Pair("com.example.vendor", "Acme"),
                          Pair("com.example.version", "1.0")));
  // Listed first under its link from boring_feynman; its own name is the other one.
  EXPECT_EQ((*containers)[1].name, "cool_name");
  EXPECT_THAT((*containers)[1].labels, IsEmpty());
}

TEST(ParseContainerList, EmptyListHasNoContainers) {
  absl::StatusOr<std::vector<EngineContainer>> containers = ParseContainerList("[]\n");
  ASSERT_TRUE(containers.ok()) << containers.status();
  EXPECT_THAT(*containers, IsEmpty());
}

TEST(ParseContainerList, NameIsTheOwnNameWithoutSlash) {
  struct Case {
    const char* names;  // JSON value of "Names", or null to leave it out
    const char* want;
  };
  const Case cases[] = {
      {nullptr, ""},
      {"null", ""},
      {"[]", ""},
      {R"(["/web"])", "web"},
      {R"(["web"])", "web"},
      {R"(["/"])", ""},
      {R"(["/proxy/web", "/web"])", "web"},
      {R"(["/web", "/proxy/web"])", "web"},
      {R"(["/proxy/web"])", "proxy/web"},
      {R"(["/a", "/b"])", "a"},
  };
  for (const Case& c : cases) {
    const std::string json = c.names == nullptr
                                 ? R"([{"Id":"abc"}])"
                                 : absl::StrCat(R"([{"Id":"abc","Names":)", c.names, "}]");
    SCOPED_TRACE(json);
    EXPECT_EQ(ParseOne(json).name, c.want);
  }
}

TEST(ParseContainerList, CreatedAcceptsIntegersAndFractions) {
  struct Case {
    const char* created;  // JSON value of "Created", or null to leave it out
    double want;
  };
  const Case cases[] = {
      {nullptr, 0},
      {"null", 0},
      {"1367854155", 1367854155},
      {"1367854155.25", 1367854155.25},
      {"1.367854155e9", 1367854155},
      {"0", 0},
      {"18446744073709551615", 18446744073709551615.0},
  };
  for (const Case& c : cases) {
    const std::string json = c.created == nullptr
                                 ? R"([{"Id":"abc"}])"
                                 : absl::StrCat(R"([{"Id":"abc","Created":)", c.created, "}]");
    SCOPED_TRACE(json);
    EXPECT_DOUBLE_EQ(ParseOne(json).created_seconds, c.want);
  }
}

TEST(ParseContainerList, LabelsNullOrMissingMeanNone) {
  for (const char* json :
       {R"([{"Id":"abc"}])", R"([{"Id":"abc","Labels":null}])", R"([{"Id":"abc","Labels":{}}])"}) {
    SCOPED_TRACE(json);
    EXPECT_THAT(ParseOne(json).labels, IsEmpty());
  }
}

TEST(ParseContainerList, LabelsKeepEscapesUnicodeAndNul) {
  EngineContainer container = ParseOne(
      R"([{"Id":"abc","Labels":{"quote":"a\"b","path":"C:\\x","accent":"\u00e9t\u00e9","nul":"a\u0000b"}}])");
  EXPECT_THAT(container.labels, UnorderedElementsAre(Pair("quote", "a\"b"), Pair("path", "C:\\x"),
                                                     Pair("accent", "\xc3\xa9t\xc3\xa9"),
                                                     Pair("nul", std::string("a\0b", 3))));
}

TEST(ParseContainerList, LoneSurrogateEscapesBecomeReplacementCharacters) {
  // RapidJSON decodes "\udc00" into bytes that are not UTF-8; names and labels
  // become label values, so they must be.
  EngineContainer container = ParseOne(
      R"([{"Id":"abc","Names":["/web\udc00"],"Labels":{"k\udfff":"a\udc80-","pair":"\ud83d\ude00"}}])");
  EXPECT_EQ(container.name, "web\xef\xbf\xbd");
  EXPECT_THAT(container.labels, UnorderedElementsAre(Pair("k\xef\xbf\xbd", "a\xef\xbf\xbd-"),
                                                     Pair("pair", "\xf0\x9f\x98\x80")));
}

TEST(ParseContainerList, MissingStringFieldsAreEmpty) {
  EngineContainer container = ParseOne(R"([{"Id":"abc","Image":null}])");
  EXPECT_EQ(container.id, "abc");
  EXPECT_EQ(container.image, "");
  EXPECT_EQ(container.image_id, "");
}

TEST(ParseContainerList, IgnoresFieldsItDoesNotUseHoweverDeep) {
  // Parsed without recursion, so nesting this deep cannot overflow the stack.
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  EngineContainer container =
      ParseOne(absl::StrCat(R"([{"Id":"abc","Ports":)", deep, R"(,"Names":["/x"]}])"));
  EXPECT_EQ(container.name, "x");
}

TEST(ParseContainerList, ReadsOnlyTheGivenBytes) {
  const std::string buffer = "[]{\"not\": \"part of it\"}";
  absl::StatusOr<std::vector<EngineContainer>> containers =
      ParseContainerList(absl::string_view(buffer.data(), 2));
  ASSERT_TRUE(containers.ok()) << containers.status();
  EXPECT_THAT(*containers, IsEmpty());
}

TEST(ParseContainerList, RejectsWhatIsNotTheApisAnswerAsInvalidArgument) {
  struct Case {
    std::string json;
    const char* message;  // part of the error message
  };
  const Case cases[] = {
      {"", "not JSON"},
      {"   ", "not JSON"},
      {"[", "not JSON"},
      {"[{\"Id\":\"a\"}", "not JSON"},
      {"[] []", "not JSON"},
      {"[{\"Id\":\"a\",\"Created\":NaN}]", "not JSON"},
      {"[{\"Id\":\"\xff\xfe\"}]", "not JSON"},
      {"<html>bad gateway</html>", "not JSON"},
      {std::string(1000000, '['), "not JSON"},
      {"null", "not an array"},
      {"{}", "not an array"},
      {R"({"message":"page not found"})", "not an array"},
      {R"("[]")", "not an array"},
      {"[1]", "element 0: not an object"},
      {"[null]", "element 0: not an object"},
      {"[{}]", "element 0: no \"Id\""},
      {R"([{"Id":"a"},{"Names":["/b"]}])", "element 1: no \"Id\""},
      {R"([{"Id":1}])", "\"Id\" is not a non-empty string"},
      {R"([{"Id":null}])", "\"Id\" is not a non-empty string"},
      {R"([{"Id":""}])", "\"Id\" is not a non-empty string"},
      {R"([{"Id":["a"]}])", "\"Id\" is not a non-empty string"},
      {R"([{"Id":"a","Names":"/a"}])", "\"Names\" is not an array"},
      {R"([{"Id":"a","Names":{"0":"/a"}}])", "\"Names\" is not an array"},
      {R"([{"Id":"a","Names":["/a",2]}])", "\"Names\" holds a non-string"},
      {R"([{"Id":"a","Names":[null]}])", "\"Names\" holds a non-string"},
      {R"([{"Id":"a","Image":7}])", "\"Image\" is not a string"},
      {R"([{"Id":"a","ImageID":{}}])", "\"ImageID\" is not a string"},
      {R"([{"Id":"a","Created":"1367854155"}])", "\"Created\" is not a number"},
      {R"([{"Id":"a","Created":true}])", "\"Created\" is not a number"},
      {R"([{"Id":"a","Labels":[]}])", "\"Labels\" is not an object"},
      {R"([{"Id":"a","Labels":"a=b"}])", "\"Labels\" is not an object"},
      {R"([{"Id":"a","Labels":{"k":1}}])", "label \"k\" is not a string"},
      {R"([{"Id":"a","Labels":{"k":null}}])", "label \"k\" is not a string"},
      {R"([{"Id":"a","Labels":{"k":{"v":"w"}}}])", "label \"k\" is not a string"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(PrintToString(c.json.substr(0, 80)));
    absl::StatusOr<std::vector<EngineContainer>> containers = ParseContainerList(c.json);
    EXPECT_TRUE(absl::IsInvalidArgument(containers.status())) << containers.status();
    EXPECT_THAT(containers.status().message(), HasSubstr(c.message));
  }
}

// A lister that answers from a script (the last answer repeats) and counts calls.
struct ScriptedEngine {
  std::deque<absl::StatusOr<std::vector<EngineContainer>>> answers;
  int calls = 0;
};

class ScriptedLister : public ContainerLister {
 public:
  explicit ScriptedLister(ScriptedEngine* engine) : engine_(engine) {}
  absl::StatusOr<std::vector<EngineContainer>> ListContainers() const override {
    ++engine_->calls;
    absl::StatusOr<std::vector<EngineContainer>> answer = engine_->answers.front();
    if (engine_->answers.size() > 1) engine_->answers.pop_front();
    return answer;
  }

 private:
  ScriptedEngine* engine_;
};

EngineContainer Container(const std::string& id, const std::string& name) {
  EngineContainer container;
  container.id = id;
  container.name = name;
  return container;
}

class ContainerMetadataCacheTest : public ::testing::Test {
 protected:
  ScriptedEngine engine_;
  ContainerMetadataCache cache_{std::make_unique<ScriptedLister>(&engine_)};
};

TEST_F(ContainerMetadataCacheTest, AsksOnFirstRefreshAndFindsTheListedContainers) {
  engine_.answers = {std::vector<EngineContainer>{Container("a1", "web"), Container("b2", "db")}};
  ASSERT_TRUE(cache_.Refresh({"a1", "b2"}).ok());
  EXPECT_EQ(engine_.calls, 1);
  EXPECT_EQ(cache_.requests(), 1);
  ASSERT_NE(cache_.Find("a1"), nullptr);
  EXPECT_EQ(cache_.Find("a1")->name, "web");
  ASSERT_NE(cache_.Find("b2"), nullptr);
  EXPECT_EQ(cache_.Find("b2")->name, "db");
  EXPECT_EQ(cache_.Find("c3"), nullptr);
  EXPECT_EQ(cache_.Find(""), nullptr);
}

TEST_F(ContainerMetadataCacheTest, AsksOnFirstRefreshEvenWithNoContainers) {
  engine_.answers = {std::vector<EngineContainer>{}};
  ASSERT_TRUE(cache_.Refresh({}).ok());
  ASSERT_TRUE(cache_.Refresh({}).ok());
  EXPECT_EQ(engine_.calls, 1);
  EXPECT_EQ(cache_.requests(), 1);
}

TEST_F(ContainerMetadataCacheTest, DoesNotAskAgainWhileTheIdsStayTheSame) {
  engine_.answers = {std::vector<EngineContainer>{Container("a1", "web")}};
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(cache_.Refresh({"a1"}).ok());
  EXPECT_EQ(engine_.calls, 1);
  EXPECT_EQ(cache_.requests(), 1);
  ASSERT_NE(cache_.Find("a1"), nullptr);
}

TEST_F(ContainerMetadataCacheTest, AsksAgainWhenAContainerStartsOrStops) {
  engine_.answers = {std::vector<EngineContainer>{Container("a1", "web")},
                     std::vector<EngineContainer>{Container("a1", "web"), Container("b2", "db")},
                     std::vector<EngineContainer>{Container("b2", "db")}};
  ASSERT_TRUE(cache_.Refresh({"a1"}).ok());
  ASSERT_TRUE(cache_.Refresh({"a1", "b2"}).ok());  // b2 started
  ASSERT_NE(cache_.Find("b2"), nullptr);
  ASSERT_TRUE(cache_.Refresh({"b2"}).ok());  // a1 stopped
  EXPECT_EQ(engine_.calls, 3);
  EXPECT_EQ(cache_.requests(), 3);
  // The newest answer replaces the old one: a1 is gone.
  EXPECT_EQ(cache_.Find("a1"), nullptr);
  ASSERT_NE(cache_.Find("b2"), nullptr);
}

// A cgroup that shows up before the engine lists its container as running
// is asked about again, but only after the retry interval.
TEST(ContainerMetadataCacheRetry, AsksAgainForAnIdTheEngineDidNotListYet) {
  ScriptedEngine engine;
  engine.answers = {std::vector<EngineContainer>{},
                    std::vector<EngineContainer>{Container("a1", "web")}};
  ContainerMetadataCache soon(std::make_unique<ScriptedLister>(&engine), absl::ZeroDuration());
  ASSERT_TRUE(soon.Refresh({"a1"}).ok());
  EXPECT_EQ(soon.Find("a1"), nullptr);
  ASSERT_TRUE(soon.Refresh({"a1"}).ok());
  ASSERT_NE(soon.Find("a1"), nullptr);
  EXPECT_EQ(soon.Find("a1")->name, "web");
  // Once every id is known, an unchanged set asks nothing.
  ASSERT_TRUE(soon.Refresh({"a1"}).ok());
  EXPECT_EQ(engine.calls, 2);

  ScriptedEngine slow_engine;
  slow_engine.answers = {std::vector<EngineContainer>{}};
  ContainerMetadataCache later(std::make_unique<ScriptedLister>(&slow_engine), absl::Hours(1));
  ASSERT_TRUE(later.Refresh({"a1"}).ok());
  ASSERT_TRUE(later.Refresh({"a1"}).ok());
  EXPECT_EQ(slow_engine.calls, 1);
}

// A renamed container kept its old name for as long as the set of container
// ids stayed the same, which on a steady host is for ever.
TEST(ContainerMetadataCacheAge, ARenameShowsOnceTheAnswerIsOlderThanTheMaximumAge) {
  ScriptedEngine engine;
  engine.answers = {std::vector<EngineContainer>{Container("a1", "web")},
                    std::vector<EngineContainer>{Container("a1", "web-renamed")}};
  absl::Time now = absl::FromUnixSeconds(1700000000);
  ContainerMetadataCache cache(std::make_unique<ScriptedLister>(&engine), absl::Seconds(30),
                               absl::Minutes(1), [&now] { return now; });
  ASSERT_TRUE(cache.Refresh({"a1"}).ok());
  ASSERT_NE(cache.Find("a1"), nullptr);
  EXPECT_EQ(cache.Find("a1")->name, "web");
  // Within the maximum age the answer is kept: no call per scrape.
  now += absl::Seconds(59);
  ASSERT_TRUE(cache.Refresh({"a1"}).ok());
  EXPECT_EQ(cache.Find("a1")->name, "web");
  EXPECT_EQ(engine.calls, 1);
  now += absl::Seconds(1);
  ASSERT_TRUE(cache.Refresh({"a1"}).ok());
  EXPECT_EQ(cache.Find("a1")->name, "web-renamed");
  EXPECT_EQ(engine.calls, 2);
  // And the new answer is kept for the maximum age again.
  now += absl::Seconds(30);
  ASSERT_TRUE(cache.Refresh({"a1"}).ok());
  EXPECT_EQ(engine.calls, 2);
}

TEST(ContainerMetadataCacheAge, AZeroMaximumAgeAsksOnEveryRefresh) {
  ScriptedEngine engine;
  engine.answers = {std::vector<EngineContainer>{Container("a1", "web")}};
  ContainerMetadataCache cache(std::make_unique<ScriptedLister>(&engine), absl::Seconds(30),
                               absl::ZeroDuration());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(cache.Refresh({"a1"}).ok());
  EXPECT_EQ(engine.calls, 3);
}

TEST_F(ContainerMetadataCacheTest, ReturnsTheErrorKeepsTheOldAnswerAndRetries) {
  engine_.answers = {std::vector<EngineContainer>{Container("a1", "web")},
                     absl::UnavailableError("engine down"),
                     std::vector<EngineContainer>{Container("a1", "web"), Container("b2", "db")}};
  ASSERT_TRUE(cache_.Refresh({"a1"}).ok());

  absl::Status status = cache_.Refresh({"a1", "b2"});
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_EQ(status.message(), "engine down");
  ASSERT_NE(cache_.Find("a1"), nullptr);
  EXPECT_EQ(cache_.Find("a1")->name, "web");
  EXPECT_EQ(cache_.Find("b2"), nullptr);

  // Same ids, but the last attempt failed: ask again.
  ASSERT_TRUE(cache_.Refresh({"a1", "b2"}).ok());
  ASSERT_NE(cache_.Find("b2"), nullptr);
  ASSERT_TRUE(cache_.Refresh({"a1", "b2"}).ok());
  EXPECT_EQ(engine_.calls, 3);
  EXPECT_EQ(cache_.requests(), 3);
}

TEST_F(ContainerMetadataCacheTest, FailedFirstRefreshLeavesNothingAndRetries) {
  engine_.answers = {absl::UnavailableError("no socket"), absl::UnavailableError("no socket")};
  EXPECT_TRUE(absl::IsUnavailable(cache_.Refresh({"a1"})));
  EXPECT_EQ(cache_.Find("a1"), nullptr);
  EXPECT_TRUE(absl::IsUnavailable(cache_.Refresh({"a1"})));
  EXPECT_EQ(engine_.calls, 2);
  EXPECT_EQ(cache_.requests(), 2);
}

TEST_F(ContainerMetadataCacheTest, FindTakesAnySlice) {
  engine_.answers = {std::vector<EngineContainer>{Container("a1", "web")}};
  ASSERT_TRUE(cache_.Refresh({"a1"}).ok());
  const std::string path = "/docker-a1.scope";
  const EngineContainer* found = cache_.Find(absl::string_view(path).substr(8, 2));
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->name, "web");
}

// An engine on a unix socket that answers every request with one canned
// HTTP response, served from its own thread.
class FakeEngineSocket {
 public:
  explicit FakeEngineSocket(std::string response) : response_(std::move(response)) {
    char dir_template[] = "/tmp/strata-docker-api-test-XXXXXX";
    if (mkdtemp(dir_template) == nullptr) return;
    dir_ = dir_template;
    path_ = dir_ + "/engine.sock";
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof(address.sun_path) - 1);
    if (listen_fd_ < 0 ||
        bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        listen(listen_fd_, 8) != 0) {
      return;
    }
    thread_ = std::thread([this] { Serve(); });
  }

  ~FakeEngineSocket() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (listen_fd_ >= 0) close(listen_fd_);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  bool ok() const { return thread_.joinable(); }
  const std::string& path() const { return path_; }
  std::string last_request() const {
    absl::MutexLock lock(&mu_);
    return last_request_;
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd pfd{listen_fd_, POLLIN, 0};
      if (poll(&pfd, 1, 20) <= 0) continue;
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = read(fd, buffer, sizeof(buffer));
        if (n <= 0) break;
        request.append(buffer, static_cast<size_t>(n));
      }
      {
        absl::MutexLock lock(&mu_);
        last_request_ = request;
      }
      size_t written = 0;
      while (written < response_.size()) {
        // MSG_NOSIGNAL: a client that hangs up early must not kill the test with SIGPIPE.
        ssize_t n = send(fd, response_.data() + written, response_.size() - written, MSG_NOSIGNAL);
        if (n <= 0) break;
        written += static_cast<size_t>(n);
      }
      close(fd);
    }
  }

  const std::string response_;
  std::string dir_;
  std::string path_;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable absl::Mutex mu_;
  std::string last_request_ ABSL_GUARDED_BY(mu_);
};

std::string HttpResponse(const std::string& status_line, const std::string& body) {
  return absl::StrCat("HTTP/1.1 ", status_line,
                      "\r\nContent-Type: application/json\r\nContent-Length: ", body.size(),
                      "\r\nConnection: close\r\n\r\n", body);
}

TEST(DockerApiLister, GetsContainersJsonAndParsesIt) {
  FakeEngineSocket engine(HttpResponse("200 OK", ReadFixture("podman-4.3.1-containers-json.json")));
  ASSERT_TRUE(engine.ok());
  absl::StatusOr<std::vector<EngineContainer>> containers =
      NewDockerApiLister(engine.path(), absl::Seconds(5))->ListContainers();
  ASSERT_TRUE(containers.ok()) << containers.status();
  EXPECT_EQ(containers->size(), 3u);
  EXPECT_THAT(engine.last_request(), ::testing::StartsWith("GET /containers/json HTTP/1.1\r\n"));
}

TEST(DockerApiLister, ErrorStatusIsUnavailableWithStatusAndEngineMessage) {
  FakeEngineSocket engine(HttpResponse("500 Internal Server Error",
                                       R"({"message":"database is locked"})"
                                       "\n"));
  ASSERT_TRUE(engine.ok());
  absl::StatusOr<std::vector<EngineContainer>> containers =
      NewDockerApiLister(engine.path(), absl::Seconds(5))->ListContainers();
  EXPECT_TRUE(absl::IsUnavailable(containers.status())) << containers.status();
  EXPECT_THAT(containers.status().message(),
              AllOf(HasSubstr(engine.path()), HasSubstr("HTTP status 500"),
                    HasSubstr(R"({"message":"database is locked"})")));
}

TEST(DockerApiLister, LongErrorBodyIsCutShort) {
  FakeEngineSocket engine(HttpResponse("404 Not Found", std::string(5000, 'x')));
  ASSERT_TRUE(engine.ok());
  absl::StatusOr<std::vector<EngineContainer>> containers =
      NewDockerApiLister(engine.path(), absl::Seconds(5))->ListContainers();
  EXPECT_TRUE(absl::IsUnavailable(containers.status())) << containers.status();
  EXPECT_THAT(containers.status().message(), HasSubstr("HTTP status 404"));
  EXPECT_LT(containers.status().message().size(), 500u);
}

TEST(DockerApiLister, MalformedAnswerIsInvalidArgumentNamingTheSocket) {
  FakeEngineSocket engine(HttpResponse("200 OK", "<html>not an engine</html>"));
  ASSERT_TRUE(engine.ok());
  absl::StatusOr<std::vector<EngineContainer>> containers =
      NewDockerApiLister(engine.path(), absl::Seconds(5))->ListContainers();
  EXPECT_TRUE(absl::IsInvalidArgument(containers.status())) << containers.status();
  EXPECT_THAT(containers.status().message(),
              AllOf(HasSubstr(engine.path()), HasSubstr("not JSON")));
}

TEST(DockerApiLister, RefusesAnAnswerOver64MiB) {
  FakeEngineSocket engine(HttpResponse("200 OK", std::string((64 << 20) + 1, ' ')));
  ASSERT_TRUE(engine.ok());
  absl::StatusOr<std::vector<EngineContainer>> containers =
      NewDockerApiLister(engine.path(), absl::Seconds(10))->ListContainers();
  EXPECT_TRUE(absl::IsUnavailable(containers.status())) << containers.status();
  EXPECT_THAT(containers.status().message(),
              AllOf(HasSubstr(engine.path()), HasSubstr("larger than 64 MiB")));
}

TEST(DockerApiLister, ConnectionClosedWithoutAnswerIsUnavailable) {
  FakeEngineSocket engine("");
  ASSERT_TRUE(engine.ok());
  absl::StatusOr<std::vector<EngineContainer>> containers =
      NewDockerApiLister(engine.path(), absl::Seconds(5))->ListContainers();
  EXPECT_TRUE(absl::IsUnavailable(containers.status())) << containers.status();
  EXPECT_THAT(containers.status().message(), HasSubstr(engine.path()));
}

}  // namespace
}  // namespace strata
