// Metrics of the cfengine collector beyond the shared strata_convergence_*.
#pragma once

#include "base/metric_spec.h"

namespace strata::cfengine_metrics {

using prometheus::MetricType;

inline constexpr MetricSpec kPromisesRatio{
    "strata_cfengine_promises_ratio",
    MetricType::Gauge,
    "Share of the promises of CFEngine's last agent run by outcome (kept, repaired, not_kept), 0 "
    "to 1. cf-agent logs percentages rounded to 0.01 %, not counts; a dry run (--dry-run, "
    "action_policy warn) counts what it would repair as not kept.",
    {"outcome"},
    "promise_summary.log, last line"};

}  // namespace strata::cfengine_metrics
