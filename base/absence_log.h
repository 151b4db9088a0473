// Logs that a collector's input is absent once per absence, not once a scrape.
//
// A collector whose tool is not installed, or has not run yet, is quiet: one
// debug line when the input goes missing, and another only after the input
// has been present again in between. Not thread-safe: owned by one collector,
// which the scraper never runs twice at once.
#pragma once

#include <initializer_list>
#include <string>

#include "absl/strings/string_view.h"
#include "base/logging.h"

namespace strata {

class AbsenceLog {
 public:
  // `collector` becomes the line's collector field; `message` its msg.
  AbsenceLog(const Logger& logger, std::string collector, std::string message);

  // The input is absent: logs the message with `fields` at debug level, unless
  // it was logged since the input was last present.
  void Absent(std::initializer_list<LogField> fields);

  // The input is there; the next absence is logged again.
  void Present() { logged_ = false; }

 private:
  const Logger& logger_;
  const std::string collector_;
  const std::string message_;
  bool logged_ = false;
};

}  // namespace strata
