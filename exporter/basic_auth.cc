#include "exporter/basic_auth.h"

#include <crypt.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace strata {
namespace {

// Checked for user names that do not exist, so that a wrong name costs as
// long as a wrong password and names cannot be found by timing.
constexpr char kDecoyHash[] = "$2y$10$wipWL5fITUHOfo01jdzfxunenAtb3DNVlL7YnJzhNRtKfPAudbHsS";

}  // namespace

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  volatile unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = diff | static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

bool ParseBasicAuthorization(absl::string_view header, std::string& user, std::string& password) {
  header = absl::StripAsciiWhitespace(header);
  constexpr absl::string_view kScheme = "basic ";
  if (header.size() < kScheme.size() ||
      !absl::EqualsIgnoreCase(header.substr(0, kScheme.size()), kScheme)) {
    return false;
  }
  std::string decoded;
  if (!absl::Base64Unescape(absl::StripLeadingAsciiWhitespace(header.substr(kScheme.size())),
                            &decoded)) {
    return false;
  }
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  user = decoded.substr(0, colon);
  password = decoded.substr(colon + 1);
  return true;
}

size_t BasicAuthenticator::DigestHash::operator()(const Digest& d) const {
  size_t h;
  std::memcpy(&h, d.data(), sizeof(h));
  return h;
}

void BasicAuthenticator::Cache::Add(const Digest& key) {
  if (!keys.insert(key).second) return;
  order.push_back(key);
  if (order.size() > kCacheSize) {
    keys.erase(order.front());
    order.pop_front();
  }
}

absl::StatusOr<std::unique_ptr<BasicAuthenticator>> BasicAuthenticator::Create(
    std::map<std::string, std::string> users) {
  for (const auto& [user, hash] : users) {
    if (crypt_checksalt(hash.c_str()) != CRYPT_SALT_OK) {
      return absl::InvalidArgumentError(absl::StrCat(
          "basic_auth_users: libxcrypt cannot check the bcrypt hash of \"", user, "\""));
    }
  }
  return std::unique_ptr<BasicAuthenticator>(new BasicAuthenticator(std::move(users)));
}

bool BasicAuthenticator::Bcrypt(const std::string& password, const std::string& hash) {
  // crypt takes a C string; a password with a NUL in it can never match.
  if (password.find('\0') != std::string::npos) return false;
  auto data = std::make_unique<crypt_data>();  // 32 KiB: not on the stack
  const char* out = crypt_rn(password.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  const bool match = out != nullptr && out[0] != '*' && ConstantTimeEquals(out, hash);
  explicit_bzero(data.get(), sizeof(crypt_data));
  return match;
}

bool BasicAuthenticator::Allows(absl::string_view authorization_header) const {
  if (users_.empty()) return true;
  std::string user, password;
  if (!ParseBasicAuthorization(authorization_header, user, password)) return false;
  auto it = users_.find(user);
  const bool known = it != users_.end();
  const std::string& hash = known ? it->second : std::string(kDecoyHash);

  // The cache holds a digest of the credentials, never the password itself.
  const std::string material =
      absl::StrCat(user.size(), ":", user, hash.size(), ":", hash, password);
  Digest key;
  gnutls_hash_fast(GNUTLS_DIG_SHA256, material.data(), material.size(), key.data());
  {
    absl::MutexLock lock(&cache_mu_);
    if (right_.keys.contains(key)) return known;
    if (wrong_.keys.contains(key)) return false;
  }
  bool ok;
  {
    absl::MutexLock lock(&bcrypt_mu_);
    ok = Bcrypt(password, hash) && known;
  }
  absl::MutexLock lock(&cache_mu_);
  (ok ? right_ : wrong_).Add(key);
  return ok;
}

}  // namespace strata
