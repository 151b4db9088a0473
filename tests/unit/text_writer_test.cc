// The exporter's own text writer against prometheus-cpp's TextSerializer: the
// same bytes for the model behind every golden exposition, for a table of
// hostile numbers and strings, and for a sweep of random doubles.
#include "exporter/text_writer.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "base/build_options.h"
#include "collectors/registry.h"
#include "exporter/build_info.h"
#include "exporter/exporter_metrics.h"
#include "exporter/flags.h"
#include "exporter/scraper.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "tests/support/exporter_process.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

const fs::path kSourceDir = STRATA_SOURCE_DIR;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

std::string Reference(const std::vector<MetricFamily>& families) {
  return prometheus::TextSerializer().Serialize(families);
}

// The first line where the two differ: a readable failure, where gtest would
// print (and diff) both expositions whole.
std::string FirstDifference(const std::string& expected, const std::string& actual) {
  std::vector<std::string> a = absl::StrSplit(expected, '\n');
  std::vector<std::string> b = absl::StrSplit(actual, '\n');
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (a[i] != b[i]) {
      return absl::StrCat("line ", i + 1, ":\n  TextSerializer: ", a[i],
                          "\n  own writer:     ", b[i]);
    }
  }
  return absl::StrCat("line counts ", a.size(), " and ", b.size());
}

void ExpectSameBytes(const std::vector<MetricFamily>& families) {
  const std::string expected = Reference(families);
  const std::string actual = TextExposition(families);
  EXPECT_TRUE(actual == expected) << FirstDifference(expected, actual);
}

// --- The model behind every golden exposition ---------------------------

// One golden exposition: a collector run alone on one fixture tree, as
// tests/e2e/exporter_e2e_test.cc runs the binary to make it.
struct GoldenCase {
  std::string collector;
  std::string fixture;
};

std::vector<GoldenCase> GoldenCases() {
  std::vector<GoldenCase> cases;
  std::vector<const char*> collectors = {"host", "cgroup", "cfengine", "chef", "image"};
  if (STRATA_WITH_LIBVIRT) collectors.push_back("libvirt");
  if (STRATA_WITH_PUPPET) collectors.push_back("puppet");
  for (const char* collector : collectors) {
    std::vector<std::string> fixtures;
    const fs::path dir = kSourceDir / "tests/fixtures" / collector;
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (fs::is_directory(entry.path() / "proc") || fs::exists(entry.path() / "node.xml")) {
        fixtures.push_back(entry.path().filename());
      }
    }
    std::sort(fixtures.begin(), fixtures.end());
    for (const std::string& fixture : fixtures) cases.push_back({collector, fixture});
  }
  return cases;
}

// The families the exporter serves for `c`: its command line parsed as the
// golden test's, its collector built and scraped, build info added, sorted
// and merged as exporter/web_handler.cc does (without process metrics).
std::vector<MetricFamily> ServedFamilies(const GoldenCase& c, const Logger& logger) {
  const fs::path root = kSourceDir / "tests/fixtures" / c.collector / c.fixture;
  std::vector<std::string> args = {"strata_exporter",
                                   "--collector.disable-defaults",
                                   "--collector." + c.collector,
                                   "--path.procfs=" + (root / "proc").string(),
                                   "--path.sysfs=" + (root / "sys").string(),
                                   "--path.rootfs=" + (root / "rootfs").string()};
  for (const std::string& flag : testing::NoContainerEngineFlags()) args.push_back(flag);
  if (c.collector == "libvirt") {
    args.push_back("--collector.libvirt.uri=test://" + (root / "node.xml").string());
  }
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  std::vector<std::unique_ptr<CollectorModule>> modules = AllCollectorModules();
  ExporterFlags flags;
  EXPECT_EQ(ParseCommandLine(static_cast<int>(argv.size()), argv.data(), flags, modules).exit_code,
            -1);
  std::unique_ptr<HostFs> host_fs = NewRealHostFs(flags.paths);
  std::vector<Scraper::NamedCollector> collectors;
  for (const auto& module : modules) {
    if (!flags.Enabled(module->info())) continue;
    absl::StatusOr<std::unique_ptr<Collector>> collector = module->Create({*host_fs, logger});
    EXPECT_TRUE(collector.ok()) << collector.status();
    if (collector.ok()) {
      collectors.push_back({std::string(module->info().name), *std::move(collector)});
    }
  }
  Scraper scraper(std::move(collectors), logger);
  absl::StatusOr<std::vector<MetricFamily>> families =
      scraper.Scrape({}, absl::Now() + absl::Seconds(30));
  EXPECT_TRUE(families.ok()) << families.status();
  if (!families.ok()) return {};
  FamilyBuilder(exporter_metrics::kBuildInfo).Add(1, {kVersion, kRevision}).EmitTo(*families);
  std::stable_sort(families->begin(), families->end(),
                   [](const auto& a, const auto& b) { return a.name < b.name; });
  MergeSameNameFamilies(*families);
  return *std::move(families);
}

// What the golden test keeps of a scrape (its DropVolatile).
std::string DropVolatile(const std::string& exposition, bool drop_counters) {
  static constexpr const char* kVolatile[] = {"process_", "strata_exporter_build_info",
                                              "strata_scrape_collector_duration_seconds"};
  std::string kept;
  for (absl::string_view line : absl::StrSplit(exposition, '\n', absl::SkipEmpty())) {
    absl::string_view name = line;
    if (absl::ConsumePrefix(&name, "# HELP ") || absl::ConsumePrefix(&name, "# TYPE ")) {
    }
    name = name.substr(0, name.find_first_of(" {"));
    bool drop = drop_counters && absl::EndsWith(name, "_total");
    for (const char* prefix : kVolatile) drop = drop || absl::StartsWith(name, prefix);
    if (!drop) absl::StrAppend(&kept, line, "\n");
  }
  return kept;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

TEST(TextWriter, EveryGoldenExpositionsModelGivesTextSerializersBytes) {
  std::ostringstream log;
  Logger logger(LogLevel::kError, log);
  const std::vector<GoldenCase> cases = GoldenCases();
  ASSERT_GE(cases.size(), 20u);
  size_t goldens_seen = 0;
  for (const GoldenCase& c : cases) {
    SCOPED_TRACE(c.collector + "/" + c.fixture);
    const std::vector<MetricFamily> families = ServedFamilies(c, logger);
    ASSERT_GT(families.size(), 1u);
    const std::string expected = Reference(families);
    const std::string actual = TextExposition(families);
    EXPECT_TRUE(actual == expected) << FirstDifference(expected, actual);
    // What the exporter serves: the same bytes, the model consumed.
    std::vector<MetricFamily> consumed = families;
    EXPECT_TRUE(ConsumeTextExposition(consumed) == expected);
    EXPECT_TRUE(consumed.empty());
    // The model is the golden's: what the golden test keeps of it is the file.
    const fs::path golden = kSourceDir / "tests/golden" / (c.collector + "-" + c.fixture + ".prom");
    ASSERT_TRUE(fs::exists(golden)) << golden;
    const std::string kept = DropVolatile(actual, c.collector == "libvirt");
    const std::string want = ReadFile(golden);
    EXPECT_TRUE(kept == want) << FirstDifference(want, kept);
    ++goldens_seen;
  }
  // Every committed golden this build can make was compared.
  size_t goldens_present = 0;
  for (const auto& entry : fs::directory_iterator(kSourceDir / "tests/golden")) {
    const std::string name = entry.path().filename();
    const bool built = (STRATA_WITH_LIBVIRT || !absl::StartsWith(name, "libvirt-")) &&
                       (STRATA_WITH_PUPPET || !absl::StartsWith(name, "puppet-"));
    if (entry.path().extension() == ".prom" && built) ++goldens_present;
  }
  EXPECT_EQ(goldens_seen, goldens_present);
}

// --- Hostile numbers and strings ----------------------------------------

// Values that stress "%.16g": signed zero, denormals, the ends of the
// range, whole numbers around the 1e16 switch to exponents and 2^53,
// fractions that need 17 significant digits, and rounding ties.
const std::vector<double>& HostileDoubles() {
  static const std::vector<double> values = {
      0.0,
      -0.0,
      kNan,
      -kNan,
      kInf,
      -kInf,
      std::numeric_limits<double>::denorm_min(),
      -std::numeric_limits<double>::denorm_min(),
      std::numeric_limits<double>::min(),
      std::nextafter(std::numeric_limits<double>::min(), 0.0),  // largest denormal
      std::numeric_limits<double>::max(),
      std::numeric_limits<double>::lowest(),
      std::numeric_limits<double>::epsilon(),
      1e-300,
      -1e-300,
      1e300,
      1e-5,
      1e-4,
      0.0001234,
      1,
      -1,
      42,
      1e15,
      1e15 + 1,
      9999999999999998.0,
      1e16,
      -1e16,
      1e16 + 2,
      1e17,
      9007199254740992.0,  // 2^53
      9007199254740993.0,  // 2^53 + 1, rounds to 2^53
      9007199254740994.0,  // 2^53 + 2
      -9007199254740993.0,
      18446744073709551615.0,  // 2^64 - 1 as a double: 2^64
      9223372036854775807.0,   // 2^63
      -9223372036854775808.0,  // -2^63
      123456789012345678.0,
      0.1,
      0.2,
      0.1 + 0.2,  // 0.30000000000000004: 17 digits
      1.0 / 3,
      2.0 / 3,
      100.0 / 3,
      0.5,
      2.5,
      1.5e-7,
      1234.5678,
      3.141592653589793,
      2.718281828459045,
      1.7976931348623157e308,
      4.9406564584124654e-324,
      2.2250738585072009e-308,
      5e-324,
      0.30000000000000004,
      1.0000000000000002,  // 1 + epsilon: 17 digits
      0.9999999999999999,
      9.999999999999999e22,
      1e23,
      8.589973e9,
      123456.789e3,
      1e21,
      1e22,
      -1.5,
      12.3456789012345678,
      0.000001,
      1e-7,
      99999999999999.99,
      999999999999999.9,
      9999999999999999.0,
      0.1234567890123456789,
  };
  return values;
}

ClientMetric Labelled(std::vector<ClientMetric::Label> labels) {
  ClientMetric metric;
  metric.label = std::move(labels);
  return metric;
}

// One family of each type with `value` in every place a double goes.
std::vector<MetricFamily> EveryTypeWith(double value) {
  std::vector<MetricFamily> families;
  ClientMetric metric = Labelled({{"a", "b"}});
  metric.counter.value = value;
  metric.gauge.value = value;
  metric.untyped.value = value;
  metric.summary.sample_sum = value;
  metric.summary.sample_count = 3;
  metric.summary.quantile = {{value, value}, {0.5, value}};
  metric.histogram.sample_sum = value;
  metric.histogram.sample_count = 7;
  metric.histogram.bucket = {{1, value}, {7, 1e300}};
  ClientMetric bare;  // no labels
  bare.counter.value = bare.gauge.value = bare.untyped.value = value;
  bare.summary.sample_sum = bare.histogram.sample_sum = value;
  bare.summary.quantile = {{value, value}};
  bare.histogram.bucket = {{0, value}};
  for (MetricType type : {MetricType::Counter, MetricType::Gauge, MetricType::Untyped,
                          MetricType::Summary, MetricType::Histogram}) {
    families.push_back({"m", "Help.", type, {metric, bare}});
  }
  return families;
}

TEST(TextWriter, HostileDoublesInEveryTypeGiveTextSerializersBytes) {
  for (double value : HostileDoubles()) {
    uint64_t bits;
    std::memcpy(&bits, &value, sizeof(bits));
    SCOPED_TRACE(absl::StrCat("value ", value, ", bits ", absl::Hex(bits)));
    ExpectSameBytes(EveryTypeWith(value));
  }
}

TEST(TextWriter, SpellsSpecialValuesAsTextSerializer) {
  std::vector<MetricFamily> families = {{"g", "", MetricType::Gauge, {}}};
  for (double value : {kNan, kInf, -kInf, -0.0, 0.1 + 0.2, 5e-324, 1e16, 2.0}) {
    ClientMetric metric;
    metric.gauge.value = value;
    families[0].metric.push_back(metric);
  }
  // The spellings the exposition carries, so a change in either is seen:
  // 0.1 + 0.2 (0.30000000000000004) needs 17 digits and is written as 0.3.
  EXPECT_EQ(TextExposition(families),
            "# TYPE g gauge\ng Nan\ng +Inf\ng -Inf\ng -0\ng 0.3\ng "
            "4.940656458412465e-324\ng 1e+16\ng 2\n");
  ExpectSameBytes(families);
}

TEST(TextWriter, HostileStringsGiveTextSerializersBytes) {
  const std::vector<std::string> strings = {
      "",
      "plain",
      "back\\slash",
      "\\",
      "\\\\n",
      "new\nline",
      "\n",
      "\"quoted\"",
      "\"",
      "tab\there",
      "carriage\rreturn",
      std::string("nul\0inside", 10),
      "grüße ✓ 日本語 🐧",
      "\xf0\x9f\x90\xa7\\\n\"",
      "/machine.slice/machine-qemu\\x2d1\\x2dweb01.scope",
      "{}=,# ",
      std::string(5000, '\\'),
      std::string(10000, 'x') + "\n",
  };
  std::vector<MetricFamily> families;
  for (size_t i = 0; i < strings.size(); ++i) {
    const std::string& s = strings[i];
    ClientMetric metric = Labelled({{"value", s}, {"other", "v"}});
    metric.gauge.value = static_cast<double>(i);
    metric.summary.quantile = {{0.9, 1}};
    metric.histogram.bucket = {{1, 0.25}};
    ClientMetric only = Labelled({{"only", s}});
    // HELP text goes out unescaped, as TextSerializer writes it.
    for (MetricType type : {MetricType::Gauge, MetricType::Summary, MetricType::Histogram}) {
      families.push_back({absl::StrCat("f", i), s, type, {metric, only}});
    }
  }
  ExpectSameBytes(families);
  EXPECT_NE(TextExposition(families).find(R"(value="back\\slash",other="v")"), std::string::npos);
  EXPECT_NE(TextExposition(families).find(R"(value="new\nline")"), std::string::npos);
  EXPECT_NE(TextExposition(families).find(R"(only="\"quoted\"")"), std::string::npos);
}

TEST(TextWriter, EmptyFamiliesAndEveryTypeGiveTextSerializersBytes) {
  std::vector<MetricFamily> families;
  for (MetricType type : {MetricType::Counter, MetricType::Gauge, MetricType::Untyped,
                          MetricType::Summary, MetricType::Histogram}) {
    families.push_back({"empty_with_help", "Help.", type, {}});
    families.push_back({"empty_without_help", "", type, {}});
    ClientMetric metric;  // every field default
    families.push_back({"defaults", "", type, {metric}});
  }
  // A summary without quantiles; a histogram without buckets, one ending in
  // +Inf (no bucket added), one ending in NaN (one added), and many buckets.
  ClientMetric no_quantiles = Labelled({{"x", "1"}});
  no_quantiles.summary = {5, 2.5, {}};
  families.push_back({"summary", "", MetricType::Summary, {no_quantiles}});
  ClientMetric no_buckets;
  no_buckets.histogram = {4, 1.5, {}};
  ClientMetric ends_in_inf;
  ends_in_inf.histogram = {4, 1.5, {{1, 0.1}, {4, kInf}}};
  ClientMetric ends_in_nan;
  ends_in_nan.histogram = {4, 1.5, {{1, 0.1}, {2, kNan}}};
  ClientMetric many = Labelled({{"le_like", "x"}});
  many.histogram.sample_count = std::numeric_limits<uint64_t>::max();
  many.histogram.sample_sum = 1e300;
  for (int i = 0; i < 40; ++i) {
    many.histogram.bucket.push_back({static_cast<uint64_t>(i) * 1000003, std::ldexp(1.0, i - 20)});
  }
  families.push_back(
      {"histogram", "", MetricType::Histogram, {no_buckets, ends_in_inf, ends_in_nan, many}});
  families.push_back({"", "", MetricType::Gauge, {ClientMetric()}});  // no name at all
  families.push_back({"out_of_range_type", "Help.", static_cast<MetricType>(99), {ClientMetric()}});
  ExpectSameBytes(families);
  ExpectSameBytes({});
}

TEST(TextWriter, TimestampsAndCountsGiveTextSerializersBytes) {
  std::vector<MetricFamily> families;
  for (int64_t timestamp :
       {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{1700000000123},
        std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
    ClientMetric metric = Labelled({{"t", absl::StrCat(timestamp)}});
    metric.timestamp_ms = timestamp;
    metric.counter.value = 1.5;
    metric.summary = {std::numeric_limits<uint64_t>::max(), 2, {{0.99, 3}, {0.5, kNan}}};
    metric.histogram = {std::numeric_limits<uint64_t>::max(), 2, {{1, 0.5}}};
    for (MetricType type : {MetricType::Counter, MetricType::Summary, MetricType::Histogram}) {
      families.push_back({"t", "", type, {metric}});
    }
  }
  ExpectSameBytes(families);
}

// Random bit patterns cover every exponent; short decimals and whole numbers
// are what the collectors mostly report.
TEST(TextWriter, RandomDoublesGiveTextSerializersBytes) {
  std::mt19937_64 random(20240613);
  MetricFamily family{"r", "", MetricType::Gauge, {}};
  auto add = [&family](double value) {
    ClientMetric metric;
    metric.gauge.value = value;
    family.metric.push_back(metric);
  };
  for (int i = 0; i < 100000; ++i) {
    const uint64_t bits = random();
    double value;
    std::memcpy(&value, &bits, sizeof(value));
    add(value);
  }
  std::uniform_int_distribution<int64_t> whole(-(int64_t{1} << 62), int64_t{1} << 62);
  std::uniform_int_distribution<int> decimals(0, 9);
  for (int i = 0; i < 100000; ++i) {
    const int64_t n = whole(random) >> (random() % 62);
    add(static_cast<double>(n));
    add(static_cast<double>(n) / std::pow(10.0, decimals(random)));
  }
  ExpectSameBytes({family});
}

TEST(TextWriter, AppendKeepsWhatIsThere) {
  MetricFamily family{"up", "Up.", MetricType::Gauge, {ClientMetric()}};
  family.metric[0].gauge.value = 1;
  std::string out = "before\n";
  AppendTextExposition({family}, out);
  EXPECT_EQ(out, "before\n# HELP up Up.\n# TYPE up gauge\nup 1\n");
}

}  // namespace
}  // namespace strata
