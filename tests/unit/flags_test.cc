#include "exporter/flags.h"

#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "collectors/registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::HasSubstr;

// Parses `args` with the real collector table; returns the exit code
// (-1: carry on) and what went to stderr.
struct Parsed {
  int exit_code;
  std::string err;
  ExporterFlags flags;
};

Parsed Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "strata_exporter");
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  auto modules = AllCollectorModules();
  Parsed parsed{-1, "", {}};
  std::ostringstream err;
  std::streambuf* saved = std::cerr.rdbuf(err.rdbuf());
  parsed.exit_code =
      ParseCommandLine(static_cast<int>(argv.size()), argv.data(), parsed.flags, modules).exit_code;
  std::cerr.rdbuf(saved);
  parsed.err = err.str();
  return parsed;
}

// Whether `flags` turn the host collector on.
bool HostEnabled(const ExporterFlags& flags) {
  for (const auto& module : AllCollectorModules()) {
    if (module->info().name == "host") return flags.Enabled(module->info());
  }
  ADD_FAILURE() << "no host collector registered";
  return false;
}

TEST(Flags, DefaultsMatchNodeExporterConventions) {
  Parsed parsed = Parse({});
  EXPECT_EQ(parsed.exit_code, -1);
  EXPECT_EQ(parsed.flags.listen_addresses, std::vector<std::string>{":10299"});
  EXPECT_EQ(parsed.flags.telemetry_path, "/metrics");
  EXPECT_EQ(parsed.flags.paths.procfs, "/proc");
  EXPECT_EQ(parsed.flags.paths.sysfs, "/sys");
  EXPECT_EQ(parsed.flags.paths.rootfs, "/");
  EXPECT_EQ(parsed.flags.scrape_timeout, absl::Seconds(10));
  EXPECT_TRUE(HostEnabled(parsed.flags));
}

TEST(Flags, CollectorsAreSwitchedByName) {
  EXPECT_FALSE(HostEnabled(Parse({"--no-collector.host"}).flags));
  EXPECT_FALSE(HostEnabled(Parse({"--collector.disable-defaults"}).flags));
  EXPECT_TRUE(HostEnabled(Parse({"--collector.disable-defaults", "--collector.host"}).flags));
}

TEST(Flags, ValuesAreParsed) {
  Parsed parsed = Parse({"--web.listen-address=127.0.0.1:1", "--web.listen-address", "[::1]:2",
                         "--path.procfs=/p", "--path.sysfs", "/s", "--path.rootfs=/r",
                         "--scrape.timeout=3s", "--log.level=debug", "--web.telemetry-path=/m"});
  ASSERT_EQ(parsed.exit_code, -1) << parsed.err;
  EXPECT_EQ(parsed.flags.listen_addresses, (std::vector<std::string>{"127.0.0.1:1", "[::1]:2"}));
  EXPECT_EQ(parsed.flags.paths.procfs, "/p");
  EXPECT_EQ(parsed.flags.paths.sysfs, "/s");
  EXPECT_EQ(parsed.flags.paths.rootfs, "/r");
  EXPECT_EQ(parsed.flags.scrape_timeout, absl::Seconds(3));
  EXPECT_EQ(parsed.flags.log_level, LogLevel::kDebug);
  EXPECT_EQ(parsed.flags.telemetry_path, "/m");
}

TEST(Flags, LogFormatTakesLogfmtOrJson) {
  EXPECT_EQ(Parse({}).flags.log_format, LogFormat::kLogfmt);
  Parsed json = Parse({"--log.format=json"});
  ASSERT_EQ(json.exit_code, -1) << json.err;
  EXPECT_EQ(json.flags.log_format, LogFormat::kJson);
  Parsed bad = Parse({"--log.format=xml"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("unknown log format \"xml\" (want logfmt or json)"));
}

// node_exporter prints version, branch and revision, then build facts.
TEST(Flags, VersionNamesRevisionBranchBuildDateCompilerAndPlatform) {
  const std::string text = VersionText();
  EXPECT_THAT(text, ::testing::StartsWith("strata_exporter, version "));
  for (const char* part :
       {"(branch: ", ", revision: ", "build date:", "compiler:", "platform:         linux/"}) {
    EXPECT_THAT(text, HasSubstr(part)) << text;
  }
  EXPECT_TRUE(std::regex_search(text, std::regex(R"(build date: +\d{8}-\d\d:\d\d:\d\d)"))) << text;
}

TEST(Flags, BadFlagsGiveOneLineAndExitTwo) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"--no-such-flag"},
                                                                {"--log.level=loud"},
                                                                {"--scrape.timeout=soon"},
                                                                {"--web.max-requests=0"},
                                                                {"--collector.nosuch"}}) {
    SCOPED_TRACE(args[0]);
    Parsed parsed = Parse(args);
    EXPECT_EQ(parsed.exit_code, 2);
    EXPECT_THAT(parsed.err, HasSubstr("strata_exporter: error: "));
    EXPECT_EQ(std::count(parsed.err.begin(), parsed.err.end(), '\n'), 1) << parsed.err;
  }
}

TEST(Flags, HelpListsEveryCollectorFlag) {
  std::ostringstream out;
  std::streambuf* saved = std::cout.rdbuf(out.rdbuf());
  Parsed parsed = Parse({"--help"});
  std::cout.rdbuf(saved);
  EXPECT_EQ(parsed.exit_code, 0);
  for (const auto& module : AllCollectorModules()) {
    EXPECT_THAT(out.str(), HasSubstr("--collector." + std::string(module->info().name)));
    EXPECT_THAT(out.str(), HasSubstr("--no-collector." + std::string(module->info().name)));
  }
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

// The text of `relative` below the source tree; nullopt when it cannot be read.
std::optional<std::string> ReadSourceFile(const std::string& relative) {
  std::ifstream file(std::string(STRATA_SOURCE_DIR) + "/" + relative);
  if (!file) return std::nullopt;
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// Whether a row of a Markdown table in `text` (a line starting with "|") names
// `flag` in backquotes.
bool InTableRow(const std::string& text, const std::string& flag) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("|", 0) == 0 && line.find("`" + flag + "`") != std::string::npos) return true;
  }
  return false;
}

// Every flag --help lists is documented in a table where a reader looks for
// it: the exporter's own flags and the --collector.NAME / --no-collector.NAME
// switches in README.md's flag table, each --collector.NAME.knob (and
// --no-collector.NAME.knob) in the knob table of docs/collectors/NAME.md.
TEST(Flags, EveryFlagIsDocumented) {
  std::ostringstream out;
  std::streambuf* saved = std::cout.rdbuf(out.rdbuf());
  Parse({"--help"});
  std::cout.rdbuf(saved);
  const std::string readme_table = "README.md's flag table";
  std::map<std::string, std::optional<std::string>> docs;
  if (std::optional<std::string> readme = ReadSourceFile("README.md")) {
    // From the "## Flags" heading to the next heading of that level.
    const size_t from = readme->find("\n## Flags\n");
    if (from != std::string::npos) {
      docs[readme_table] = readme->substr(from, readme->find("\n## ", from + 1) - from);
    }
  }
  ASSERT_TRUE(docs[readme_table]) << "README.md has no \"## Flags\" section";
  const std::regex flag(R"(--[a-z][a-z0-9.-]*)");
  std::set<std::string> seen;
  int exporter_flags = 0;
  int knobs = 0;
  const std::string help = out.str();
  for (auto it = std::sregex_iterator(help.begin(), help.end(), flag); it != std::sregex_iterator();
       ++it) {
    const std::string name = it->str();
    // "--collector." is the start of the placeholder --collector.NAME in help text.
    if (name.back() == '.' || !seen.insert(name).second) continue;
    std::string where = readme_table;
    for (const auto& module : AllCollectorModules()) {
      const std::string collector(module->info().name);
      // A knob that is a switch has a "--no-" form, documented with it.
      if (name.rfind("--collector." + collector + ".", 0) == 0 ||
          name.rfind("--no-collector." + collector + ".", 0) == 0) {
        where = "docs/collectors/" + collector + ".md";
        if (!docs.count(where)) docs[where] = ReadSourceFile(where);
      }
    }
    ++(where == readme_table ? exporter_flags : knobs);
    if (!docs[where]) {
      ADD_FAILURE() << where << " does not exist, so it cannot document " << name;
      continue;
    }
    if (!InTableRow(*docs[where], name)) ADD_FAILURE() << where << " lacks " << name;
  }
  EXPECT_GT(exporter_flags, 10);
  EXPECT_GT(knobs, 0);  // the cgroup collector's, even with every STRATA_WITH_* off
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

// "--flag=" sets the empty string and must not swallow the next argument.
TEST(Flags, EmptyValueDoesNotConsumeTheNextFlag) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--collector.ansible.results-file=", "--path.procfs=/p"},
           {"--collector.ansible.results-file", "", "--path.procfs=/p"}}) {
    Parsed parsed = Parse(args);
    ASSERT_EQ(parsed.exit_code, -1) << parsed.err;
    EXPECT_EQ(parsed.flags.paths.procfs, "/p");
  }
}

}  // namespace
}  // namespace strata
