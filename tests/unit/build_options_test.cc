// A build has the optional collectors its STRATA_WITH_* options name, and
// only those: a collector left out is absent from the registry, from --help
// and from the metric catalogue. CI builds once with every option off, so
// both sides of each expectation run.
#include "base/build_options.h"

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "collectors/registry.h"
#include "exporter/catalogue.h"
#include "exporter/flags.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct OptionalPart {
  const char* option;
  bool built;
  const char* module;  // collector module, or "" for a part of another collector
  const char* flag;    // a flag only this part adds
  const char* metric;  // a metric only this part exposes
};

const OptionalPart kOptionalParts[] = {
    {"STRATA_WITH_LIBVIRT", STRATA_WITH_LIBVIRT, "libvirt", "--collector.libvirt.uri",
     "strata_domain_info"},
    {"STRATA_WITH_PUPPET", STRATA_WITH_PUPPET, "puppet", "--collector.puppet.summary-file",
     "strata_puppet_"},
    {"STRATA_WITH_DRIFT", STRATA_WITH_DRIFT, "drift", "--collector.drift.files",
     "strata_drift_files"},
    {"STRATA_WITH_DOCKER_API", STRATA_WITH_DOCKER_API, "", "--collector.cgroup.docker-socket",
     "strata_container_info"},
};

std::string HelpText() {
  ExporterFlags flags;
  std::vector<std::unique_ptr<CollectorModule>> modules = AllCollectorModules();
  std::ostringstream out;
  std::streambuf* saved = std::cout.rdbuf(out.rdbuf());
  std::vector<std::string> args = {"strata_exporter", "--help"};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  ParsedCommandLine parsed =
      ParseCommandLine(static_cast<int>(argv.size()), argv.data(), flags, modules);
  std::cout.rdbuf(saved);
  EXPECT_EQ(parsed.exit_code, 0);
  return out.str();
}

std::vector<std::string> ModuleNames() {
  std::vector<std::string> names;
  for (const auto& module : AllCollectorModules()) names.emplace_back(module->info().name);
  return names;
}

TEST(BuildOptions, RegistryHasExactlyTheCollectorsBuilt) {
  const std::vector<std::string> names = ModuleNames();
  for (const OptionalPart& part : kOptionalParts) {
    if (std::string(part.module).empty()) continue;
    SCOPED_TRACE(part.option);
    if (part.built) {
      EXPECT_THAT(names, ::testing::Contains(part.module));
    } else {
      EXPECT_THAT(names, Not(::testing::Contains(part.module)));
    }
  }
  // The collectors without an external dependency are in every build.
  for (const char* always : {"host", "cgroup", "cfengine", "ansible", "chef", "image"}) {
    EXPECT_THAT(names, ::testing::Contains(always));
  }
}

TEST(BuildOptions, HelpListsOnlyTheFlagsOfWhatIsBuilt) {
  const std::string help = HelpText();
  for (const OptionalPart& part : kOptionalParts) {
    SCOPED_TRACE(part.option);
    if (part.built) {
      EXPECT_THAT(help, HasSubstr(part.flag));
    } else {
      EXPECT_THAT(help, Not(HasSubstr(part.flag)));
      if (!std::string(part.module).empty()) {
        EXPECT_THAT(help, Not(HasSubstr(std::string("--collector.") + part.module + " ")));
      }
    }
  }
}

TEST(BuildOptions, CatalogueListsOnlyTheMetricsOfWhatIsBuilt) {
  const std::string catalogue = MetricCatalogueMarkdown(MetricCatalogue(AllCollectorModules()));
  for (const OptionalPart& part : kOptionalParts) {
    SCOPED_TRACE(part.option);
    if (part.built) {
      EXPECT_THAT(catalogue, HasSubstr(std::string("`") + part.metric));
    } else {
      EXPECT_THAT(catalogue, Not(HasSubstr(std::string("`") + part.metric)));
    }
  }
}

}  // namespace
}  // namespace strata
