#include "exporter/text_writer.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

namespace strata {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// TextSerializer sets the stream's precision to max_digits10 - 1 (16) with
// the default float field, which is printf's "%.16g".
constexpr int kPrecision = std::numeric_limits<double>::max_digits10 - 1;

// Long enough for "%.16g" of any double ("-1.234567890123456e-308": 23) and
// any 64-bit integer (20).
constexpr size_t kNumberBuffer = 32;

void AppendDouble(double value, std::string& out) {
  if (std::isnan(value)) {
    out += "Nan";
    return;
  }
  if (std::isinf(value)) {
    out += value < 0 ? "-Inf" : "+Inf";
    return;
  }
  char buffer[kNumberBuffer];
  // Most values are whole numbers (bytes, counts). Below 1e16 "%.16g" prints
  // a whole number as its digits without a point or exponent, which the
  // integer conversion gives far faster. -0.0 is whole but prints as "-0".
  if (value > -1e16 && value < 1e16) {
    const auto whole = static_cast<int64_t>(value);
    if (static_cast<double>(whole) == value && (whole != 0 || !std::signbit(value))) {
      out.append(buffer, std::to_chars(buffer, buffer + sizeof(buffer), whole).ptr);
      return;
    }
  }
  // The standard defines this conversion as printf's in the "C" locale.
  out.append(buffer, std::to_chars(buffer, buffer + sizeof(buffer), value,
                                   std::chars_format::general, kPrecision)
                         .ptr);
}

template <typename Integer>
void AppendInteger(Integer value, std::string& out) {
  char buffer[kNumberBuffer];
  out.append(buffer, std::to_chars(buffer, buffer + sizeof(buffer), value).ptr);
}

// A label value with backslash, newline and double quote escaped; nothing
// else is (TextSerializer's rule).
void AppendLabelValue(const std::string& value, std::string& out) {
  const char* run = value.data();
  const char* const end = run + value.size();
  for (const char* p = run; p != end; ++p) {
    const char c = *p;
    if (c == '\\' || c == '\n' || c == '"') {
      out.append(run, p);
      out += '\\';
      out += c == '\n' ? 'n' : c;
      run = p + 1;
    }
  }
  out.append(run, end);
}

// `name{labels} ` or `name ` without labels.
void AppendHead(const MetricFamily& family, const ClientMetric& metric, std::string_view suffix,
                std::string& out) {
  out += family.name;
  out += suffix;
  if (!metric.label.empty()) {
    char separator = '{';
    for (const ClientMetric::Label& label : metric.label) {
      out += separator;
      out += label.name;
      out += "=\"";
      AppendLabelValue(label.value, out);
      out += '"';
      separator = ',';
    }
    out += '}';
  }
  out += ' ';
}

// The same with one more label (quantile or le) whose value is `extra`,
// already formatted.
void AppendHeadWithExtra(const MetricFamily& family, const ClientMetric& metric,
                         std::string_view suffix, std::string_view extra_name,
                         std::string_view extra, std::string& out) {
  out += family.name;
  out += suffix;
  out += '{';
  for (const ClientMetric::Label& label : metric.label) {
    out += label.name;
    out += "=\"";
    AppendLabelValue(label.value, out);
    out += "\",";
  }
  out += extra_name;
  out += "=\"";
  out += extra;
  out += "\"} ";
}

void AppendTail(const ClientMetric& metric, std::string& out) {
  if (metric.timestamp_ms != 0) {
    out += ' ';
    AppendInteger(metric.timestamp_ms, out);
  }
  out += '\n';
}

// `value` as AppendDouble writes it, for a label.
std::string_view FormatDouble(double value, std::string& scratch) {
  scratch.clear();
  AppendDouble(value, scratch);
  return scratch;
}

void AppendSummary(const MetricFamily& family, const ClientMetric& metric, std::string& scratch,
                   std::string& out) {
  const ClientMetric::Summary& summary = metric.summary;
  AppendHead(family, metric, "_count", out);
  AppendInteger(summary.sample_count, out);
  AppendTail(metric, out);
  AppendHead(family, metric, "_sum", out);
  AppendDouble(summary.sample_sum, out);
  AppendTail(metric, out);
  for (const ClientMetric::Quantile& quantile : summary.quantile) {
    AppendHeadWithExtra(family, metric, "", "quantile", FormatDouble(quantile.quantile, scratch),
                        out);
    AppendDouble(quantile.value, out);
    AppendTail(metric, out);
  }
}

void AppendHistogram(const MetricFamily& family, const ClientMetric& metric, std::string& scratch,
                     std::string& out) {
  const ClientMetric::Histogram& histogram = metric.histogram;
  AppendHead(family, metric, "_count", out);
  AppendInteger(histogram.sample_count, out);
  AppendTail(metric, out);
  AppendHead(family, metric, "_sum", out);
  AppendDouble(histogram.sample_sum, out);
  AppendTail(metric, out);
  double last = -std::numeric_limits<double>::infinity();
  for (const ClientMetric::Bucket& bucket : histogram.bucket) {
    AppendHeadWithExtra(family, metric, "_bucket", "le", FormatDouble(bucket.upper_bound, scratch),
                        out);
    last = bucket.upper_bound;
    AppendInteger(bucket.cumulative_count, out);
    AppendTail(metric, out);
  }
  // As TextSerializer: also after a NaN bound, and with no buckets at all.
  if (last != std::numeric_limits<double>::infinity()) {
    AppendHeadWithExtra(family, metric, "_bucket", "le", "+Inf", out);
    AppendInteger(histogram.sample_count, out);
    AppendTail(metric, out);
  }
}

void AppendSimple(const MetricFamily& family, const ClientMetric& metric, double value,
                  std::string& out) {
  AppendHead(family, metric, "", out);
  AppendDouble(value, out);
  AppendTail(metric, out);
}

void AppendFamily(const MetricFamily& family, std::string& scratch, std::string& out) {
  if (!family.help.empty()) {
    out += "# HELP ";
    out += family.name;
    out += ' ';
    out += family.help;  // not escaped, as TextSerializer
    out += '\n';
  }
  const char* type = nullptr;
  switch (family.type) {
    case MetricType::Counter:
      type = " counter\n";
      break;
    case MetricType::Gauge:
      type = " gauge\n";
      break;
    case MetricType::Summary:
      type = " summary\n";
      break;
    case MetricType::Untyped:
      type = " untyped\n";
      break;
    case MetricType::Histogram:
      type = " histogram\n";
      break;
  }
  // A type prometheus-cpp 1.0.1 does not know: HELP only, as it does. (1.1
  // added MetricType::Info, written as a gauge with an _info suffix; the
  // project builds against Debian 12's 1.0.1.)
  if (type == nullptr) return;
  out += "# TYPE ";
  out += family.name;
  out += type;
  for (const ClientMetric& metric : family.metric) {
    switch (family.type) {
      case MetricType::Counter:
        AppendSimple(family, metric, metric.counter.value, out);
        break;
      case MetricType::Gauge:
        AppendSimple(family, metric, metric.gauge.value, out);
        break;
      case MetricType::Untyped:
        AppendSimple(family, metric, metric.untyped.value, out);
        break;
      case MetricType::Summary:
        AppendSummary(family, metric, scratch, out);
        break;
      case MetricType::Histogram:
        AppendHistogram(family, metric, scratch, out);
        break;
    }
  }
}

// A close guess of the exposition's size, from each family's first metric,
// so that the string is rarely reallocated.
size_t EstimatedSize(const std::vector<MetricFamily>& families) {
  size_t size = 0;
  for (const MetricFamily& family : families) {
    size += 2 * family.name.size() + family.help.size() + 32;
    if (family.metric.empty()) continue;
    const ClientMetric& first = family.metric.front();
    size_t line = family.name.size() + 24;
    for (const ClientMetric::Label& label : first.label) {
      line += label.name.size() + label.value.size() + 4;
    }
    size_t lines = 1;
    if (family.type == MetricType::Summary) lines = 2 + first.summary.quantile.size();
    if (family.type == MetricType::Histogram) lines = 3 + first.histogram.bucket.size();
    size += family.metric.size() * lines * line;
  }
  return size;
}

}  // namespace

void AppendTextExposition(const std::vector<MetricFamily>& families, std::string& out) {
  out.reserve(out.size() + EstimatedSize(families));
  std::string scratch;
  for (const MetricFamily& family : families) AppendFamily(family, scratch, out);
}

std::string TextExposition(const std::vector<MetricFamily>& families) {
  std::string out;
  AppendTextExposition(families, out);
  return out;
}

std::string ConsumeTextExposition(std::vector<MetricFamily>& families) {
  std::string out;
  // Reserved, not touched: pages count only once written.
  out.reserve(EstimatedSize(families));
  std::string scratch;
  for (MetricFamily& family : families) {
    AppendFamily(family, scratch, out);
    std::vector<prometheus::ClientMetric>().swap(family.metric);
  }
  families.clear();
  return out;
}

}  // namespace strata
