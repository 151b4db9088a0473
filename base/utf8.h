// Valid UTF-8 for the exposition. Prometheus refuses a whole scrape when one
// label value is not UTF-8, and host input (cgroup directory names, file
// contents) may hold any bytes, so every family passes through
// MakeFamiliesValidUtf8 before it is served.
//
// Validation follows the Unicode Standard's table of well-formed UTF-8 byte
// sequences (Table 3-7; RFC 3629): no overlong forms, no surrogates, nothing
// above U+10FFFF. Each maximal ill-formed subpart is replaced by one U+FFFD,
// as the standard recommends (and browsers and Python do). A small loop, not
// a library: Abseil 20220623 has no public validator, RE2 keeps its own
// internal, and ICU would be a large dependency for 40 lines. Pure functions;
// thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "prometheus/metric_family.h"

namespace strata {

// Whether `text` is well-formed UTF-8.
bool IsValidUtf8(absl::string_view text);

// Replaces each ill-formed subpart of `text` with U+FFFD (EF BF BD), in
// place; returns how many were replaced (0 leaves `text` untouched).
size_t MakeValidUtf8(std::string& text);

// MakeValidUtf8 over every family's name and HELP, and every label name and
// value of every sample; returns the total replaced.
size_t MakeFamiliesValidUtf8(std::vector<prometheus::MetricFamily>& families);

}  // namespace strata
