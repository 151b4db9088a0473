// Container drift, start and image times from the engine: the parsers of
// /containers/{id}/changes, /containers/{id}/json and /images/{id}/json, the
// per-container cache that bounds how often and how long the engine is asked,
// and the client against hostile engines (hung, malformed, not UTF-8, a
// million changes) on a real unix socket.
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "collectors/cgroup/container_details.h"
#include "collectors/cgroup/container_drift.h"
#include "collectors/cgroup/docker_api.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/fake_engine.h"
#include "tests/support/test_files.h"

namespace strata {
namespace {

using ::strata::testing::FakeEngine;
using ::strata::testing::ReadWholeFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::PrintToString;

std::string ReadFixture(const std::string& name) {
  return ReadWholeFile(std::string(STRATA_SOURCE_DIR) + "/tests/fixtures/docker_api/" + name);
}

ContainerDrift ParseOk(const std::string& json, const DriftRules& rules = {}) {
  absl::StatusOr<ContainerDrift> drift = ParseContainerChanges(json, rules);
  EXPECT_TRUE(drift.ok()) << drift.status();
  return drift.ok() ? *drift : ContainerDrift{};
}

std::string Change(const std::string& path, int kind) {
  return absl::StrCat(R"({"Path":")", path, R"(","Kind":)", kind, "}");
}

TEST(PathIsUnder, MatchesWholeComponents) {
  EXPECT_TRUE(PathIsUnder("/etc", "/etc"));
  EXPECT_TRUE(PathIsUnder("/etc/passwd", "/etc"));
  EXPECT_TRUE(PathIsUnder("/etc/passwd", "/etc/"));
  EXPECT_FALSE(PathIsUnder("/etcetera", "/etc"));
  EXPECT_FALSE(PathIsUnder("/", "/etc"));
  EXPECT_TRUE(PathIsUnder("/anything", "/"));
  EXPECT_FALSE(PathIsUnder("/var", "/var/log"));
}

TEST(ParseContainerChanges, ReadsTheDockerDocsExample) {
  DriftRules rules;
  rules.drift_prefixes = {"/test"};
  ContainerDrift drift = ParseOk(ReadFixture("docker-engine-api-docs-changes.json"), rules);
  // /dev and /dev/kmsg are expected to change; /test is drift.
  EXPECT_EQ(drift.modified, 0);
  EXPECT_EQ(drift.added, 1);
  EXPECT_EQ(drift.deleted, 0);
  EXPECT_EQ(drift.expected, 2);
  EXPECT_EQ(drift.drift_prefix_paths, 1);
  EXPECT_THAT(drift.paths, ElementsAre(DriftedPath{"/test", ChangeKind::kAdded}));
  EXPECT_EQ(drift.skipped, 0);
}

// Captured from Podman 4.3.1's compatible API on a container of the test
// image after one file under /etc was changed, one added, one deleted, and
// files written in /tmp and /var/log; podman-4.3.1-container-diff.txt is
// `podman diff` of the same container.
TEST(ParseContainerChanges, ReadsPodmansAnswerAsPodmanDiffListsIt) {
  ContainerDrift drift = ParseOk(ReadFixture("podman-4.3.1-container-changes.json"));
  EXPECT_EQ(drift.modified, 3);  // /etc, /etc/strata, /etc/strata/app.conf
  EXPECT_EQ(drift.added, 1);
  EXPECT_EQ(drift.deleted, 1);
  EXPECT_EQ(drift.expected, 5);  // /tmp, /tmp/scratch, /var, /var/log, /var/log/app.log
  int diff_lines = 0;
  std::istringstream diff(ReadFixture("podman-4.3.1-container-diff.txt"));
  for (std::string line; std::getline(diff, line);) diff_lines += !line.empty();
  EXPECT_EQ(drift.modified + drift.added + drift.deleted + drift.expected, diff_lines);
  EXPECT_THAT(drift.paths, ElementsAre(DriftedPath{"/etc", ChangeKind::kModified},
                                       DriftedPath{"/etc/strata", ChangeKind::kModified},
                                       DriftedPath{"/etc/strata/added.conf", ChangeKind::kAdded},
                                       DriftedPath{"/etc/strata/app.conf", ChangeKind::kModified},
                                       DriftedPath{"/etc/strata/old.conf", ChangeKind::kDeleted}));
}

TEST(ParseContainerChanges, NullAndEmptyMeanNoChange) {
  for (const char* json : {"null", "[]", " [ ] \n"}) {
    SCOPED_TRACE(json);
    ContainerDrift drift = ParseOk(json);
    EXPECT_EQ(drift.modified + drift.added + drift.deleted + drift.expected, 0);
    EXPECT_THAT(drift.paths, IsEmpty());
  }
}

TEST(ParseContainerChanges, ClassifiesDriftExpectedAndWatchedPaths) {
  const std::string json = absl::StrCat(
      "[", Change("/etc", 0), ",", Change("/etc/passwd", 0), ",", Change("/etc/added.conf", 1), ",",
      Change("/etc/deleted.conf", 2), ",", Change("/tmp", 0), ",", Change("/tmp/x", 1), ",",
      Change("/var", 0), ",", Change("/var/log", 0), ",", Change("/var/log/app.log", 1), ",",
      Change("/usr/bin/tool", 1), ",", Change("/usr", 0), ",", Change("/etcetera", 2), "]");
  ContainerDrift drift = ParseOk(json);
  // /var is modified only because /var/log is below it: expected.
  EXPECT_EQ(drift.expected, 5);
  EXPECT_EQ(drift.modified, 3);  // /etc, /etc/passwd, /usr
  EXPECT_EQ(drift.added, 2);     // /etc/added.conf, /usr/bin/tool
  EXPECT_EQ(drift.deleted, 2);   // /etc/deleted.conf, /etcetera
  EXPECT_EQ(drift.drift_prefix_paths, 4);
  EXPECT_THAT(drift.paths, ElementsAre(DriftedPath{"/etc", ChangeKind::kModified},
                                       DriftedPath{"/etc/added.conf", ChangeKind::kAdded},
                                       DriftedPath{"/etc/deleted.conf", ChangeKind::kDeleted},
                                       DriftedPath{"/etc/passwd", ChangeKind::kModified}));
}

TEST(ParseContainerChanges, AnAddedOrDeletedDirectoryAboveAnExpectedOneIsDrift) {
  ContainerDrift drift = ParseOk(absl::StrCat("[", Change("/var", 2), "]"));
  EXPECT_EQ(drift.deleted, 1);
  EXPECT_EQ(drift.expected, 0);
}

TEST(ParseContainerChanges, KeepsTheFirstPathsInByteOrderWhateverTheEngineOrder) {
  DriftRules rules;
  rules.max_paths = 2;
  const std::string json = absl::StrCat("[", Change("/etc/d", 1), ",", Change("/etc/b", 1), ",",
                                        Change("/etc/c", 1), ",", Change("/etc/a", 1), "]");
  ContainerDrift drift = ParseOk(json, rules);
  EXPECT_EQ(drift.drift_prefix_paths, 4);
  EXPECT_THAT(drift.paths, ElementsAre(DriftedPath{"/etc/a", ChangeKind::kAdded},
                                       DriftedPath{"/etc/b", ChangeKind::kAdded}));
  EXPECT_EQ(drift.skipped, 2);

  rules.max_paths = 0;
  drift = ParseOk(json, rules);
  EXPECT_THAT(drift.paths, IsEmpty());
  EXPECT_EQ(drift.skipped, 4);
}

// Found by the container_changes fuzz target: a path listed twice was kept
// once but counted twice, so paths plus skipped no longer added up.
TEST(ParseContainerChanges, APathListedTwiceIsKeptOnceAndTheRepeatCountedAsSkipped) {
  ContainerDrift drift = ParseOk(absl::StrCat("[", Change("/etc/a", 0), ",", Change("/etc/b", 1),
                                              ",", Change("/etc/a", 1), "]"));
  EXPECT_EQ(drift.drift_prefix_paths, 3);
  EXPECT_THAT(drift.paths, ElementsAre(DriftedPath{"/etc/a", ChangeKind::kModified},
                                       DriftedPath{"/etc/b", ChangeKind::kAdded}));
  EXPECT_EQ(drift.skipped, 1);
}

TEST(ParseContainerChanges, IgnoresOtherMembersHoweverDeep) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  ContainerDrift drift = ParseOk(
      absl::StrCat(R"([{"Extra":)", deep, R"(,"Path":"/etc/x","More":{"Path":7},"Kind":1}])"));
  EXPECT_THAT(drift.paths, ElementsAre(DriftedPath{"/etc/x", ChangeKind::kAdded}));
}

TEST(ParseContainerChanges, LoneSurrogateEscapesBecomeReplacementCharacters) {
  ContainerDrift drift = ParseOk(R"([{"Path":"/etc/a\udc00b","Kind":1}])");
  ASSERT_EQ(drift.paths.size(), 1u);
  EXPECT_EQ(drift.paths[0].path,
            "/etc/a\xef\xbf\xbd"
            "b");
}

TEST(ParseContainerChanges, RejectsWhatIsNotTheApisAnswerAsInvalidArgument) {
  struct Case {
    std::string json;
    const char* message;
  };
  const Case cases[] = {
      {"", "not JSON"},
      {"[", "not JSON"},
      {"[] []", "not JSON"},
      {"<html>bad gateway</html>", "not JSON"},
      {"[{\"Path\":\"/etc/\xff\xfe\",\"Kind\":1}]", "not JSON"},
      {std::string(1000000, '['), "element 0: not an object"},
      {"{}", "not an array"},
      {"\"[]\"", "not an array"},
      {"7", "not an array"},
      {"[1]", "element 0: not an object"},
      {"[null]", "element 0: not an object"},
      {"[[]]", "element 0: not an object"},
      {R"([{"Kind":1}])", "element 0: no \"Path\""},
      {R"([{"Path":"/a","Kind":1},{"Path":"/b"}])", "element 1: no \"Kind\""},
      {R"([{"Path":7,"Kind":1}])", "\"Path\" is not a string"},
      {R"([{"Path":null,"Kind":1}])", "\"Path\" is not a string"},
      {R"([{"Path":["/a"],"Kind":1}])", "\"Path\" is not a string"},
      {R"([{"Path":"/a","Kind":3}])", "\"Kind\" is not 0, 1 or 2"},
      {R"([{"Path":"/a","Kind":-1}])", "\"Kind\" is not 0, 1 or 2"},
      {R"([{"Path":"/a","Kind":1.5}])", "\"Kind\" is not 0, 1 or 2"},
      {R"([{"Path":"/a","Kind":"A"}])", "\"Kind\" is not 0, 1 or 2"},
      {R"([{"Path":"/a","Kind":{}}])", "\"Kind\" is not 0, 1 or 2"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(PrintToString(c.json.substr(0, 80)));
    absl::StatusOr<ContainerDrift> drift = ParseContainerChanges(c.json, DriftRules());
    EXPECT_TRUE(absl::IsInvalidArgument(drift.status())) << drift.status();
    EXPECT_THAT(drift.status().message(), HasSubstr(c.message));
  }
}

// A million changes, as `docker diff` of a container that unpacked a big
// tree: counted in one pass, only max_paths of them kept.
std::string MillionChanges() {
  std::string json = "[";
  json.reserve(45 << 20);
  for (int i = 0; i < 1000000; ++i) {
    if (i > 0) json += ',';
    absl::StrAppend(&json, R"({"Path":"/etc/many/f)", i, R"(","Kind":1})");
  }
  json += "]";
  return json;
}

TEST(ParseContainerChanges, AMillionChangesAreCountedWithOnlyTheCapKept) {
  const std::string json = MillionChanges();
  ContainerDrift drift = ParseOk(json);
  EXPECT_EQ(drift.added, 1000000);
  EXPECT_EQ(drift.drift_prefix_paths, 1000000);
  EXPECT_EQ(drift.paths.size(), 20u);
  EXPECT_EQ(drift.skipped, 1000000 - 20);
  EXPECT_EQ(drift.paths.front().path, "/etc/many/f0");
}

TEST(ParseContainerStartedAt, ReadsStateStartedAt) {
  absl::StatusOr<std::optional<double>> started =
      ParseContainerStartedAt(ReadFixture("docker-engine-api-docs-container-inspect.json"));
  ASSERT_TRUE(started.ok()) << started.status();
  ASSERT_TRUE(started->has_value());
  EXPECT_DOUBLE_EQ(**started, 1578301679.461876391);  // 2020-01-06T09:07:59.461876391Z
}

TEST(ParseContainerStartedAt, ReadsPodmansAnswer) {
  absl::StatusOr<std::optional<double>> started =
      ParseContainerStartedAt(ReadFixture("podman-4.3.1-container-inspect.json"));
  ASSERT_TRUE(started.ok()) << started.status();
  ASSERT_TRUE(started->has_value());
  EXPECT_DOUBLE_EQ(**started, 1796339185.540835119);  // 2026-12-03T23:06:25.540835119Z
  absl::StatusOr<std::optional<double>> created =
      ParseImageCreated(ReadFixture("podman-4.3.1-image-inspect.json"));
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_TRUE(created->has_value());
  EXPECT_DOUBLE_EQ(**created, 1796339183.371120298);  // 2026-12-03T23:06:23.371120298Z
}

TEST(ParseContainerStartedAt, NeverStartedOrAbsentIsNone) {
  for (const char* json :
       {R"({})", R"({"State":null})", R"({"State":{}})", R"({"State":{"StartedAt":""}})",
        R"({"State":{"StartedAt":"0001-01-01T00:00:00Z"}})"}) {
    SCOPED_TRACE(json);
    absl::StatusOr<std::optional<double>> started = ParseContainerStartedAt(json);
    ASSERT_TRUE(started.ok()) << started.status();
    EXPECT_FALSE(started->has_value());
  }
}

TEST(ParseContainerStartedAt, RejectsMalformedAnswers) {
  for (const char* json :
       {"", "[]", "{", R"({"State":"running"})", R"({"State":{"StartedAt":12}})",
        R"({"State":{"StartedAt":"yesterday"}})", "{\"State\":{\"StartedAt\":\"\xff\"}}"}) {
    SCOPED_TRACE(PrintToString(std::string(json)));
    EXPECT_TRUE(absl::IsInvalidArgument(ParseContainerStartedAt(json).status()));
  }
}

TEST(ParseImageCreated, ReadsCreated) {
  absl::StatusOr<std::optional<double>> created =
      ParseImageCreated(ReadFixture("docker-engine-api-docs-image-inspect.json"));
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_TRUE(created->has_value());
  EXPECT_DOUBLE_EQ(**created, 1644009612.497794809);  // 2022-02-04T21:20:12.497794809Z
  for (const char* json : {"[]", R"({"Created":1644009612})", R"({"Created":"infinite-future"})"}) {
    SCOPED_TRACE(json);
    EXPECT_TRUE(absl::IsInvalidArgument(ParseImageCreated(json).status()));
  }
  absl::StatusOr<std::optional<double>> none = ParseImageCreated("{}");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

// An engine answering from a table, on a clock that each request advances by
// `latency`.
class TableEngine : public EngineApi {
 public:
  TableEngine(std::map<std::string, absl::StatusOr<std::string>>* answers, absl::Time* now,
              absl::Duration latency, std::vector<std::string>* asked)
      : answers_(answers), now_(now), latency_(latency), asked_(asked) {}
  absl::StatusOr<std::string> Get(absl::string_view path, absl::Duration timeout) const override {
    asked_->emplace_back(path);
    if (latency_ > timeout) {
      *now_ += timeout;
      return absl::UnavailableError(absl::StrCat("GET ", path, ": timed out"));
    }
    *now_ += latency_;
    auto it = answers_->find(std::string(path));
    if (it == answers_->end()) return absl::UnavailableError(absl::StrCat("GET ", path, ": 404"));
    return it->second;
  }
  std::string Where() const override { return "the table"; }

 private:
  std::map<std::string, absl::StatusOr<std::string>>* answers_;
  absl::Time* now_;
  absl::Duration latency_;
  std::vector<std::string>* asked_;
};

class ContainerDetailsCacheTest : public ::testing::Test {
 protected:
  void AddContainer(const std::string& id, const std::string& image, const std::string& changes) {
    answers_["/containers/" + id + "/json"] =
        std::string(R"({"State":{"StartedAt":"2020-01-06T09:07:59Z"}})");
    answers_["/images/" + image + "/json"] = std::string(R"({"Created":"2022-02-04T21:20:12Z"})");
    answers_["/containers/" + id + "/changes"] = changes;
  }
  ContainerDetailsCache Cache(absl::Duration latency, ContainerDetailsOptions options = {}) {
    return ContainerDetailsCache(std::make_unique<TableEngine>(&answers_, &now_, latency, &asked_),
                                 options, [this] { return now_; });
  }

  std::map<std::string, absl::StatusOr<std::string>> answers_;
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
  std::vector<std::string> asked_;
};

TEST_F(ContainerDetailsCacheTest, AsksOncePerIntervalAndOncePerImage) {
  AddContainer("a1", "sha256:i1", absl::StrCat("[", Change("/etc/x", 1), "]"));
  AddContainer("b2", "sha256:i1", "null");
  ContainerDetailsCache cache = Cache(absl::Milliseconds(1));
  ASSERT_TRUE(cache.Refresh({{"a1", "sha256:i1"}, {"b2", "sha256:i1"}}).ok());
  // Two inspects, one image, two change lists.
  EXPECT_EQ(cache.requests(), 5);
  const ContainerDetails* a1 = cache.Find("a1");
  ASSERT_NE(a1, nullptr);
  EXPECT_EQ(a1->started_seconds, 1578301679);
  EXPECT_EQ(a1->image_created_seconds, 1644009612);
  ASSERT_TRUE(a1->drift.has_value());
  EXPECT_EQ(a1->drift->added, 1);
  EXPECT_EQ(a1->drift_computed_at, absl::FromUnixSeconds(1700000000) + absl::Milliseconds(3));

  now_ += absl::Minutes(4);
  ASSERT_TRUE(cache.Refresh({{"a1", "sha256:i1"}, {"b2", "sha256:i1"}}).ok());
  EXPECT_EQ(cache.requests(), 5);
  now_ += absl::Minutes(1);
  ASSERT_TRUE(cache.Refresh({{"a1", "sha256:i1"}, {"b2", "sha256:i1"}}).ok());
  EXPECT_EQ(cache.requests(), 9);  // the image's build time is kept

  // A container that is gone is forgotten.
  ASSERT_TRUE(cache.Refresh({{"b2", "sha256:i1"}}).ok());
  EXPECT_EQ(cache.Find("a1"), nullptr);
}

TEST_F(ContainerDetailsCacheTest, TheBudgetBoundsEachRefreshAndTheRestComeNext) {
  std::vector<std::pair<std::string, std::string>> containers;
  for (int i = 0; i < 10; ++i) {
    const std::string id = absl::StrCat("c", i);
    AddContainer(id, "sha256:i", "[]");
    containers.push_back({id, "sha256:i"});
  }
  ContainerDetailsOptions options;
  options.budget = absl::Seconds(1);
  // 100 ms a request: 3 for the first container, 2 for each next one (the
  // image's build time is kept), so 1 s reaches 4 containers and a part of a 5th.
  ContainerDetailsCache cache = Cache(absl::Milliseconds(100), options);
  const absl::Time start = now_;
  ASSERT_TRUE(cache.Refresh(containers).ok());
  EXPECT_LE(now_ - start, absl::Seconds(1));
  int done = 0;
  for (const auto& [id, image] : containers) done += cache.Find(id)->drift.has_value();
  EXPECT_EQ(done, 4);
  // The 5th was started but not finished: it is not counted as attempted.
  EXPECT_TRUE(cache.Find("c4")->started_seconds.has_value());
  EXPECT_EQ(cache.Find("c4")->attempted_at, absl::InfinitePast());
  // The next scrapes reach the others, the longest waiting first.
  ASSERT_TRUE(cache.Refresh(containers).ok());
  ASSERT_TRUE(cache.Refresh(containers).ok());
  done = 0;
  for (const auto& [id, image] : containers) done += cache.Find(id)->drift.has_value();
  EXPECT_EQ(done, 10);
}

TEST_F(ContainerDetailsCacheTest, AFailureIsNamedKeptUntilTheNextAttemptAndTheOthersStillServed) {
  AddContainer("a1", "sha256:i1", "[]");
  AddContainer("b2", "sha256:i1", "[{\"Path\":\"/etc\",\"Kind\":\"\xff\"}]");
  ContainerDetailsCache cache = Cache(absl::Milliseconds(1));
  absl::Status status = cache.Refresh({{"a1", "sha256:i1"}, {"b2", "sha256:i1"}});
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("1 container(s)"), HasSubstr("container b2"),
                    HasSubstr("GET /containers/b2/changes on the table"), HasSubstr("not JSON")));
  ASSERT_TRUE(cache.Find("a1")->drift.has_value());
  EXPECT_FALSE(cache.Find("b2")->drift.has_value());
  EXPECT_TRUE(cache.Find("b2")->started_seconds.has_value());
  // Not asked again within the interval, and still failing.
  const int requests = cache.requests();
  EXPECT_FALSE(cache.Refresh({{"a1", "sha256:i1"}, {"b2", "sha256:i1"}}).ok());
  EXPECT_EQ(cache.requests(), requests);
  // Repaired: the next attempt clears it.
  answers_["/containers/b2/changes"] = std::string("[]");
  now_ += absl::Minutes(5);
  EXPECT_TRUE(cache.Refresh({{"a1", "sha256:i1"}, {"b2", "sha256:i1"}}).ok());
}

TEST_F(ContainerDetailsCacheTest, WithoutDriftOnlyStartAndImageAreAsked) {
  AddContainer("a1", "sha256:i1", "[]");
  ContainerDetailsOptions options;
  options.drift = false;
  ContainerDetailsCache cache = Cache(absl::Milliseconds(1), options);
  ASSERT_TRUE(cache.Refresh({{"a1", "sha256:i1"}}).ok());
  EXPECT_THAT(asked_, ElementsAre("/containers/a1/json", "/images/sha256:i1/json"));
  EXPECT_FALSE(cache.Find("a1")->drift.has_value());
}

TEST_F(ContainerDetailsCacheTest, IdsThatDoNotLookLikeIdsAreNotPutInARequest) {
  ContainerDetailsCache cache = Cache(absl::Milliseconds(1));
  absl::Status status = cache.Refresh({{"../../x", ""}});
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(asked_, IsEmpty());
}

// The real client against engines that misbehave.
constexpr char kId[] = "7f6b1adc574c245bf9be5e8cd16b3c4b0ca4939019a9607926bf3d6f8eab6cf2";
constexpr char kImage[] = "sha256:a1937db3d1b8e9bca90e935889199ae315f7aa7ab30ab609792d53340e09c89a";

void RouteHealthy(FakeEngine& engine) {
  engine.Route(absl::StrCat("/containers/", kId, "/json"),
               R"({"State":{"StartedAt":"2026-11-23T20:09:22.123Z"}})");
  engine.Route(absl::StrCat("/images/", kImage, "/json"), R"({"Created":"2026-11-23T20:00:00Z"})");
}

TEST(ContainerDetailsFromASocket, AHungEngineCostsTheBudgetAndFailsNamingIt) {
  FakeEngine engine;
  ASSERT_TRUE(engine.ok());
  RouteHealthy(engine);
  engine.Hang(absl::StrCat("/containers/", kId, "/changes"));
  ContainerDetailsOptions options;
  options.budget = absl::Milliseconds(500);
  ContainerDetailsCache cache(NewDockerApiClient(engine.path()), options);
  const absl::Time start = absl::Now();
  absl::Status status = cache.Refresh({{kId, kImage}});
  const absl::Duration took = absl::Now() - start;
  EXPECT_LT(took, absl::Seconds(2)) << took;
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("/changes on unix socket " + engine.path()), HasSubstr("imed out")));
  // Start and image times were read before the hang.
  EXPECT_TRUE(cache.Find(kId)->started_seconds.has_value());
}

TEST(ContainerDetailsFromASocket, MalformedAndNonUtf8AnswersFailNamingThePath) {
  const std::pair<std::string, std::string> cases[] = {
      {"<html>oops</html>", "not JSON"},
      {"[{\"Path\":\"/etc/\xc3\x28\",\"Kind\":0}]", "not JSON"},
      {R"({"message":"no such container"})", "not an array"},
  };
  for (const auto& [body, message] : cases) {
    SCOPED_TRACE(PrintToString(body));
    FakeEngine engine;
    ASSERT_TRUE(engine.ok());
    RouteHealthy(engine);
    engine.Route(absl::StrCat("/containers/", kId, "/changes"), body);
    ContainerDetailsCache cache(NewDockerApiClient(engine.path()), ContainerDetailsOptions());
    absl::Status status = cache.Refresh({{kId, kImage}});
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
    EXPECT_THAT(status.message(),
                AllOf(HasSubstr(absl::StrCat("GET /containers/", kId, "/changes on unix socket ",
                                             engine.path())),
                      HasSubstr(message)));
  }
}

TEST(ContainerDetailsFromASocket, AMillionChangesFitTheBudgetAndAreNotAskedAgainWithinTheInterval) {
  FakeEngine engine;
  ASSERT_TRUE(engine.ok());
  RouteHealthy(engine);
  engine.Route(absl::StrCat("/containers/", kId, "/changes"), MillionChanges());
  ContainerDetailsOptions options;
  options.budget = absl::Seconds(10);
  ContainerDetailsCache cache(NewDockerApiClient(engine.path()), options);
  const absl::Time start = absl::Now();
  absl::Status status = cache.Refresh({{kId, kImage}});
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(status.ok()) << status;
  std::cerr << "a million changes (" << MillionChanges().size() << " bytes) took " << took << "\n";
  const ContainerDetails* details = cache.Find(kId);
  ASSERT_TRUE(details->drift.has_value());
  EXPECT_EQ(details->drift->added, 1000000);
  EXPECT_EQ(details->drift->paths.size(), 20u);
  const absl::Time again = absl::Now();
  ASSERT_TRUE(cache.Refresh({{kId, kImage}}).ok());
  EXPECT_LT(absl::Now() - again, absl::Milliseconds(50));
  EXPECT_EQ(engine.requests().size(), 3u);
}

}  // namespace
}  // namespace strata
