// A command-line flag taking a Go-style duration ("10s", "500ms", "5m"), as
// node_exporter's flags do. Header-only: CLI11 is, and base stays free of it
// at link time.
#pragma once

#include <string>

#include "CLI/CLI.hpp"
#include "absl/time/time.h"

namespace strata {

enum class DurationFloor {
  kPositive,    // 0s is refused: a timeout
  kZeroOrMore,  // 0s is allowed: an interval, where 0s means every scrape
};

// Adds `name` to `app`, parsing into `target`; a text that is not a duration
// above the floor is a CLI::ValidationError naming the flag. The caller sets
// the default text shown in --help.
inline CLI::Option* AddDurationFlag(CLI::App& app, const std::string& name, absl::Duration& target,
                                    const std::string& help, DurationFloor floor) {
  return app.add_option_function<std::string>(
      name,
      [&target, name, floor](const std::string& text) {
        absl::Duration parsed;
        const bool ok = absl::ParseDuration(text, &parsed) &&
                        (floor == DurationFloor::kPositive ? parsed > absl::ZeroDuration()
                                                           : parsed >= absl::ZeroDuration());
        if (!ok) {
          throw CLI::ValidationError(name,
                                     "\"" + text +
                                         (floor == DurationFloor::kPositive
                                              ? "\" is not a positive duration such as 10s or 500ms"
                                              : "\" is not a duration of 0s or more"));
        }
        target = parsed;
      },
      help);
}

}  // namespace strata
