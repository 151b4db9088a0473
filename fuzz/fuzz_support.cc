#include "fuzz/fuzz_support.h"

#include <exception>

#include "absl/strings/escaping.h"

namespace strata::fuzz {

bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = [&](size_t at) { return static_cast<unsigned char>(text[at]); };
    const unsigned char lead = byte(i);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t code = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
      code = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      code = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      code = lead & 0x07;
    } else {
      return false;  // a continuation byte, an overlong two-byte lead, or above U+10FFFF
    }
    if (i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      if ((byte(i + k) & 0xC0) != 0x80) return false;
      code = (code << 6) | (byte(i + k) & 0x3F);
    }
    if ((length == 3 && code < 0x800) || (length == 4 && code < 0x10000)) return false;
    if (code >= 0xD800 && code <= 0xDFFF) return false;
    if (code > 0x10FFFF) return false;
    i += length;
  }
  return true;
}

void Fail(const char* file, int line, const char* what, absl::string_view detail) {
  std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", file, line, what);
  if (!detail.empty()) {
    std::fprintf(stderr, "  value: \"%s\"\n", absl::CHexEscape(detail.substr(0, 512)).c_str());
  }
  std::abort();
}

}  // namespace strata::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    strata::fuzz::FuzzOne(absl::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz invariant failed: an exception escaped the parser: %s\n", e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "fuzz invariant failed: an exception escaped the parser\n");
    std::abort();
  }
  return 0;
}
