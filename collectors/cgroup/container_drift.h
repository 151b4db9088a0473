// How far a running container has drifted from its image, and when it and
// its image were made: pure parsers of the Docker-compatible engine API's
// answers (GET /containers/{id}/changes, /containers/{id}/json and
// /images/{id}/json), which Docker and Podman give in the same shape.
// Thread-compatible: plain functions over text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata {

// What a change list is read against.
struct DriftRules {
  // Trees whose drifted paths get series of their own (configuration, "/etc").
  std::vector<std::string> drift_prefixes = {"/etc"};
  // Trees expected to change in a running container; a change there, or a
  // "modified" on a directory above one of them (the engine lists /var as
  // modified when a file in /var/log is added), is not drift.
  std::vector<std::string> expected_prefixes = {
      "/tmp", "/run", "/var/run", "/var/log", "/var/cache", "/var/tmp", "/dev", "/proc", "/sys"};
  // Most drifted paths kept per container; the rest are only counted.
  int max_paths = 20;
};

// The engine's change kinds, as its "Kind" numbers them.
enum class ChangeKind { kModified = 0, kAdded = 1, kDeleted = 2 };

// "modified", "added" or "deleted".
const char* ChangeKindName(ChangeKind kind);

struct DriftedPath {
  std::string path;
  ChangeKind kind;
  bool operator<(const DriftedPath& other) const { return path < other.path; }
  bool operator==(const DriftedPath& other) const {
    return path == other.path && kind == other.kind;
  }
};

struct ContainerDrift {
  // Changes that are drift (not under an expected prefix), by kind.
  int64_t modified = 0;
  int64_t added = 0;
  int64_t deleted = 0;
  // Changes under an expected prefix: not drift.
  int64_t expected = 0;
  // Drift under a drift prefix: `paths` plus `skipped`.
  int64_t drift_prefix_paths = 0;
  // Drift under a drift prefix, the first max_paths in byte order.
  std::vector<DriftedPath> paths;
  // Drift under a drift prefix beyond max_paths.
  int64_t skipped = 0;
};

// True when `path` is `prefix` or below it ("/etc" holds "/etc" and
// "/etc/passwd", not "/etcetera"). The prefix "/" holds every path.
bool PathIsUnder(absl::string_view path, absl::string_view prefix);

// Reads the body of GET /containers/{id}/changes (an array of {"Path":
// string, "Kind": 0, 1 or 2}; null when nothing changed) with a streaming
// parser, so a list of millions of changes costs no more memory than
// max_paths of them. Paths are made valid UTF-8 (lone surrogate escapes
// become U+FFFD). InvalidArgument, naming the element, when it is not that.
absl::StatusOr<ContainerDrift> ParseContainerChanges(absl::string_view json,
                                                     const DriftRules& rules);

// From the body of GET /containers/{id}/json: when the container last
// started (State.StartedAt, RFC 3339), in seconds since the epoch; nullopt
// when it never did (Docker's "0001-01-01T00:00:00Z") or the field is absent.
// InvalidArgument when the answer is not that.
absl::StatusOr<std::optional<double>> ParseContainerStartedAt(absl::string_view json);

// From the body of GET /images/{id}/json: when the image was built
// ("Created", RFC 3339), in seconds since the epoch; nullopt when absent or
// empty. InvalidArgument when the answer is not that.
absl::StatusOr<std::optional<double>> ParseImageCreated(absl::string_view json);

}  // namespace strata
