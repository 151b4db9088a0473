// What every fuzz target of fuzz/ shares: the libFuzzer entry point, which
// hands each input to the target's FuzzOne and aborts when an exception
// escapes it (the parsers promise Status values, never exceptions), and the
// checks of the invariants the parsers promise. A failed check prints what
// failed and aborts, which libFuzzer reports as a crash and saves the input.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"

namespace strata::fuzz {

// Defined by each fuzz target: parses `input` and checks what the parser
// promises. Runs once per input; must not keep state between inputs.
void FuzzOne(absl::string_view input);

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
// U+10FFFF. What Prometheus requires of label values and HELP text.
bool IsValidUtf8(absl::string_view text);

[[noreturn]] void Fail(const char* file, int line, const char* what, absl::string_view detail);

}  // namespace strata::fuzz

// Aborts with the condition's text when it does not hold.
#define STRATA_FUZZ_CHECK(condition)                                            \
  do {                                                                          \
    if (!(condition)) ::strata::fuzz::Fail(__FILE__, __LINE__, #condition, ""); \
  } while (false)

// Aborts when `text` is not valid UTF-8, printing it escaped.
#define STRATA_FUZZ_CHECK_UTF8(text)                                           \
  do {                                                                         \
    if (!::strata::fuzz::IsValidUtf8(text))                                    \
      ::strata::fuzz::Fail(__FILE__, __LINE__, "valid UTF-8: " #text, (text)); \
  } while (false)
