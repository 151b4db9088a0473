// What the collector needs from a domain's XML definition: the OS type, the
// configured vCPUs and memory (for domains that are not running), disk and
// interface names (for drivers without bulk block and net stats), and
// OpenStack Nova's metadata.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata {

struct NovaMetadata {
  std::string instance_name;  // nova:name
  std::string flavor;         // nova:flavor/@name
  std::string project_name;   // nova:owner/nova:project
  std::string project_uuid;
  std::string user_name;  // nova:owner/nova:user
};

struct DomainDefinition {
  std::string os_type;      // "hvm", "linux", "exe", ...
  double vcpus = 0;         // <vcpu current=...>, else <vcpu>
  double memory_bytes = 0;  // <memory>, the maximum
  std::vector<std::string> disk_targets;
  std::vector<std::string> disk_sources;  // per target; "" for a disk without a source
  std::vector<std::string> interface_targets;
  // <memballoon><stats period=.../>: how often the guest's balloon driver
  // reports its memory statistics, in seconds; 0 when it never does (no
  // period, or no balloon device). The collector asks for the balloon group
  // no more often than that.
  double balloon_stats_period_seconds = 0;
  std::optional<NovaMetadata> nova;
};

// Parses virDomainGetXMLDesc output with libxml2. InvalidArgument when it is
// not XML or has no <domain> root.
absl::StatusOr<DomainDefinition> ParseDomainXml(absl::string_view xml);

// Converts a libvirt memory amount with its unit attribute ("KiB" when
// absent, as libvirt defaults) to bytes; nullopt for an unknown unit.
std::optional<double> MemoryToBytes(double amount, absl::string_view unit);

}  // namespace strata
