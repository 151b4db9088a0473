// --web.config.file (web_config.h): the exporter-toolkit YAML. The file is
// root's, but a broken one read on SIGHUP must leave the exporter serving
// with its last good config, so nothing in it may crash the parser or make it
// take unbounded memory.
#include <string>

#include "absl/strings/match.h"
#include "exporter/web_config.h"
#include "fuzz/fuzz_support.h"

namespace strata::fuzz {

void FuzzOne(absl::string_view input) {
  absl::StatusOr<WebConfig> config = ParseWebConfig(input, "/etc/strata");
  if (!config.ok()) {
    STRATA_FUZZ_CHECK(absl::IsInvalidArgument(config.status()));
    return;
  }
  const TlsServerConfig& tls = config->tls;
  if (config->tls_enabled) {
    STRATA_FUZZ_CHECK(!tls.cert.empty() || !tls.cert_file.empty());
    STRATA_FUZZ_CHECK(!tls.key.empty() || !tls.key_file.empty());
  }
  // File names are made absolute against the config's folder.
  for (const std::string* file : {&tls.cert_file, &tls.key_file, &tls.client_ca_file}) {
    STRATA_FUZZ_CHECK(file->empty() || (*file)[0] == '/');
  }
  STRATA_FUZZ_CHECK(tls.min_version <= tls.max_version);
  for (const std::string& suite : tls.cipher_suites) {
    STRATA_FUZZ_CHECK(FindCipherSuite(suite) != nullptr);
  }
  for (const std::string& curve : tls.curve_preferences) {
    STRATA_FUZZ_CHECK(GnuTlsGroup(curve) != nullptr);
  }
  // What reaches a response header can not split it.
  for (const auto& [name, value] : config->headers) {
    STRATA_FUZZ_CHECK(!name.empty());
    STRATA_FUZZ_CHECK(value.find_first_of(std::string("\r\n\0", 3)) == std::string::npos);
  }
  for (const auto& [user, hash] : config->basic_auth_users) {
    STRATA_FUZZ_CHECK(absl::StartsWith(hash, "$2"));
  }
  STRATA_FUZZ_CHECK(config->rate_limit_interval >= absl::ZeroDuration());
  STRATA_FUZZ_CHECK(config->rate_limit_burst >= 0);
}

}  // namespace strata::fuzz
