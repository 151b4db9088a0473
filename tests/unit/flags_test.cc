#include "exporter/flags.h"

#include <fstream>
#include <iostream>
#include <regex>
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

// Every flag --help lists is documented in README.md's flag table.
TEST(Flags, ReadmeDocumentsEveryFlag) {
  std::ostringstream out;
  std::streambuf* saved = std::cout.rdbuf(out.rdbuf());
  Parse({"--help"});
  std::cout.rdbuf(saved);
  std::ifstream readme_file(std::string(STRATA_SOURCE_DIR) + "/README.md");
  std::stringstream readme;
  readme << readme_file.rdbuf();
  const std::regex flag(R"(--[a-z][a-z0-9.-]*)");
  int flags = 0;
  const std::string help = out.str();
  for (auto it = std::sregex_iterator(help.begin(), help.end(), flag); it != std::sregex_iterator();
       ++it) {
    std::string name = it->str();
    // Per-collector switches are documented generically as --collector.NAME.
    bool is_switch = false;
    for (const auto& module : AllCollectorModules()) {
      const std::string collector(module->info().name);
      is_switch =
          is_switch || name == "--collector." + collector || name == "--no-collector." + collector;
    }
    if (is_switch) continue;
    ++flags;
    EXPECT_NE(readme.str().find("`" + name), std::string::npos) << name << " is not in README.md";
  }
  EXPECT_GT(flags, 10);
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
