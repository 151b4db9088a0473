// --web.config.file: the exporter-toolkit web configuration (TLS, client
// certificates, basic auth, response headers, rate limit), so a file written
// for node_exporter works unchanged. This file only parses and checks the
// YAML; web_security.h turns the result into TLS material and an
// authenticator. Pure functions, thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace strata {

// exporter-toolkit's client_auth_type values, as Go's tls.ClientAuthType.
enum class ClientAuth {
  kNoClientCert,
  kRequestClientCert,
  kRequireAnyClientCert,
  kVerifyClientCertIfGiven,
  kRequireAndVerifyClientCert,
};

// TLS protocol versions as exporter-toolkit spells them (TLS10 ... TLS13).
enum class TlsVersion { kTls10 = 10, kTls11 = 11, kTls12 = 12, kTls13 = 13 };

struct TlsServerConfig {
  // PEM text given inline (cert, key, client_ca) or the file names (cert_file,
  // key_file, client_ca_file), made absolute against the config file's folder.
  std::string cert;
  std::string key;
  std::string client_ca;
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  std::vector<std::string> client_allowed_sans;
  TlsVersion min_version = TlsVersion::kTls12;
  TlsVersion max_version = TlsVersion::kTls13;
  std::vector<std::string> cipher_suites;  // Go's names, in order
  bool prefer_server_cipher_suites = true;
  std::vector<std::string> curve_preferences;  // Go's names, in order
};

struct WebConfig {
  // TLS is on when tls_server_config names anything (as exporter-toolkit's
  // TLSConfig.IsEnabled); then cert and key are required.
  bool tls_enabled = false;
  TlsServerConfig tls;
  // http_server_config.http2: accepted for compatibility; only HTTP/1.1 is served.
  bool http2 = true;
  std::map<std::string, std::string> headers;
  // User name -> bcrypt hash. Empty: no authentication.
  std::map<std::string, std::string> basic_auth_users;
  // rate_limit: one request per `rate_limit_interval` with bursts of
  // `rate_limit_burst`; a zero interval turns it off.
  absl::Duration rate_limit_interval = absl::ZeroDuration();
  int64_t rate_limit_burst = 0;
};

// Parses the YAML text of a web config file strictly, as exporter-toolkit
// does: unknown or repeated keys, wrong types, unknown enumeration values
// (client_auth_type, TLS versions, cipher suites, curves), headers outside
// exporter-toolkit's allowed set and password hashes that are not bcrypt are
// errors. Relative file names are taken against `base_dir`. Returns
// InvalidArgument with a message naming the key.
absl::StatusOr<WebConfig> ParseWebConfig(absl::string_view yaml, absl::string_view base_dir);

// A cipher suite exporter-toolkit accepts (Go's tls.CipherSuites()), with its
// IANA number and the GnuTLS priority keywords that enable it. TLS 1.3 suites
// have no key exchange keyword.
struct CipherSuiteInfo {
  absl::string_view go_name;
  uint16_t iana_id;
  absl::string_view gnutls_kx;
  absl::string_view gnutls_cipher;
  absl::string_view gnutls_mac;
};

// The suite Go calls `go_name`, or null.
const CipherSuiteInfo* FindCipherSuite(absl::string_view go_name);

// The GnuTLS group keyword for a Go curve name (CurveP256 ... X25519), or null.
const char* GnuTlsGroup(absl::string_view go_name);

}  // namespace strata
