// One loaded --web.config.file: TLS material, basic auth, extra response
// headers and the rate limit, built from a WebConfig and swapped as a whole
// on SIGHUP. A WebSecurity is immutable once built (its rate limiter and
// credential cache lock internally); WebSecurityHolder hands out the current
// one. Both thread-safe.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "exporter/basic_auth.h"
#include "exporter/tls_material.h"
#include "exporter/web_config.h"

namespace strata {

// A token bucket as Go's rate.Limiter: `burst` tokens, one more every
// `interval`.
class RateLimiter {
 public:
  RateLimiter(absl::Duration interval, int64_t burst);
  // Takes a token if there is one.
  bool Allow(absl::Time now);

 private:
  const absl::Duration interval_;
  const double burst_;
  absl::Mutex mu_;
  double tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time last_ ABSL_GUARDED_BY(mu_);
};

struct WebSecurity {
  std::shared_ptr<const TlsMaterial> tls;    // null: plain HTTP
  std::unique_ptr<BasicAuthenticator> auth;  // null: no authentication
  std::vector<std::pair<std::string, std::string>> headers;
  std::unique_ptr<RateLimiter> rate_limiter;  // null: no limit
  // Warnings found while loading (an expired certificate), for the log.
  std::vector<std::string> warnings;
};

// Builds a WebSecurity from a parsed config (reads the TLS files it names).
absl::StatusOr<std::shared_ptr<const WebSecurity>> BuildWebSecurity(const WebConfig& config);

// Reads, parses and builds `path`. The error is one sentence naming the file
// and what is wrong with it.
absl::StatusOr<std::shared_ptr<const WebSecurity>> LoadWebSecurity(const std::string& path);

class WebSecurityHolder {
 public:
  explicit WebSecurityHolder(std::shared_ptr<const WebSecurity> initial)
      : current_(std::move(initial)) {}
  std::shared_ptr<const WebSecurity> Get() const {
    absl::MutexLock lock(&mu_);
    return current_;
  }
  void Set(std::shared_ptr<const WebSecurity> next) {
    absl::MutexLock lock(&mu_);
    current_ = std::move(next);
  }

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const WebSecurity> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strata
