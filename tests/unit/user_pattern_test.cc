#include "base/user_pattern.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::HasSubstr;

// Patterns as node_exporter users write them for their include/exclude
// flags (Go's regexp, which is RE2), searched anywhere in the text.
struct PatternCase {
  const char* pattern;
  const char* text;
  bool matches;
};

class UserPatternTest : public ::testing::TestWithParam<PatternCase> {};

TEST_P(UserPatternTest, MatchesAsNodeExporterWould) {
  const PatternCase& c = GetParam();
  absl::StatusOr<std::unique_ptr<const RE2>> pattern = CompileUserPattern("--flag", c.pattern);
  ASSERT_TRUE(pattern.ok()) << pattern.status();
  EXPECT_EQ(SearchUserPattern(**pattern, c.text), c.matches)
      << "pattern " << c.pattern << " on " << c.text;
}

INSTANTIATE_TEST_SUITE_P(
    NodeExporterSyntax, UserPatternTest,
    ::testing::Values(
        // Case-insensitive flag group, which std::regex refused at start-up.
        PatternCase{"(?i)docker", "/system.slice/DOCKER-abc.scope", true},
        PatternCase{"(?i:docker)-", "/system.slice/Docker-abc.scope", true},
        PatternCase{"docker", "/system.slice/DOCKER-abc.scope", false},
        // Unanchored search; anchors make it a whole-path match.
        PatternCase{"nginx", "/system.slice/nginx.service", true},
        PatternCase{"^/system\\.slice/nginx\\.service$", "/system.slice/nginx.service", true},
        PatternCase{"^/system\\.slice$", "/system.slice/nginx.service", false},
        PatternCase{"\\.scope$", "/machine.slice/libpod-1.scope", true},
        PatternCase{"\\.scope$", "/machine.slice/libpod-1.scope/container", false},
        // Character classes: POSIX, Perl and Unicode.
        PatternCase{"^/[[:alpha:]]+\\.slice$", "/user.slice", true},
        PatternCase{"^/[[:alpha:]]+\\.slice$", "/user1.slice", false},
        PatternCase{"user-\\d+\\.slice", "/user.slice/user-1000.slice", true},
        PatternCase{"user-\\d+\\.slice", "/user.slice/user-xyz.slice", false},
        PatternCase{"^/\\p{L}+$", "/caf\xc3\xa9", true},
        PatternCase{"[^/]+\\.service$", "/system.slice/sshd.service", true},
        // Alternation, and the exporter's own default exclude.
        PatternCase{"\\.(mount|swap|socket)$", "/system.slice/tmp.mount", true},
        PatternCase{"\\.(mount|swap|socket)$", "/system.slice/tmp.service", false},
        // Any user can name a cgroup: bytes that are not UTF-8 still match
        // what surrounds them, and `.*` still matches everything.
        PatternCase{"^/user\\.slice/bad", "/user.slice/bad\xff\xfe", true},
        PatternCase{".*", "/user.slice/\xff", true}, PatternCase{"^/a.b$", "/a\xffz", false}));

TEST(UserPattern, ConstructsRe2DoesNotSupportAreClearStartUpErrors) {
  for (const char* pattern : {"(a)\\1", "foo(?=bar)", "([unclosed", "a{2,1}"}) {
    absl::StatusOr<std::unique_ptr<const RE2>> compiled =
        CompileUserPattern("--collector.cgroup.path-exclude", pattern);
    ASSERT_FALSE(compiled.ok()) << pattern;
    EXPECT_TRUE(absl::IsInvalidArgument(compiled.status()));
    EXPECT_THAT(compiled.status().message(), HasSubstr("--collector.cgroup.path-exclude"));
    EXPECT_THAT(compiled.status().message(), HasSubstr(pattern));
  }
}

// A pattern that backtracks exponentially in a backtracking engine, on a path
// any user can create: RE2 answers in time linear in the path.
TEST(UserPattern, CatastrophicPatternStaysLinear) {
  absl::StatusOr<std::unique_ptr<const RE2>> pattern = CompileUserPattern("--flag", "^(a+)+$");
  ASSERT_TRUE(pattern.ok());
  const std::string path = absl::StrCat("/", std::string(100000, 'a'), "!");
  EXPECT_FALSE(SearchUserPattern(**pattern, path));
}

}  // namespace
}  // namespace strata
