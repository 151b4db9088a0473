#include "exporter/web_config.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/bounded_yaml.h"
#include "yaml-cpp/yaml.h"

namespace strata {
namespace {

// About 5,000 users with their hashes; YAML::Load then takes under 10 MB.
constexpr int64_t kMaxWebConfigNodes = 20000;

// Go's tls.CipherSuites(), the only names exporter-toolkit accepts.
constexpr CipherSuiteInfo kCipherSuites[] = {
    {"TLS_RSA_WITH_AES_128_CBC_SHA", 0x002F, "RSA", "AES-128-CBC", "SHA1"},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", 0x0035, "RSA", "AES-256-CBC", "SHA1"},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009C, "RSA", "AES-128-GCM", "AEAD"},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", 0x009D, "RSA", "AES-256-GCM", "AEAD"},
    {"TLS_AES_128_GCM_SHA256", 0x1301, "", "AES-128-GCM", "AEAD"},
    {"TLS_AES_256_GCM_SHA384", 0x1302, "", "AES-256-GCM", "AEAD"},
    {"TLS_CHACHA20_POLY1305_SHA256", 0x1303, "", "CHACHA20-POLY1305", "AEAD"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xC009, "ECDHE-ECDSA", "AES-128-CBC", "SHA1"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 0xC00A, "ECDHE-ECDSA", "AES-256-CBC", "SHA1"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xC013, "ECDHE-RSA", "AES-128-CBC", "SHA1"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 0xC014, "ECDHE-RSA", "AES-256-CBC", "SHA1"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xC02B, "ECDHE-ECDSA", "AES-128-GCM", "AEAD"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xC02C, "ECDHE-ECDSA", "AES-256-GCM", "AEAD"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xC02F, "ECDHE-RSA", "AES-128-GCM", "AEAD"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0xC030, "ECDHE-RSA", "AES-256-GCM", "AEAD"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xCCA8, "ECDHE-RSA", "CHACHA20-POLY1305",
     "AEAD"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 0xCCA9, "ECDHE-ECDSA", "CHACHA20-POLY1305",
     "AEAD"},
};

constexpr std::pair<absl::string_view, const char*> kCurves[] = {
    {"CurveP256", "GROUP-SECP256R1"},
    {"CurveP384", "GROUP-SECP384R1"},
    {"CurveP521", "GROUP-SECP521R1"},
    {"X25519", "GROUP-X25519"},
};

// exporter-toolkit's extraHTTPHeaders: the headers a config may set, and the
// values allowed where the header is an enumeration.
const std::map<std::string, std::vector<std::string>>& AllowedHeaders() {
  static const auto* headers = new std::map<std::string, std::vector<std::string>>{
      {"Strict-Transport-Security", {}},
      {"X-Content-Type-Options", {"nosniff"}},
      {"X-Frame-Options", {"deny", "sameorigin"}},
      {"X-XSS-Protection", {}},
      {"Content-Security-Policy", {}},
  };
  return *headers;
}

// The value under `key`, or a null node when there is none (a const
// yaml-cpp lookup of a missing key yields a node that throws on use).
YAML::Node Get(const YAML::Node& map, const char* key) {
  YAML::Node value = map[key];
  return value.IsDefined() ? value : YAML::Node();
}

absl::Status Invalid(absl::string_view key, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(key, ": ", message));
}

// Fails on a key not in `known`, a repeated key, or a key that is not a scalar.
absl::Status CheckKeys(const YAML::Node& map, absl::string_view where,
                       std::initializer_list<absl::string_view> known) {
  std::set<std::string> seen;
  for (const auto& entry : map) {
    if (!entry.first.IsScalar()) return Invalid(where, "keys must be strings");
    const std::string key = entry.first.Scalar();
    if (!seen.insert(key).second) return Invalid(where, absl::StrCat("key \"", key, "\" repeated"));
    bool ok = false;
    for (absl::string_view k : known) ok = ok || k == key;
    if (!ok) {
      return Invalid(where, absl::StrCat("unknown key \"", key,
                                         "\" (known: ", absl::StrJoin(known, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadString(const YAML::Node& node, absl::string_view key, std::string& out) {
  if (node.IsNull()) return absl::OkStatus();
  if (!node.IsScalar()) return Invalid(key, "must be a string");
  out = node.Scalar();
  return absl::OkStatus();
}

absl::Status ReadBool(const YAML::Node& node, absl::string_view key, bool& out) {
  if (node.IsNull()) return absl::OkStatus();
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
    return Invalid(key, "must be true or false");
  }
  out = value;
  return absl::OkStatus();
}

absl::Status ReadStringList(const YAML::Node& node, absl::string_view key,
                            std::vector<std::string>& out) {
  if (node.IsNull()) return absl::OkStatus();
  if (!node.IsSequence()) return Invalid(key, "must be a list of strings");
  for (const auto& item : node) {
    if (!item.IsScalar()) return Invalid(key, "must be a list of strings");
    out.push_back(item.Scalar());
  }
  return absl::OkStatus();
}

absl::Status ReadMapOfStrings(const YAML::Node& node, absl::string_view key,
                              std::map<std::string, std::string>& out) {
  if (node.IsNull()) return absl::OkStatus();
  if (!node.IsMap()) return Invalid(key, "must be a map of strings");
  for (const auto& entry : node) {
    if (!entry.first.IsScalar() || !(entry.second.IsScalar() || entry.second.IsNull())) {
      return Invalid(key, "must be a map of strings");
    }
    const std::string name = entry.first.Scalar();
    if (!out.emplace(name, entry.second.IsNull() ? "" : entry.second.Scalar()).second) {
      return Invalid(key, absl::StrCat("\"", name, "\" repeated"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<TlsVersion> ParseTlsVersion(absl::string_view key, absl::string_view text) {
  if (text == "TLS10") return TlsVersion::kTls10;
  if (text == "TLS11") return TlsVersion::kTls11;
  if (text == "TLS12") return TlsVersion::kTls12;
  if (text == "TLS13") return TlsVersion::kTls13;
  return Invalid(
      key, absl::StrCat("unknown TLS version \"", text, "\" (known: TLS10, TLS11, TLS12, TLS13)"));
}

absl::StatusOr<ClientAuth> ParseClientAuth(absl::string_view text) {
  if (text.empty() || text == "NoClientCert") return ClientAuth::kNoClientCert;
  if (text == "RequestClientCert") return ClientAuth::kRequestClientCert;
  // RequireClientCert: exporter-toolkit keeps the old name working.
  if (text == "RequireAnyClientCert" || text == "RequireClientCert") {
    return ClientAuth::kRequireAnyClientCert;
  }
  if (text == "VerifyClientCertIfGiven") return ClientAuth::kVerifyClientCertIfGiven;
  if (text == "RequireAndVerifyClientCert") return ClientAuth::kRequireAndVerifyClientCert;
  return Invalid("tls_server_config.client_auth_type",
                 absl::StrCat("unknown value \"", text,
                              "\" (known: NoClientCert, RequestClientCert, RequireAnyClientCert, "
                              "VerifyClientCertIfGiven, RequireAndVerifyClientCert)"));
}

std::string InDir(absl::string_view base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return absl::StrCat(base_dir, "/", path);
}

// A bcrypt hash as Go's bcrypt.Cost accepts it: $2$, $2a$, $2b$, $2x$ or
// $2y$, a two-digit cost from 04 to 31, then 53 characters of salt and hash.
bool LooksLikeBcrypt(absl::string_view hash) {
  if (!absl::StartsWith(hash, "$2")) return false;
  absl::string_view rest = hash.substr(2);
  if (!rest.empty() && rest[0] != '$') {
    if (rest[0] != 'a' && rest[0] != 'b' && rest[0] != 'x' && rest[0] != 'y') return false;
    rest.remove_prefix(1);
  }
  if (rest.size() != 1 + 2 + 1 + 53 || rest[0] != '$' || rest[3] != '$') return false;
  if (!absl::ascii_isdigit(rest[1]) || !absl::ascii_isdigit(rest[2])) return false;
  const int cost = (rest[1] - '0') * 10 + (rest[2] - '0');
  if (cost < 4 || cost > 31) return false;
  for (char c : rest.substr(4)) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '/') return false;
  }
  return true;
}

absl::Status ParseTls(const YAML::Node& node, absl::string_view base_dir, WebConfig& config) {
  if (node.IsNull()) return absl::OkStatus();
  if (!node.IsMap()) return Invalid("tls_server_config", "must be a map");
  if (absl::Status s =
          CheckKeys(node, "tls_server_config",
                    {"cert", "key", "client_ca", "cert_file", "key_file", "client_auth_type",
                     "client_ca_file", "client_allowed_sans", "min_version", "max_version",
                     "cipher_suites", "prefer_server_cipher_suites", "curve_preferences"});
      !s.ok()) {
    return s;
  }
  TlsServerConfig& tls = config.tls;
  std::string client_auth, min_version, max_version;
  struct StringKey {
    const char* name;
    std::string* out;
  };
  for (const StringKey& k :
       {StringKey{"cert", &tls.cert}, StringKey{"key", &tls.key},
        StringKey{"client_ca", &tls.client_ca}, StringKey{"cert_file", &tls.cert_file},
        StringKey{"key_file", &tls.key_file}, StringKey{"client_ca_file", &tls.client_ca_file},
        StringKey{"client_auth_type", &client_auth}, StringKey{"min_version", &min_version},
        StringKey{"max_version", &max_version}}) {
    if (absl::Status s =
            ReadString(Get(node, k.name), absl::StrCat("tls_server_config.", k.name), *k.out);
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s =
          ReadStringList(Get(node, "client_allowed_sans"), "tls_server_config.client_allowed_sans",
                         tls.client_allowed_sans);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadStringList(Get(node, "cipher_suites"), "tls_server_config.cipher_suites",
                                      tls.cipher_suites);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadStringList(Get(node, "curve_preferences"),
                                      "tls_server_config.curve_preferences", tls.curve_preferences);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadBool(Get(node, "prefer_server_cipher_suites"),
                                "tls_server_config.prefer_server_cipher_suites",
                                tls.prefer_server_cipher_suites);
      !s.ok()) {
    return s;
  }

  absl::StatusOr<ClientAuth> auth = ParseClientAuth(client_auth);
  if (!auth.ok()) return auth.status();
  tls.client_auth = *auth;
  if (!min_version.empty()) {
    absl::StatusOr<TlsVersion> v = ParseTlsVersion("tls_server_config.min_version", min_version);
    if (!v.ok()) return v.status();
    tls.min_version = *v;
  }
  if (!max_version.empty()) {
    absl::StatusOr<TlsVersion> v = ParseTlsVersion("tls_server_config.max_version", max_version);
    if (!v.ok()) return v.status();
    tls.max_version = *v;
  }
  for (const std::string& name : tls.cipher_suites) {
    if (FindCipherSuite(name) == nullptr) {
      return Invalid("tls_server_config.cipher_suites",
                     absl::StrCat("unknown cipher suite \"", name,
                                  "\" (Go's names from tls.CipherSuites(), e.g. "
                                  "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)"));
    }
  }
  for (const std::string& name : tls.curve_preferences) {
    if (GnuTlsGroup(name) == nullptr) {
      return Invalid("tls_server_config.curve_preferences",
                     absl::StrCat("unknown curve \"", name,
                                  "\" (known: CurveP256, CurveP384, CurveP521, X25519)"));
    }
  }

  config.tls_enabled = !tls.cert.empty() || !tls.key.empty() || !tls.client_ca.empty() ||
                       !tls.cert_file.empty() || !tls.key_file.empty() ||
                       !tls.client_ca_file.empty() || !client_auth.empty();
  if (!config.tls_enabled) return absl::OkStatus();

  if (tls.cert.empty() && tls.cert_file.empty()) {
    return Invalid("tls_server_config", "missing one of cert or cert_file");
  }
  if (tls.key.empty() && tls.key_file.empty()) {
    return Invalid("tls_server_config", "missing one of key or key_file");
  }
  if (!tls.cert.empty() && !tls.cert_file.empty()) {
    return Invalid("tls_server_config", "give cert or cert_file, not both");
  }
  if (!tls.key.empty() && !tls.key_file.empty()) {
    return Invalid("tls_server_config", "give key or key_file, not both");
  }
  if (!tls.client_ca.empty() && !tls.client_ca_file.empty()) {
    return Invalid("tls_server_config", "give client_ca or client_ca_file, not both");
  }
  const bool has_ca = !tls.client_ca.empty() || !tls.client_ca_file.empty();
  if (has_ca && tls.client_auth == ClientAuth::kNoClientCert) {
    return Invalid("tls_server_config",
                   "client CA's have been configured without a client_auth_type");
  }
  const bool verifies = tls.client_auth == ClientAuth::kVerifyClientCertIfGiven ||
                        tls.client_auth == ClientAuth::kRequireAndVerifyClientCert;
  if (verifies && !has_ca) {
    // Go would verify against the system's roots; a scrape target should
    // trust only the CA it is told to.
    return Invalid("tls_server_config.client_auth_type",
                   "verifying client certificates needs client_ca_file or client_ca");
  }
  if (!tls.client_allowed_sans.empty() && tls.client_auth != ClientAuth::kRequireAnyClientCert &&
      tls.client_auth != ClientAuth::kRequireAndVerifyClientCert) {
    return Invalid("tls_server_config.client_allowed_sans",
                   "needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert");
  }
  if (static_cast<int>(tls.min_version) > static_cast<int>(tls.max_version)) {
    return Invalid("tls_server_config", "min_version is above max_version");
  }
  tls.cert_file = InDir(base_dir, tls.cert_file);
  tls.key_file = InDir(base_dir, tls.key_file);
  tls.client_ca_file = InDir(base_dir, tls.client_ca_file);
  return absl::OkStatus();
}

absl::Status ParseHttp(const YAML::Node& node, WebConfig& config) {
  if (node.IsNull()) return absl::OkStatus();
  if (!node.IsMap()) return Invalid("http_server_config", "must be a map");
  if (absl::Status s = CheckKeys(node, "http_server_config", {"http2", "headers"}); !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadBool(Get(node, "http2"), "http_server_config.http2", config.http2);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          ReadMapOfStrings(Get(node, "headers"), "http_server_config.headers", config.headers);
      !s.ok()) {
    return s;
  }
  for (const auto& [name, value] : config.headers) {
    auto allowed = AllowedHeaders().find(name);
    if (allowed == AllowedHeaders().end()) {
      return Invalid("http_server_config.headers",
                     absl::StrCat("HTTP header \"", name, "\" can not be configured"));
    }
    const std::vector<std::string>& values = allowed->second;
    if (!values.empty() && std::find(values.begin(), values.end(), value) == values.end()) {
      return Invalid("http_server_config.headers",
                     absl::StrCat("invalid value for ", name, ": expected one of ",
                                  absl::StrJoin(values, ", "), ", got \"", value, "\""));
    }
    for (char c : value) {
      if (c == '\r' || c == '\n' || c == '\0') {
        return Invalid("http_server_config.headers", absl::StrCat(name, " holds a line break"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ParseRateLimit(const YAML::Node& node, WebConfig& config) {
  if (node.IsNull()) return absl::OkStatus();
  if (!node.IsMap()) return Invalid("rate_limit", "must be a map");
  if (absl::Status s = CheckKeys(node, "rate_limit", {"interval", "burst"}); !s.ok()) return s;
  std::string interval, burst;
  if (absl::Status s = ReadString(Get(node, "interval"), "rate_limit.interval", interval);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadString(Get(node, "burst"), "rate_limit.burst", burst); !s.ok()) return s;
  if (!interval.empty() && (!absl::ParseDuration(interval, &config.rate_limit_interval) ||
                            config.rate_limit_interval < absl::ZeroDuration())) {
    return Invalid("rate_limit.interval",
                   absl::StrCat("\"", interval, "\" is not a duration such as 1s or 100ms"));
  }
  if (!burst.empty() &&
      (!absl::SimpleAtoi(burst, &config.rate_limit_burst) || config.rate_limit_burst < 0)) {
    return Invalid("rate_limit.burst", absl::StrCat("\"", burst, "\" is not a whole number"));
  }
  return absl::OkStatus();
}

}  // namespace

const CipherSuiteInfo* FindCipherSuite(absl::string_view go_name) {
  for (const CipherSuiteInfo& suite : kCipherSuites) {
    if (suite.go_name == go_name) return &suite;
  }
  return nullptr;
}

const char* GnuTlsGroup(absl::string_view go_name) {
  for (const auto& [name, group] : kCurves) {
    if (name == go_name) return group;
  }
  return nullptr;
}

absl::StatusOr<WebConfig> ParseWebConfig(absl::string_view yaml, absl::string_view base_dir) {
  WebConfig config;
  // A reload must not take the exporter down, whatever the file became.
  absl::StatusOr<YAML::Node> loaded = LoadBoundedYaml(yaml, kMaxWebConfigNodes);
  if (!loaded.ok()) return loaded.status();
  // yaml-cpp reports errors by exception; they end here.
  try {
    const YAML::Node& root = *loaded;
    if (root.IsNull()) return config;
    if (!root.IsMap()) return absl::InvalidArgumentError("the file must hold a YAML map");
    if (absl::Status s = CheckKeys(
            root, "web config",
            {"tls_server_config", "http_server_config", "basic_auth_users", "rate_limit"});
        !s.ok()) {
      return s;
    }
    if (absl::Status s = ParseTls(Get(root, "tls_server_config"), base_dir, config); !s.ok())
      return s;
    if (absl::Status s = ParseHttp(Get(root, "http_server_config"), config); !s.ok()) return s;
    if (absl::Status s = ParseRateLimit(Get(root, "rate_limit"), config); !s.ok()) return s;
    if (absl::Status s = ReadMapOfStrings(Get(root, "basic_auth_users"), "basic_auth_users",
                                          config.basic_auth_users);
        !s.ok()) {
      return s;
    }
    for (const auto& [user, hash] : config.basic_auth_users) {
      if (!LooksLikeBcrypt(hash)) {
        return Invalid(
            "basic_auth_users",
            absl::StrCat("the password of \"", user,
                         "\" is not a bcrypt hash (make one with htpasswd -nBC 10 \"\")"));
      }
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("not valid YAML: ", e.what()));
  }
  return config;
}

}  // namespace strata
