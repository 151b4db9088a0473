#include "exporter/web_security.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace strata {

RateLimiter::RateLimiter(absl::Duration interval, int64_t burst)
    : interval_(interval),
      burst_(static_cast<double>(burst)),
      tokens_(static_cast<double>(burst)),
      last_(absl::Now()) {}

bool RateLimiter::Allow(absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (now > last_) {
    tokens_ = std::min(burst_, tokens_ + absl::FDivDuration(now - last_, interval_));
    last_ = now;
  }
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

absl::StatusOr<std::shared_ptr<const WebSecurity>> BuildWebSecurity(const WebConfig& config) {
  auto security = std::make_shared<WebSecurity>();
  if (config.tls_enabled) {
    std::string warning;
    absl::StatusOr<std::shared_ptr<const TlsMaterial>> tls =
        TlsMaterial::Load(config.tls, &warning);
    if (!tls.ok()) return tls.status();
    security->tls = *std::move(tls);
    if (!warning.empty()) security->warnings.push_back(warning);
  }
  if (!config.basic_auth_users.empty()) {
    absl::StatusOr<std::unique_ptr<BasicAuthenticator>> auth =
        BasicAuthenticator::Create(config.basic_auth_users);
    if (!auth.ok()) return auth.status();
    security->auth = *std::move(auth);
  }
  for (const auto& [name, value] : config.headers) {
    if (!value.empty()) security->headers.emplace_back(name, value);  // blank: unset
  }
  if (config.rate_limit_interval > absl::ZeroDuration()) {
    security->rate_limiter =
        std::make_unique<RateLimiter>(config.rate_limit_interval, config.rate_limit_burst);
  }
  return std::shared_ptr<const WebSecurity>(std::move(security));
}

absl::StatusOr<std::shared_ptr<const WebSecurity>> LoadWebSecurity(const std::string& path) {
  absl::StatusOr<std::string> text = ReadSmallFile(path);
  if (!text.ok()) return text.status();
  const size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : path.substr(0, std::max<size_t>(slash, 1));
  absl::StatusOr<WebConfig> config = ParseWebConfig(*text, dir);
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat(path, ": ", config.status().message()));
  }
  absl::StatusOr<std::shared_ptr<const WebSecurity>> security = BuildWebSecurity(*config);
  if (!security.ok()) {
    return absl::Status(security.status().code(),
                        absl::StrCat(path, ": ", security.status().message()));
  }
  return security;
}

}  // namespace strata
