#include "collectors/host/identity.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace strata {
namespace {

// Longest serial taken; SMBIOS strings are short (DMTF recommends 64 bytes).
constexpr size_t kMaxSerialBytes = 64;

// Firmware that leaves the serial unset writes one of these (compared
// without regard to case).
constexpr const char* kSerialPlaceholders[] = {"Not Specified",
                                               "To be filled by O.E.M.",
                                               "Default string",
                                               "System Serial Number",
                                               "0123456789",
                                               "None",
                                               "N/A",
                                               "Not Applicable",
                                               "Not Available"};

bool AllOf(absl::string_view text, char c) {
  for (char ch : text) {
    if (ch != c && ch != '-') return false;
  }
  return true;
}

std::string ReadIdentityFile(const HostFs& fs, const Logger& logger, HostRoot root,
                             absl::string_view path) {
  absl::StatusOr<std::string> text = fs.ReadFile(root, path);
  if (text.ok()) return *std::move(text);
  if (!absl::IsNotFound(text.status())) {
    logger.Debug("host identity not readable; its label is empty",
                 {{"collector", "host"}, {"err", std::string(text.status().message())}});
  }
  return std::string();
}

}  // namespace

std::string NormalizeDmiUuid(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.size() != 36) return std::string();
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? text[i] != '-' : !absl::ascii_isxdigit(text[i])) return std::string();
  }
  std::string uuid = absl::AsciiStrToLower(text);
  if (AllOf(uuid, '0') || AllOf(uuid, 'f') || uuid == "03000200-0400-0500-0006-000700080009") {
    return std::string();
  }
  return uuid;
}

std::string NormalizeDmiSerial(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty() || text.size() > kMaxSerialBytes) return std::string();
  for (char ch : text) {
    if (ch < 0x20 || ch > 0x7e) return std::string();
  }
  for (const char* placeholder : kSerialPlaceholders) {
    if (absl::EqualsIgnoreCase(text, placeholder)) return std::string();
  }
  if (AllOf(text, '0')) return std::string();
  return std::string(text);
}

std::string NormalizeMachineId(absl::string_view text) {
  absl::ConsumeSuffix(&text, "\n");
  if (text.size() != 32) return std::string();
  for (char ch : text) {
    if (!absl::ascii_isdigit(ch) && !(ch >= 'a' && ch <= 'f')) return std::string();
  }
  if (AllOf(text, '0')) return std::string();
  return std::string(text);
}

HostIdentity ReadHostIdentity(const HostFs& fs, const Logger& logger) {
  HostIdentity identity;
  identity.uuid =
      NormalizeDmiUuid(ReadIdentityFile(fs, logger, HostRoot::kSys, "class/dmi/id/product_uuid"));
  identity.serial = NormalizeDmiSerial(
      ReadIdentityFile(fs, logger, HostRoot::kSys, "class/dmi/id/product_serial"));
  identity.machine_id =
      NormalizeMachineId(ReadIdentityFile(fs, logger, HostRoot::kRootfs, "etc/machine-id"));
  return identity;
}

}  // namespace strata
