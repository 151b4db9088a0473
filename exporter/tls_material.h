// The GnuTLS side of tls_server_config: the server's certificate chain and
// key, the client CA list, the priority string mapped from exporter-toolkit's
// versions, cipher suites and curves, and the client-certificate policy.
// Loaded once per (re)load and applied to each TLS session when its
// connection starts, so a reload changes new handshakes only and a
// connection keeps what it started with. Immutable after Load; thread-safe.
#pragma once

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "exporter/web_config.h"

namespace strata {

// The GnuTLS priority string for the config's versions, cipher suites,
// server preference and curves. Pure; GnuTLS checks it in TlsMaterial::Load.
std::string GnuTlsPriority(const TlsServerConfig& config);

class TlsMaterial {
 public:
  // Reads the certificate, key and CA (files or inline PEM) and builds the
  // GnuTLS objects. Fails with a message naming the file and the cause: an
  // unreadable file, no certificate, a key that does not match the
  // certificate, a CA file without certificates, or cipher suites GnuTLS
  // cannot enable exactly (it chooses key exchange, cipher and MAC
  // separately, so some lists would also enable suites not listed).
  // `warning` is set when the certificate is expired or not yet valid
  // (exporter-toolkit serves it anyway; clients will refuse it).
  static absl::StatusOr<std::shared_ptr<const TlsMaterial>> Load(const TlsServerConfig& config,
                                                                 std::string* warning);
  ~TlsMaterial();
  TlsMaterial(const TlsMaterial&) = delete;
  TlsMaterial& operator=(const TlsMaterial&) = delete;

  // Sets the session's priorities and client-certificate policy, with
  // `verify` (which should end in Verify) as the session's check of the
  // client's certificate. The session then calls back for its certificate
  // (Certificate). The material must outlive the session.
  absl::Status Apply(gnutls_session_t session, gnutls_certificate_verify_function* verify) const;

  // What GnuTLS's certificate retrieval callback returns for this material.
  void Certificate(gnutls_pcert_st** pcert, unsigned int* pcert_length,
                   gnutls_privkey_t* key) const;
  // The client certificate check for a finished exchange of certificates:
  // present when required, chained to the client CA when verified, and
  // carrying an allowed SAN when client_allowed_sans is set. 0 or a GnuTLS
  // error code, as a gnutls_certificate_verify_function returns.
  int Verify(gnutls_session_t session) const;

  const std::string& priority() const { return priority_text_; }

 private:
  TlsMaterial() = default;

  std::vector<gnutls_pcert_st> chain_;
  gnutls_privkey_t key_ = nullptr;
  gnutls_x509_trust_list_t trust_ = nullptr;
  gnutls_priority_t priority_ = nullptr;
  std::string priority_text_;
  ClientAuth client_auth_ = ClientAuth::kNoClientCert;
  std::vector<std::string> allowed_sans_;
};

// Reads a whole small file (certificates, keys, the web config), refusing
// anything but a regular file and anything over 1 MiB; the error names it.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path);

}  // namespace strata
