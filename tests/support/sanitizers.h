// Whether this build runs under AddressSanitizer (STRATA_SANITIZE), and how
// much longer (or more memory) a test that bounds how long something takes
// (or what it costs) allows for it: the
// sanitizers make code a few times slower, and CI runs the sanitized tests
// two at a time on shared cores. A bound is there to catch an algorithm gone
// wrong (a parser reading the whole file), which stays far outside it.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define STRATA_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STRATA_TEST_SANITIZED 1
#endif
#endif

namespace strata::testing {

#ifdef STRATA_TEST_SANITIZED
inline constexpr int kTimingFactor = 4;
// AddressSanitizer's redzones around every allocation, its shadow memory and
// the quarantine that holds freed blocks back raise peak memory too. The
// bounds catch growth with the input (hundreds of MB for 1 MiB), far above.
inline constexpr int kMemoryFactor = 4;
#else
inline constexpr int kTimingFactor = 1;
inline constexpr int kMemoryFactor = 1;
#endif

}  // namespace strata::testing
