// --web.systemd-socket: the listening sockets systemd passes to a
// socket-activated service (LISTEN_PID, LISTEN_FDS, descriptors from 3 on,
// as sd_listen_fds(3) describes), so the exporter needs no sd-daemon library.
// Call once, from the main thread, before other threads start.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "exporter/listen_address.h"

namespace strata {

// Takes over the sockets passed to this process: each must be a listening
// TCP socket; they are made non-blocking and close-on-exec, and LISTEN_PID,
// LISTEN_FDS and LISTEN_FDNAMES are removed from the environment so children
// do not inherit them. Fails when the variables are missing, are meant for
// another process, or a descriptor is not a listening stream socket.
absl::StatusOr<std::vector<ListeningSocket>> SystemdListeningSockets();

}  // namespace strata
