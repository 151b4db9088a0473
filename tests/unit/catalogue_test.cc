#include "exporter/catalogue.h"

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/build_options.h"
#include "collectors/registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<CatalogueEntry> Catalogue() { return MetricCatalogue(AllCollectorModules()); }

// docs/metrics.md documents the build with every optional collector.
constexpr bool kEveryOptionalPartBuilt =
    STRATA_WITH_LIBVIRT && STRATA_WITH_PUPPET && STRATA_WITH_DRIFT && STRATA_WITH_DOCKER_API;

TEST(Catalogue, DocsHoldTheGeneratedCatalogue) {
  const std::string doc = ReadFile(fs::path(STRATA_SOURCE_DIR) / "docs" / "metrics.md");
  const std::string begin = "<!-- catalogue:begin -->\n";
  const std::string end = "<!-- catalogue:end -->";
  size_t from = doc.find(begin);
  size_t to = doc.find(end);
  ASSERT_NE(from, std::string::npos) << "docs/metrics.md lacks " << begin;
  ASSERT_NE(to, std::string::npos) << "docs/metrics.md lacks " << end;
  from += begin.size();
  const std::string documented = doc.substr(from, to - from);
  const std::string generated = MetricCatalogueMarkdown(Catalogue());
  if (kEveryOptionalPartBuilt) {
    EXPECT_EQ(documented, generated) << "run scripts/update-catalogue";
    return;
  }
  // A build that leaves collectors out has a subset of the full build's
  // catalogue: every row is documented, but for the last column, which
  // names fewer collectors where several share a metric.
  auto without_collectors = [](absl::string_view row) {
    absl::ConsumeSuffix(&row, " |");
    return row.substr(0, row.rfind(" | "));
  };
  std::set<absl::string_view> rows;
  for (absl::string_view row : absl::StrSplit(documented, '\n')) {
    rows.insert(without_collectors(row));
  }
  for (absl::string_view row : absl::StrSplit(generated, '\n')) {
    EXPECT_TRUE(rows.count(without_collectors(row))) << "docs/metrics.md lacks: " << row;
  }
}

TEST(Catalogue, NamesFollowPrometheusConventions) {
  const std::regex valid_name("[a-zA-Z_:][a-zA-Z0-9_:]*");
  const std::regex valid_label("[a-zA-Z_][a-zA-Z0-9_]*");
  std::set<std::string> seen;
  for (const CatalogueEntry& entry : Catalogue()) {
    const std::string name(entry.spec->name);
    SCOPED_TRACE(name);
    EXPECT_TRUE(seen.insert(name).second) << "defined twice";
    EXPECT_TRUE(std::regex_match(name, valid_name));
    EXPECT_TRUE(absl::StartsWith(name, "strata_") || absl::StartsWith(name, "process_"));
    const bool counter = entry.spec->type == prometheus::MetricType::Counter;
    EXPECT_EQ(counter, absl::EndsWith(name, "_total")) << "_total is for counters only";
    EXPECT_FALSE(entry.spec->help.empty());
    EXPECT_FALSE(entry.spec->source.empty());
    for (size_t i = 0; i < entry.spec->label_count(); ++i) {
      EXPECT_TRUE(std::regex_match(std::string(entry.spec->labels[i]), valid_label));
    }
  }
}

// Every family in every golden exposition is catalogued with the same type and help.
TEST(Catalogue, GoldenExpositionsUseOnlyCataloguedMetrics) {
  std::map<std::string, const MetricSpec*> by_name;
  for (const CatalogueEntry& entry : Catalogue())
    by_name[std::string(entry.spec->name)] = entry.spec;
  std::set<std::string> built;
  for (const auto& module : AllCollectorModules()) built.emplace(module->info().name);
  int families = 0;
  for (const auto& file : fs::directory_iterator(fs::path(STRATA_SOURCE_DIR) / "tests/golden")) {
    // Goldens are named COLLECTOR-FIXTURE.prom; a build without it skips them.
    const std::string collector = file.path().filename().string();
    if (!built.count(collector.substr(0, collector.find('-')))) continue;
    for (absl::string_view line : absl::StrSplit(ReadFile(file.path()), '\n')) {
      if (absl::ConsumePrefix(&line, "# TYPE ")) {
        std::vector<std::string> parts = absl::StrSplit(line, ' ');
        ASSERT_EQ(parts.size(), 2u);
        ASSERT_TRUE(by_name.count(parts[0])) << parts[0] << " in " << file.path();
        EXPECT_EQ(MetricTypeName(by_name[parts[0]]->type), parts[1]);
        ++families;
      } else if (absl::ConsumePrefix(&line, "# HELP ")) {
        std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits(' ', 1));
        ASSERT_TRUE(by_name.count(parts[0])) << parts[0] << " in " << file.path();
        EXPECT_EQ(by_name[parts[0]]->help, parts[1]);
      }
    }
  }
  EXPECT_GT(families, 0) << "no golden exposition found";
}

}  // namespace
}  // namespace strata
