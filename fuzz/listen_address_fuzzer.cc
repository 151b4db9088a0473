// --web.listen-address (listen_address.h): "HOST:PORT", ":PORT", "[v6]:PORT".
#include "absl/strings/str_cat.h"
#include "exporter/listen_address.h"
#include "fuzz/fuzz_support.h"

namespace strata::fuzz {

void FuzzOne(absl::string_view input) {
  absl::StatusOr<ListenAddress> address = ParseListenAddress(input);
  if (!address.ok()) return;
  // What was parsed, written back, parses to the same address.
  const std::string text = address->host.find(':') != std::string::npos
                               ? absl::StrCat("[", address->host, "]:", address->port)
                               : absl::StrCat(address->host, ":", address->port);
  absl::StatusOr<ListenAddress> again = ParseListenAddress(text);
  STRATA_FUZZ_CHECK(again.ok());
  STRATA_FUZZ_CHECK(again->host == address->host && again->port == address->port);
}

}  // namespace strata::fuzz
