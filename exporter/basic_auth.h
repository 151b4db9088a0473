// HTTP basic authentication against bcrypt hashes, as exporter-toolkit's
// basic_auth_users: hashes are checked with libxcrypt, compared in constant
// time, and outcomes are cached (bounded) so bcrypt's deliberate cost is paid
// once per credential, not on every scrape. Thread-safe.
#pragma once

#include <array>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace strata {

// Whether `a` and `b` are equal, in time that depends only on their lengths.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

// User name and password from an Authorization header ("Basic base64");
// false when the header is absent or not basic credentials.
bool ParseBasicAuthorization(absl::string_view header, std::string& user, std::string& password);

class BasicAuthenticator {
 public:
  // `users` maps names to bcrypt hashes. Fails, naming the user, when
  // libxcrypt cannot use a hash.
  static absl::StatusOr<std::unique_ptr<BasicAuthenticator>> Create(
      std::map<std::string, std::string> users);

  // Whether any user is configured; if not, every request is allowed.
  bool enabled() const { return !users_.empty(); }

  // Whether the Authorization header carries the right password of a
  // configured user.
  bool Allows(absl::string_view authorization_header) const;

  // Entries kept in each of the two caches (credentials found right, found
  // wrong); wrong guesses cannot push out right ones.
  static constexpr size_t kCacheSize = 100;

 private:
  using Digest = std::array<unsigned char, 32>;
  struct DigestHash {
    size_t operator()(const Digest& d) const;
  };
  struct Cache {
    absl::flat_hash_set<Digest, DigestHash> keys;
    std::deque<Digest> order;  // oldest first
    void Add(const Digest& key);
  };

  explicit BasicAuthenticator(std::map<std::string, std::string> users)
      : users_(std::move(users)) {}
  // bcrypt of `password` with `hash`'s salt and cost, compared with `hash`.
  static bool Bcrypt(const std::string& password, const std::string& hash);

  const std::map<std::string, std::string> users_;
  mutable absl::Mutex cache_mu_;
  mutable Cache right_ ABSL_GUARDED_BY(cache_mu_);
  mutable Cache wrong_ ABSL_GUARDED_BY(cache_mu_);
  // One bcrypt at a time: it is CPU-bound by design (exporter-toolkit does the same).
  mutable absl::Mutex bcrypt_mu_;
};

}  // namespace strata
