// What identifies this host to the layer below it: the DMI (SMBIOS type 1)
// system UUID and serial number, and systemd's machine ID. A KVM guest's
// SMBIOS UUID is, by libvirt's default, its domain's UUID, so the guest's
// uuid label equals the hypervisor's strata_domain_info{uuid} of the same VM.
//
// The normalizers are pure functions over a file's text; they never fail:
// a value that is a firmware placeholder or not of the expected shape gives
// an empty string, so nothing but a well-formed identifier becomes a label.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "base/host_fs.h"
#include "base/logging.h"

namespace strata {

struct HostIdentity {
  std::string uuid;        // lower-case 8-4-4-4-12 hex, or empty
  std::string serial;      // the firmware's serial number, or empty
  std::string machine_id;  // 32 lower-case hex digits, or empty
};

// /sys/class/dmi/id/product_uuid: a UUID in 8-4-4-4-12 hex form (surrounding
// whitespace aside), returned in lower case as libvirt writes domain UUIDs.
// Empty for anything else, and for the placeholders all zeros, all ones and
// AMI's 03000200-0400-0500-0006-000700080009. The kernel has already put the
// bytes in RFC 4122 order for the SMBIOS version (dmi_save_uuid); nothing is
// swapped here.
std::string NormalizeDmiUuid(absl::string_view text);

// /sys/class/dmi/id/product_serial, without surrounding whitespace. Empty
// when it is a placeholder ("Not Specified", "To be filled by O.E.M.",
// "Default string", "System Serial Number", "0123456789", "None", "N/A",
// "Not Applicable", "Not Available", only zeros; case does not matter), longer
// than 64 bytes, or has a byte outside printable ASCII.
std::string NormalizeDmiSerial(absl::string_view text);

// /etc/machine-id: 32 lower-case hex digits and an optional newline, as
// systemd writes it. Empty for anything else ("uninitialized" on a first
// boot, upper case, a UUID with dashes) and for all zeros.
std::string NormalizeMachineId(absl::string_view text);

// Reads the three files through `fs` (the DMI files below --path.sysfs,
// machine-id below --path.rootfs). A missing file gives an empty value
// quietly; one that cannot be read (the DMI files are root-only) gives an
// empty value and a debug line.
HostIdentity ReadHostIdentity(const HostFs& fs, const Logger& logger);

}  // namespace strata
