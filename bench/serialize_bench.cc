// Cost of turning a scrape of about 1,000 cgroups into the response body:
// prometheus-cpp's TextSerializer against the exporter's own writer
// (exporter/text_writer.h), and gzip at every level. scripts/run-bench prints
// them as ratios against each other, measured in the same run.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "collectors/cgroup/cgroup_collector.h"
#include "exporter/gzip.h"
#include "exporter/text_writer.h"
#include "prometheus/text_serializer.h"

namespace strata {
namespace {

// Copies of the captured host's cgroups: 14 x 72 = 1,008 cgroups.
constexpr int kCopies = 72;

// A deterministic pseudo-random number from `a` and `b` (splitmix64).
uint64_t Mix(uint64_t a, uint64_t b) {
  uint64_t z = a * 0x9e3779b97f4a7c15u + b + 0x632be59bd9b4e5bbu;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

// `value` with every run of 8 or more hex digits (container IDs, pod UIDs)
// replaced by other hex digits, the same for the same run and copy, so that a
// pod's UID stays the same in every label that carries it.
std::string RenameIds(const std::string& value, int copy) {
  std::string out = value;
  size_t i = 0;
  while (i < out.size()) {
    size_t end = i;
    while (end < out.size() && absl::ascii_isxdigit(static_cast<unsigned char>(out[end]))) ++end;
    if (end - i >= 8) {
      uint64_t seed = Mix(copy, std::hash<std::string>()(value.substr(i, end - i)));
      for (size_t j = i; j < end; ++j) {
        if (j % 16 == i % 16) seed = Mix(seed, j);
        out[j] = "0123456789abcdef"[(seed >> (4 * (j % 16))) & 15];
      }
    }
    i = end + 1;
  }
  return out;
}

// The families of a collection of about 1,000 cgroups: the cgroup collector's
// on the captured hybrid host (14 cgroups, about 2.9 KB of text each, as on
// real hosts), every series with a cgroup label repeated under kCopies
// renamed cgroups with other container IDs. The copies' values are spread
// (zeros stay zeros, whole numbers stay whole, fractions keep six decimals)
// so that gzip finds no more repetition than in a real scrape. A cgroup's
// IDs recur once per family, beyond gzip's 32 KB window, so this model
// compresses less (0.14 of its size at level 6) than the 14 cgroups of the
// capture alone (0.12, docs/SCALING.md), as a real host's 1,000 would.
std::vector<prometheus::MetricFamily> ThousandCgroups() {
  const std::string root =
      std::string(STRATA_SOURCE_DIR) + "/tests/fixtures/cgroup/hybrid-firecracker-6.18";
  auto fs = NewRealHostFs({root + "/proc", root + "/sys", root + "/rootfs"});
  std::ostringstream log;
  Logger logger(LogLevel::kError, log);
  CgroupCollectorOptions options;
  options.docker_socket = "";
  std::vector<prometheus::MetricFamily> captured;
  (void)(*NewCgroupCollector({*fs, logger}, options))->Collect(captured);
  std::vector<prometheus::MetricFamily> families;
  for (const prometheus::MetricFamily& family : captured) {
    prometheus::MetricFamily& copy = families.emplace_back(family);
    copy.metric.clear();
    uint64_t n = 0;
    for (const prometheus::ClientMetric& metric : family.metric) {
      bool per_cgroup = false;
      for (const auto& label : metric.label) per_cgroup = per_cgroup || label.name == "cgroup";
      for (int i = 0; i < (per_cgroup ? kCopies : 1); ++i) {
        prometheus::ClientMetric& m = copy.metric.emplace_back(metric);
        if (i == 0) continue;
        for (auto& label : m.label) {
          label.value = RenameIds(label.value, i);
          if (label.name == "cgroup") label.value = absl::StrCat("/c", i, label.value);
        }
        // A factor in [0.5, 1.5).
        const double factor = 0.5 + static_cast<double>(Mix(i, ++n) >> 11) * 0x1p-53;
        for (double* value : {&m.counter.value, &m.gauge.value, &m.untyped.value}) {
          if (*value == 0 || !std::isfinite(*value)) continue;
          *value = *value == std::floor(*value) ? std::round(*value * factor)
                                                : std::round(*value * factor * 1e6) / 1e6;
        }
      }
    }
  }
  return families;
}

void ReportText(benchmark::State& state, size_t bytes) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["text_bytes"] = static_cast<double>(bytes);
}

void BM_SerializeTextSerializer(benchmark::State& state) {
  const std::vector<prometheus::MetricFamily> families = ThousandCgroups();
  size_t bytes = 0;
  for (auto _ : state) {
    std::string text = prometheus::TextSerializer().Serialize(families);
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  ReportText(state, bytes);
}
BENCHMARK(BM_SerializeTextSerializer)->Unit(benchmark::kMillisecond);

void BM_SerializeOwn(benchmark::State& state) {
  const std::vector<prometheus::MetricFamily> families = ThousandCgroups();
  size_t bytes = 0;
  for (auto _ : state) {
    std::string text = TextExposition(families);
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  ReportText(state, bytes);
}
BENCHMARK(BM_SerializeOwn)->Unit(benchmark::kMillisecond);

void Gzip(benchmark::State& state,
          const std::function<absl::StatusOr<std::string>(absl::string_view)>& compress) {
  const std::string text = TextExposition(ThousandCgroups());
  size_t compressed = 0;
  for (auto _ : state) {
    absl::StatusOr<std::string> gz = compress(text);
    compressed = gz->size();
    benchmark::DoNotOptimize(gz);
  }
  ReportText(state, text.size());
  state.counters["gzip_bytes"] = static_cast<double>(compressed);
  state.counters["gzip_ratio"] = static_cast<double>(compressed) / static_cast<double>(text.size());
}

// gzip of the same exposition at zlib level state.range(0) (6 is zlib's default).
void BM_Gzip(benchmark::State& state) {
  const int level = static_cast<int>(state.range(0));
  Gzip(state, [level](absl::string_view text) { return GzipCompress(text, level); });
}
BENCHMARK(BM_Gzip)->DenseRange(1, 9)->Unit(benchmark::kMillisecond);

// At the level the exporter serves with.
void BM_GzipServed(benchmark::State& state) {
  Gzip(state, [](absl::string_view text) { return GzipCompress(text); });
}
BENCHMARK(BM_GzipServed)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace strata
