// Writes metric families in the Prometheus text format (version 0.0.4), byte
// for byte as prometheus-cpp 1.0.1's TextSerializer writes them, but by appending
// to one string instead of going through std::ostream: the same exposition of
// 1,000 cgroups for a nineteenth of the CPU (bench/serialize_bench.cc).
//
// Byte-identical means TextSerializer's quirks too, which
// tests/unit/text_writer_test.cc checks on every golden exposition and on a
// table of hostile values: doubles as printf's "%.16g" (so a value that needs
// 17 significant digits is rounded to 16, and -0.0 is "-0"), NaN as "Nan",
// infinities as "+Inf"/"-Inf", label values escaping only backslash, newline
// and double quote, HELP text and names written as they are, a timestamp only
// when it is not 0, and a histogram's "+Inf" bucket added when the last bound
// is not +Inf. Stateless and thread-safe.
#pragma once

#include <string>
#include <vector>

#include "prometheus/metric_family.h"

namespace strata {

// Appends the text exposition of `families`, in their order, to `out`.
void AppendTextExposition(const std::vector<prometheus::MetricFamily>& families, std::string& out);

// The text exposition of `families`, in their order.
std::string TextExposition(const std::vector<prometheus::MetricFamily>& families);

// As TextExposition, freeing each family's samples once it is written and
// leaving `families` empty: the model and its text are never both whole in
// memory, which at 1,000 cgroups lowers a scrape's peak by the smaller of the two.
std::string ConsumeTextExposition(std::vector<prometheus::MetricFamily>& families);

}  // namespace strata
