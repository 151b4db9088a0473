#include "exporter/tls_material.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <set>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace strata {
namespace {

constexpr size_t kMaxFileSize = 1 << 20;
constexpr unsigned kMaxChain = 16;

gnutls_datum_t Datum(const std::string& text) {
  return {reinterpret_cast<unsigned char*>(const_cast<char*>(text.data())),
          static_cast<unsigned int>(text.size())};
}

absl::Status GnuTlsError(absl::string_view what, int code) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", gnutls_strerror(code)));
}

const char* VersionKeyword(int version) {
  switch (version) {
    case 10:
      return "+VERS-TLS1.0";
    case 11:
      return "+VERS-TLS1.1";
    case 12:
      return "+VERS-TLS1.2";
    default:
      return "+VERS-TLS1.3";
  }
}

// PEM text given inline or read from the named file.
absl::StatusOr<std::string> Pem(const std::string& inline_text, const std::string& file) {
  if (!inline_text.empty()) return inline_text;
  return ReadSmallFile(file);
}

// The SANs of a certificate as Go's x509 package lists them: DNS names,
// e-mail addresses, IP addresses (text form) and URIs.
std::vector<std::string> SubjectAltNames(gnutls_x509_crt_t cert) {
  std::vector<std::string> names;
  for (unsigned i = 0;; ++i) {
    char buffer[1024];
    size_t size = sizeof(buffer);
    unsigned int critical = 0;
    int type = gnutls_x509_crt_get_subject_alt_name(cert, i, buffer, &size, &critical);
    if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) break;
    if (type < 0) continue;  // too long or malformed: cannot match
    switch (type) {
      case GNUTLS_SAN_DNSNAME:
      case GNUTLS_SAN_RFC822NAME:
      case GNUTLS_SAN_URI:
        names.emplace_back(buffer, size);
        break;
      case GNUTLS_SAN_IPADDRESS: {
        char text[INET6_ADDRSTRLEN];
        const int family = size == 4 ? AF_INET : size == 16 ? AF_INET6 : -1;
        if (family != -1 && inet_ntop(family, buffer, text, sizeof(text)) != nullptr) {
          names.emplace_back(text);
        }
        break;
      }
      default:
        break;
    }
  }
  return names;
}

}  // namespace

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return absl::NotFoundError(absl::StrCat(path, ": ", strerror(errno)));
  absl::Cleanup closer = [fd] { close(fd); };
  struct stat st;
  if (fstat(fd, &st) != 0) return absl::InternalError(absl::StrCat(path, ": ", strerror(errno)));
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  std::string text;
  char buffer[8192];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::InternalError(absl::StrCat(path, ": ", strerror(errno)));
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > kMaxFileSize) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": larger than 1 MiB"));
    }
  }
  return text;
}

std::string GnuTlsPriority(const TlsServerConfig& config) {
  // Go offers only forward-secret key exchanges by default: no static RSA,
  // and Go has no finite-field DHE at all.
  std::vector<std::string> parts = {"NORMAL", "-RSA", "-DHE-RSA", "-VERS-ALL"};
  for (int v = static_cast<int>(config.max_version); v >= static_cast<int>(config.min_version);
       --v) {
    parts.push_back(VersionKeyword(v));
  }
  if (config.prefer_server_cipher_suites) parts.push_back("%SERVER_PRECEDENCE");
  if (!config.cipher_suites.empty()) {
    std::vector<std::string> kx, ciphers, macs;
    auto add = [](std::vector<std::string>& list, absl::string_view keyword) {
      if (keyword.empty()) return;
      std::string token = absl::StrCat("+", keyword);
      if (std::find(list.begin(), list.end(), token) == list.end()) list.push_back(token);
    };
    for (const std::string& name : config.cipher_suites) {
      const CipherSuiteInfo* suite = FindCipherSuite(name);
      if (suite == nullptr) continue;  // ParseWebConfig refused it already
      add(kx, suite->gnutls_kx);
      add(ciphers, suite->gnutls_cipher);
      add(macs, suite->gnutls_mac);
    }
    parts.push_back("-KX-ALL");
    parts.insert(parts.end(), kx.begin(), kx.end());
    parts.push_back("-CIPHER-ALL");
    parts.insert(parts.end(), ciphers.begin(), ciphers.end());
    parts.push_back("-MAC-ALL");
    parts.insert(parts.end(), macs.begin(), macs.end());
  }
  if (!config.curve_preferences.empty()) {
    parts.push_back("-GROUP-ALL");
    for (const std::string& name : config.curve_preferences) {
      if (const char* group = GnuTlsGroup(name)) parts.push_back(absl::StrCat("+", group));
    }
  }
  return absl::StrJoin(parts, ":");
}

absl::StatusOr<std::shared_ptr<const TlsMaterial>> TlsMaterial::Load(const TlsServerConfig& config,
                                                                     std::string* warning) {
  std::shared_ptr<TlsMaterial> material(new TlsMaterial());
  material->client_auth_ = config.client_auth;
  material->allowed_sans_ = config.client_allowed_sans;
  const std::string cert_name = config.cert_file.empty() ? "cert" : config.cert_file;
  const std::string key_name = config.key_file.empty() ? "key" : config.key_file;

  absl::StatusOr<std::string> cert_pem = Pem(config.cert, config.cert_file);
  if (!cert_pem.ok()) return cert_pem.status();
  absl::StatusOr<std::string> key_pem = Pem(config.key, config.key_file);
  if (!key_pem.ok()) return key_pem.status();
  const gnutls_datum_t cert_datum = Datum(*cert_pem);
  const gnutls_datum_t key_datum = Datum(*key_pem);

  // GnuTLS's own pairing check: the credentials refuse a key that does not
  // belong to the certificate.
  {
    gnutls_certificate_credentials_t check;
    gnutls_certificate_allocate_credentials(&check);
    const int rc = gnutls_certificate_set_x509_key_mem2(check, &cert_datum, &key_datum,
                                                        GNUTLS_X509_FMT_PEM, nullptr, 0);
    gnutls_certificate_free_credentials(check);
    if (rc == GNUTLS_E_CERTIFICATE_KEY_MISMATCH) {
      return absl::InvalidArgumentError(
          absl::StrCat(key_name, " does not match the certificate in ", cert_name));
    }
    if (rc < 0) return GnuTlsError(absl::StrCat(cert_name, " and ", key_name), rc);
  }

  material->chain_.resize(kMaxChain);
  unsigned int count = kMaxChain;
  int rc = gnutls_pcert_list_import_x509_raw(material->chain_.data(), &count, &cert_datum,
                                             GNUTLS_X509_FMT_PEM, 0);
  if (rc < 0) {
    material->chain_.clear();
    return GnuTlsError(cert_name, rc);
  }
  material->chain_.resize(count);
  gnutls_privkey_init(&material->key_);
  rc = gnutls_privkey_import_x509_raw(material->key_, &key_datum, GNUTLS_X509_FMT_PEM, nullptr, 0);
  if (rc < 0) return GnuTlsError(key_name, rc);

  if (warning != nullptr && count > 0) {
    gnutls_x509_crt_t leaf;
    gnutls_x509_crt_init(&leaf);
    if (gnutls_x509_crt_import(leaf, &material->chain_[0].cert, GNUTLS_X509_FMT_DER) >= 0) {
      const time_t now = time(nullptr);
      if (gnutls_x509_crt_get_expiration_time(leaf) < now) {
        *warning = absl::StrCat("the certificate in ", cert_name, " has expired");
      } else if (gnutls_x509_crt_get_activation_time(leaf) > now) {
        *warning = absl::StrCat("the certificate in ", cert_name, " is not valid yet");
      }
    }
    gnutls_x509_crt_deinit(leaf);
  }

  if (!config.client_ca.empty() || !config.client_ca_file.empty()) {
    const std::string ca_name = config.client_ca_file.empty() ? "client_ca" : config.client_ca_file;
    absl::StatusOr<std::string> ca_pem = Pem(config.client_ca, config.client_ca_file);
    if (!ca_pem.ok()) return ca_pem.status();
    gnutls_x509_trust_list_init(&material->trust_, 0);
    const gnutls_datum_t ca_datum = Datum(*ca_pem);
    rc = gnutls_x509_trust_list_add_trust_mem(material->trust_, &ca_datum, nullptr,
                                              GNUTLS_X509_FMT_PEM, 0, 0);
    if (rc < 0) return GnuTlsError(ca_name, rc);
    if (rc == 0) return absl::InvalidArgumentError(absl::StrCat(ca_name, ": no certificates"));
  }

  material->priority_text_ = GnuTlsPriority(config);
  const char* error_at = nullptr;
  rc = gnutls_priority_init(&material->priority_, material->priority_text_.c_str(), &error_at);
  if (rc < 0) {
    material->priority_ = nullptr;
    return absl::InvalidArgumentError(absl::StrCat(
        "tls_server_config: GnuTLS refuses the priority string \"", material->priority_text_,
        "\" at \"", error_at != nullptr ? error_at : "", "\": ", gnutls_strerror(rc)));
  }

  if (!config.cipher_suites.empty()) {
    // GnuTLS enables the cross product of the key exchanges, ciphers and MACs
    // named; refuse a list whose product holds suites the list does not.
    std::set<uint16_t> wanted;
    for (const std::string& name : config.cipher_suites) {
      if (const CipherSuiteInfo* suite = FindCipherSuite(name)) wanted.insert(suite->iana_id);
    }
    std::vector<std::string> extra;
    for (unsigned idx = 0;; ++idx) {
      unsigned int sidx = 0;
      rc = gnutls_priority_get_cipher_suite_index(material->priority_, idx, &sidx);
      if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) break;
      if (rc < 0) continue;
      unsigned char id[2];
      const char* name = gnutls_cipher_suite_info(sidx, id, nullptr, nullptr, nullptr, nullptr);
      const uint16_t iana = static_cast<uint16_t>(id[0] << 8 | id[1]);
      if (id[0] == 0x13) continue;  // TLS 1.3 suites: see docs/web-config.md
      if (wanted.count(iana) == 0) {
        extra.push_back(absl::StrFormat("%s (0x%04X)", name != nullptr ? name : "?", iana));
      }
    }
    if (!extra.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tls_server_config.cipher_suites: GnuTLS cannot enable exactly this list; it "
          "would also enable ",
          absl::StrJoin(extra, ", "),
          " (GnuTLS picks key exchanges, ciphers and MACs separately: list every "
          "combination, or fewer)"));
    }
  }
  return std::shared_ptr<const TlsMaterial>(std::move(material));
}

TlsMaterial::~TlsMaterial() {
  for (gnutls_pcert_st& cert : chain_) gnutls_pcert_deinit(&cert);
  if (key_ != nullptr) gnutls_privkey_deinit(key_);
  if (trust_ != nullptr) gnutls_x509_trust_list_deinit(trust_, 1);
  if (priority_ != nullptr) gnutls_priority_deinit(priority_);
}

absl::Status TlsMaterial::Apply(gnutls_session_t session,
                                gnutls_certificate_verify_function* verify) const {
  int rc = gnutls_priority_set(session, priority_);
  if (rc < 0) return GnuTlsError("setting TLS priorities", rc);
  switch (client_auth_) {
    case ClientAuth::kNoClientCert:
      gnutls_certificate_server_set_request(session, GNUTLS_CERT_IGNORE);
      return absl::OkStatus();
    case ClientAuth::kRequestClientCert:
    case ClientAuth::kVerifyClientCertIfGiven:
      gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUEST);
      break;
    case ClientAuth::kRequireAnyClientCert:
    case ClientAuth::kRequireAndVerifyClientCert:
      gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
      break;
  }
  gnutls_session_set_verify_function(session, verify);
  return absl::OkStatus();
}

void TlsMaterial::Certificate(gnutls_pcert_st** pcert, unsigned int* pcert_length,
                              gnutls_privkey_t* key) const {
  *pcert = const_cast<gnutls_pcert_st*>(chain_.data());
  *pcert_length = static_cast<unsigned int>(chain_.size());
  *key = key_;
}

int TlsMaterial::Verify(gnutls_session_t session) const {
  const bool required = client_auth_ == ClientAuth::kRequireAnyClientCert ||
                        client_auth_ == ClientAuth::kRequireAndVerifyClientCert;
  const bool verified = client_auth_ == ClientAuth::kVerifyClientCertIfGiven ||
                        client_auth_ == ClientAuth::kRequireAndVerifyClientCert;
  unsigned int count = 0;
  const gnutls_datum_t* peers = gnutls_certificate_get_peers(session, &count);
  if (peers == nullptr || count == 0) {
    return required ? GNUTLS_E_NO_CERTIFICATE_FOUND : 0;
  }
  if (count > kMaxChain) return GNUTLS_E_CERTIFICATE_ERROR;
  std::vector<gnutls_x509_crt_t> chain(count, nullptr);
  absl::Cleanup free_chain = [&chain] {
    for (gnutls_x509_crt_t crt : chain) {
      if (crt != nullptr) gnutls_x509_crt_deinit(crt);
    }
  };
  for (unsigned i = 0; i < count; ++i) {
    gnutls_x509_crt_init(&chain[i]);
    if (gnutls_x509_crt_import(chain[i], &peers[i], GNUTLS_X509_FMT_DER) < 0) {
      return GNUTLS_E_CERTIFICATE_ERROR;
    }
  }
  if (verified) {
    if (trust_ == nullptr) return GNUTLS_E_CERTIFICATE_ERROR;
    // As Go: the chain must lead to the client CA, be valid now, and be meant
    // for client authentication when it says what it is meant for.
    gnutls_typed_vdata_st purpose{};
    purpose.type = GNUTLS_DT_KEY_PURPOSE_OID;
    purpose.data = reinterpret_cast<unsigned char*>(const_cast<char*>(GNUTLS_KP_TLS_WWW_CLIENT));
    unsigned int status = 0;
    const int rc = gnutls_x509_trust_list_verify_crt2(trust_, chain.data(), count, &purpose, 1, 0,
                                                      &status, nullptr);
    if (rc < 0 || status != 0) return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
  }
  if (!allowed_sans_.empty()) {
    for (const std::string& name : SubjectAltNames(chain[0])) {
      if (std::find(allowed_sans_.begin(), allowed_sans_.end(), name) != allowed_sans_.end()) {
        return 0;
      }
    }
    return GNUTLS_E_CERTIFICATE_ERROR;
  }
  return 0;
}

}  // namespace strata
