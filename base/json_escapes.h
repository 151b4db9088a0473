// Repairs what RapidJSON's parser lets through its encoding validation.
//
// Debian 12's RapidJSON (1.1.0) refuses invalid UTF-8 bytes and a lone high
// surrogate escape under kParseValidateEncodingFlag, but decodes a lone low
// surrogate escape ("\udc00" to "\udfff") into the three bytes of the
// surrogate (ED B0 80 to ED BF BF), which are not UTF-8. A string that only
// such an escape made invalid would reach the exposition as a label value,
// and Prometheus then rejects the whole scrape. The UTF-8 checks of the JSON
// fuzz targets hold inputs with such escapes (fuzz/regressions/).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"
#include "rapidjson/error/en.h"

namespace strata {

// Replaces every lone surrogate RapidJSON decoded from a \u escape, in every
// string and member name of `document`, with U+FFFD (EF BF BD, as long as
// the surrogate's three bytes). Iterative, so deep documents cannot exhaust
// the stack. Call after a successful Parse with kParseValidateEncodingFlag:
// the strings are then valid UTF-8.
inline void ReplaceLoneSurrogates(rapidjson::Document& document) {
  auto repair = [&document](rapidjson::Value& value) {
    const char* text = value.GetString();
    const rapidjson::SizeType size = value.GetStringLength();
    bool found = false;
    for (rapidjson::SizeType i = 0; i + 1 < size && !found; ++i) {
      // In UTF-8, ED is followed only by 80-9F; A0-BF makes a surrogate.
      found = static_cast<unsigned char>(text[i]) == 0xED &&
              static_cast<unsigned char>(text[i + 1]) >= 0xA0;
    }
    if (!found) return;
    std::string repaired(text, size);
    for (size_t i = 0; i + 2 < repaired.size(); ++i) {
      if (static_cast<unsigned char>(repaired[i]) == 0xED &&
          static_cast<unsigned char>(repaired[i + 1]) >= 0xA0) {
        repaired.replace(i, 3, "\xEF\xBF\xBD");
        i += 2;
      }
    }
    value.SetString(repaired.data(), static_cast<rapidjson::SizeType>(repaired.size()),
                    document.GetAllocator());
  };
  std::vector<rapidjson::Value*> pending = {&document};
  while (!pending.empty()) {
    rapidjson::Value* value = pending.back();
    pending.pop_back();
    if (value->IsString()) {
      repair(*value);
    } else if (value->IsArray()) {
      for (rapidjson::Value& element : value->GetArray()) pending.push_back(&element);
    } else if (value->IsObject()) {
      for (auto& member : value->GetObject()) {
        repair(member.name);
        pending.push_back(&member.value);
      }
    }
  }
}

// Parses JSON that comes from outside the exporter (a report, an engine's
// answer): iteratively, so deep nesting cannot exhaust the stack; with its
// encoding validated and lone surrogates replaced, so every string is UTF-8.
// `kExtraFlags` adds RapidJSON parse flags. InvalidArgument "not JSON at
// offset N: reason" otherwise, N counted from `offset_base`.
template <unsigned kExtraFlags = 0>
absl::Status ParseUntrustedJson(absl::string_view text, rapidjson::Document& document,
                                size_t offset_base = 0) {
  constexpr unsigned kFlags =
      rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag | kExtraFlags;
  document.Parse<kFlags>(text.data(), text.size());
  if (document.HasParseError()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not JSON at offset ", offset_base + document.GetErrorOffset(), ": ",
                     rapidjson::GetParseError_En(document.GetParseError())));
  }
  ReplaceLoneSurrogates(document);
  return absl::OkStatus();
}

}  // namespace strata
