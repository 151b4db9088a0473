#include "base/utf8.h"

#include <cstdint>
#include <utility>

namespace strata {
namespace {

constexpr char kReplacement[] = "\xef\xbf\xbd";

// Length of the well-formed sequence at the start of `text`, or 0 when it
// starts ill-formed; then `*bad` is the length of the maximal ill-formed
// subpart to replace (at least 1).
size_t WellFormedPrefix(absl::string_view text, size_t* bad) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length = 0;
  uint8_t low = 0x80;  // bounds of the second byte (Table 3-7)
  uint8_t high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;   // no overlong forms
    if (lead == 0xed) high = 0x9f;  // no surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;   // no overlong forms
    if (lead == 0xf4) high = 0x8f;  // nothing above U+10FFFF
  } else {
    *bad = 1;  // a continuation byte, C0, C1 or F5..FF
    return 0;
  }
  for (size_t i = 1; i < length; ++i) {
    const uint8_t lo = i == 1 ? low : 0x80;
    const uint8_t hi = i == 1 ? high : 0xbf;
    if (i >= text.size() || byte(i) < lo || byte(i) > hi) {
      *bad = i;  // the lead and the continuation bytes that fitted so far
      return 0;
    }
  }
  return length;
}

}  // namespace

bool IsValidUtf8(absl::string_view text) {
  size_t bad = 0;
  while (!text.empty()) {
    const size_t n = WellFormedPrefix(text, &bad);
    if (n == 0) return false;
    text.remove_prefix(n);
  }
  return true;
}

size_t MakeValidUtf8(std::string& text) {
  if (IsValidUtf8(text)) return 0;
  std::string out;
  out.reserve(text.size() + 8);
  size_t replaced = 0;
  absl::string_view rest = text;
  while (!rest.empty()) {
    size_t bad = 0;
    const size_t n = WellFormedPrefix(rest, &bad);
    if (n > 0) {
      out.append(rest.data(), n);
      rest.remove_prefix(n);
    } else {
      out += kReplacement;
      ++replaced;
      rest.remove_prefix(bad);
    }
  }
  text = std::move(out);
  return replaced;
}

size_t MakeFamiliesValidUtf8(std::vector<prometheus::MetricFamily>& families) {
  size_t replaced = 0;
  for (prometheus::MetricFamily& family : families) {
    replaced += MakeValidUtf8(family.name);
    replaced += MakeValidUtf8(family.help);
    for (prometheus::ClientMetric& metric : family.metric) {
      for (prometheus::ClientMetric::Label& label : metric.label) {
        replaced += MakeValidUtf8(label.name);
        replaced += MakeValidUtf8(label.value);
      }
    }
  }
  return replaced;
}

}  // namespace strata
