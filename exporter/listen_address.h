// --web.listen-address: parsing "HOST:PORT" (":PORT" for every address,
// "[v6]:PORT" for IPv6) and opening the listening socket, with errors that
// say what failed ("address already in use") instead of a bare false.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata {

struct ListenAddress {
  std::string host;  // empty: every address, IPv6 and IPv4
  uint16_t port = 0;
};

absl::StatusOr<ListenAddress> ParseListenAddress(absl::string_view text);

// A listening, non-blocking TCP socket. The caller owns the descriptor.
struct ListeningSocket {
  int fd = -1;
  uint16_t port = 0;  // the bound port (useful with port 0)
};

absl::StatusOr<ListeningSocket> Listen(const ListenAddress& address);

}  // namespace strata
