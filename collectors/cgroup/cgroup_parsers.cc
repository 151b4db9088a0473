#include "collectors/cgroup/cgroup_parsers.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace strata {
namespace {

absl::Status Invalid(absl::string_view what, absl::string_view text) {
  return absl::InvalidArgumentError(absl::StrCat(what, " \"", text.substr(0, 80), "\""));
}

absl::StatusOr<std::pair<uint32_t, uint32_t>> ParseMajorMinor(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  uint32_t major = 0;
  uint32_t minor = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &major) ||
      !absl::SimpleAtoi(parts[1], &minor)) {
    return Invalid("bad device number", text);
  }
  return std::make_pair(major, minor);
}

DeviceIo& DeviceEntry(std::vector<DeviceIo>& devices, uint32_t major, uint32_t minor) {
  auto it = std::find_if(devices.begin(), devices.end(),
                         [&](const DeviceIo& d) { return d.major == major && d.minor == minor; });
  if (it != devices.end()) return *it;
  devices.push_back(DeviceIo{major, minor});
  return devices.back();
}

}  // namespace

absl::StatusOr<std::map<std::string, uint64_t>> ParseFlatKeyed(absl::string_view text) {
  std::map<std::string, uint64_t> values;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    uint64_t value = 0;
    if (fields.size() != 2 || !absl::SimpleAtoi(fields[1], &value)) {
      return Invalid("bad \"key value\" line", line);
    }
    values[std::string(fields[0])] = value;
  }
  if (values.empty()) return absl::InvalidArgumentError("empty file");
  return values;
}

absl::StatusOr<uint64_t> ParseSingleValue(absl::string_view text) {
  absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  uint64_t value = 0;
  if (!absl::SimpleAtoi(trimmed, &value)) return Invalid("not an unsigned integer:", trimmed);
  return value;
}

absl::StatusOr<std::optional<uint64_t>> ParseMaxOrValue(absl::string_view text) {
  absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  if (trimmed == "max") return std::optional<uint64_t>();
  absl::StatusOr<uint64_t> value = ParseSingleValue(trimmed);
  if (!value.ok()) return value.status();
  if (*value >= kNoLimitAtOrAbove) return std::optional<uint64_t>();
  return std::optional<uint64_t>(*value);
}

absl::StatusOr<int64_t> ParseSignedValue(absl::string_view text) {
  absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  int64_t value = 0;
  if (!absl::SimpleAtoi(trimmed, &value)) return Invalid("not an integer:", trimmed);
  return value;
}

absl::StatusOr<CpuMax> ParseCpuMax(absl::string_view text) {
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::StripAsciiWhitespace(text), ' ', absl::SkipEmpty());
  CpuMax result;
  if (fields.empty() || fields.size() > 2) return Invalid("bad cpu.max", text);
  if (fields[0] != "max") {
    uint64_t quota = 0;
    if (!absl::SimpleAtoi(fields[0], &quota)) return Invalid("bad cpu.max quota", fields[0]);
    if (quota < kNoLimitAtOrAbove) result.quota_us = quota;
  }
  if (fields.size() == 2 &&
      (!absl::SimpleAtoi(fields[1], &result.period_us) || result.period_us == 0)) {
    return Invalid("bad cpu.max period", fields[1]);
  }
  return result;
}

absl::StatusOr<std::vector<DeviceIo>> ParseIoStat(absl::string_view text) {
  std::vector<DeviceIo> devices;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    absl::StatusOr<std::pair<uint32_t, uint32_t>> device = ParseMajorMinor(fields[0]);
    if (!device.ok()) return device.status();
    DeviceIo& io = DeviceEntry(devices, device->first, device->second);
    for (size_t i = 1; i < fields.size(); ++i) {
      std::vector<absl::string_view> kv = absl::StrSplit(fields[i], absl::MaxSplits('=', 1));
      if (kv.size() != 2) return Invalid("bad io.stat field", fields[i]);
      // Other keys (iocost's "cost.vrate=100.00", iolatency's "depth=max") are
      // not integers and not ours.
      uint64_t* target = kv[0] == "rbytes"   ? &io.read_bytes
                         : kv[0] == "wbytes" ? &io.write_bytes
                         : kv[0] == "rios"   ? &io.read_ios
                         : kv[0] == "wios"   ? &io.write_ios
                                             : nullptr;
      if (target != nullptr && !absl::SimpleAtoi(kv[1], target)) {
        return Invalid("bad io.stat field", fields[i]);
      }
    }
  }
  return devices;
}

absl::Status ParseBlkioThrottle(absl::string_view text, bool operations,
                                std::vector<DeviceIo>& devices) {
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (fields.size() == 2 && fields[0] == "Total") continue;
    uint64_t value = 0;
    if (fields.size() != 3 || !absl::SimpleAtoi(fields[2], &value)) {
      return Invalid("bad blkio line", line);
    }
    absl::StatusOr<std::pair<uint32_t, uint32_t>> device = ParseMajorMinor(fields[0]);
    if (!device.ok()) return device.status();
    DeviceIo& io = DeviceEntry(devices, device->first, device->second);
    if (fields[1] == "Read") (operations ? io.read_ios : io.read_bytes) = value;
    if (fields[1] == "Write") (operations ? io.write_ios : io.write_bytes) = value;
  }
  return absl::OkStatus();
}

absl::StatusOr<Pressure> ParsePressure(absl::string_view text) {
  Pressure pressure;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    std::optional<uint64_t>* target = nullptr;
    if (fields[0] == "some") target = &pressure.some_total_us;
    if (fields[0] == "full") target = &pressure.full_total_us;
    if (target == nullptr) return Invalid("bad pressure line", line);
    for (size_t i = 1; i < fields.size(); ++i) {
      absl::string_view field = fields[i];
      if (!absl::ConsumePrefix(&field, "total=")) continue;
      uint64_t total = 0;
      if (!absl::SimpleAtoi(field, &total)) return Invalid("bad pressure total", fields[i]);
      *target = total;
    }
    if (!target->has_value()) return Invalid("pressure line without total", line);
  }
  if (!pressure.some_total_us.has_value()) return absl::InvalidArgumentError("no \"some\" line");
  return pressure;
}

double CpuSharesToWeight(uint64_t shares) {
  const uint64_t weight = (shares * 100 + 512) / 1024;
  return static_cast<double>(std::clamp<uint64_t>(weight, 1, 10000));
}

}  // namespace strata
