#include "base/absence_log.h"

#include <utility>
#include <vector>

namespace strata {

AbsenceLog::AbsenceLog(const Logger& logger, std::string collector, std::string message)
    : logger_(logger), collector_(std::move(collector)), message_(std::move(message)) {}

void AbsenceLog::Absent(std::initializer_list<LogField> fields) {
  if (logged_) return;
  logged_ = true;
  if (!logger_.Enabled(LogLevel::kDebug)) return;
  std::vector<LogField> all = {{"collector", collector_}};
  all.insert(all.end(), fields.begin(), fields.end());
  logger_.Log(LogLevel::kDebug, message_, absl::MakeConstSpan(all));
}

}  // namespace strata
