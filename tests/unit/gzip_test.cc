#include "exporter/gzip.h"

#include <zlib.h>

#include <cstdint>
#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::PrintToString;

// Inflates a whole gzip stream with zlib; nullopt unless it is one complete
// gzip member and nothing after it.
std::optional<std::string> Gunzip(const std::string& gz) {
  z_stream s{};
  if (inflateInit2(&s, 15 + 16) != Z_OK) return std::nullopt;
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  s.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  char buffer[16384];
  int result = Z_OK;
  while (result == Z_OK) {
    s.next_out = reinterpret_cast<Bytef*>(buffer);
    s.avail_out = sizeof(buffer);
    result = inflate(&s, Z_NO_FLUSH);
    out.append(buffer, sizeof(buffer) - s.avail_out);
  }
  const bool complete = result == Z_STREAM_END && s.avail_in == 0;
  inflateEnd(&s);
  if (!complete) return std::nullopt;
  return out;
}

// The gzip trailer's ISIZE: the input length modulo 2^32, little-endian.
uint32_t TrailerSize(const std::string& gz) {
  uint32_t size = 0;
  for (int i = 0; i < 4; ++i) {
    size |= static_cast<uint32_t>(static_cast<unsigned char>(gz[gz.size() - 4 + i])) << (8 * i);
  }
  return size;
}

// Deterministic bytes that do not compress.
std::string NoiseBytes(size_t size) {
  std::string bytes(size, '\0');
  uint32_t state = 12345;
  for (char& c : bytes) {
    state = state * 1664525u + 1013904223u;
    c = static_cast<char>(state >> 24);
  }
  return bytes;
}

void ExpectGzipOf(const std::string& gz, const std::string& input) {
  ASSERT_GE(gz.size(), 18u);  // 10-byte header, 8-byte trailer
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
  EXPECT_EQ(gz[2], 8);  // CM: deflate
  EXPECT_EQ(TrailerSize(gz), static_cast<uint32_t>(input.size()));
  std::optional<std::string> inflated = Gunzip(gz);
  ASSERT_TRUE(inflated.has_value()) << "not a complete gzip stream";
  EXPECT_TRUE(*inflated == input) << "inflated " << inflated->size() << " bytes, want "
                                  << input.size();
}

TEST(GzipCompress, ProducesGzipThatInflatesToTheInput) {
  const std::string input =
      "# HELP strata_host_cpus Number of online CPUs.\n"
      "# TYPE strata_host_cpus gauge\n"
      "strata_host_cpus 4\n";
  absl::StatusOr<std::string> gz = GzipCompress(input);
  ASSERT_TRUE(gz.ok()) << gz.status();
  ExpectGzipOf(*gz, input);
}

TEST(GzipCompress, EmptyInputIsAValidEmptyStream) {
  absl::StatusOr<std::string> gz = GzipCompress("");
  ASSERT_TRUE(gz.ok()) << gz.status();
  ExpectGzipOf(*gz, "");
}

TEST(GzipCompress, BinaryInputRoundTrips) {
  const std::string input("a\0b\xff\x1f\x8b\n", 7);
  absl::StatusOr<std::string> gz = GzipCompress(input);
  ASSERT_TRUE(gz.ok()) << gz.status();
  ExpectGzipOf(*gz, input);
}

TEST(GzipCompress, OneMebibyteOfIncompressibleBytesRoundTrips) {
  const std::string input = NoiseBytes(1 << 20);
  absl::StatusOr<std::string> gz = GzipCompress(input);
  ASSERT_TRUE(gz.ok()) << gz.status();
  ExpectGzipOf(*gz, input);
}

TEST(GzipCompress, OneMebibyteOfMetricsTextShrinks) {
  std::string input;
  for (int i = 0; input.size() < (1 << 20); ++i) {
    input +=
        "strata_scrape_collector_success{collector=\"host" + std::to_string(i % 97) + "\"} 1\n";
  }
  input.resize(1 << 20);
  absl::StatusOr<std::string> gz = GzipCompress(input);
  ASSERT_TRUE(gz.ok()) << gz.status();
  ExpectGzipOf(*gz, input);
  EXPECT_LT(gz->size(), input.size() / 10);
}

TEST(GzipCompress, EveryLevelRoundTrips) {
  std::string text;
  for (int i = 0; text.size() < (1 << 18); ++i) {
    text += "strata_cgroup_memory_usage_bytes{cgroup=\"/c" + std::to_string(i) + "\"} " +
            std::to_string(i * 7919) + "\n";
  }
  const std::string noise = NoiseBytes(1 << 16);
  for (int level = -1; level <= 9; ++level) {
    SCOPED_TRACE(level);
    for (const std::string& input : {text, noise}) {
      absl::StatusOr<std::string> gz = GzipCompress(input, level);
      ASSERT_TRUE(gz.ok()) << gz.status();
      ExpectGzipOf(*gz, input);
    }
  }
}

TEST(GzipCompress, LevelsOutsideZlibsAreInvalid) {
  for (int level : {-2, 10, 100}) {
    EXPECT_EQ(GzipCompress("x", level).status().code(), absl::StatusCode::kInvalidArgument)
        << level;
  }
}

// Responses are compressed at zlib's fastest level (gzip.cc gives the
// measurements), which the gzip header announces in its XFL byte.
TEST(GzipCompress, ServesAtTheFastestLevel) {
  const std::string input(100000, 'a');
  absl::StatusOr<std::string> served = GzipCompress(input);
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_EQ(*served, *GzipCompress(input, 1));
  EXPECT_EQ((*served)[8], 4);  // XFL 4: compressor used the fastest algorithm
  EXPECT_EQ((*GzipCompress(input, 6))[8], 0);
}

TEST(AcceptsGzip, FollowsAcceptEncodingRules) {
  struct Case {
    const char* header;
    bool want;
  };
  const Case cases[] = {
      {"gzip", true},
      {"GZIP", true},
      {"x-gzip", true},
      {"*", true},
      {"deflate, gzip;q=0.5", true},
      {"gzip, deflate, br", true},
      {"br;q=1.0, gzip;q=0.8, *;q=0.1", true},
      {" gzip ; q=0.5 ", true},
      {"gzip;q=0.001", true},
      {"identity;q=0, *", true},
      {"x-gzip;q=0, gzip", true},
      {"*;q=0, gzip", true},
      {"gzip;q=0", false},
      {"gzip;q=0.0", false},
      {"gzip;Q=0", false},
      {"*;q=0", false},
      {"br", false},
      {"deflate, br", false},
      {"", false},
      {"identity", false},
      {"gzipped", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(PrintToString(std::string(c.header)));
    EXPECT_EQ(AcceptsGzip(c.header), c.want);
  }
}

// RFC 9110 section 12.5.3: "*" matches only codings "not explicitly listed
// in the header field", so an explicit refusal of gzip (or its alias x-gzip)
// wins over the wildcard wherever it stands.
TEST(AcceptsGzip, ExplicitRefusalOverridesWildcard) {
  for (const char* header : {"gzip;q=0, *", "*, gzip;q=0", "x-gzip;q=0, gzip;q=0, *;q=1"}) {
    SCOPED_TRACE(header);
    EXPECT_FALSE(AcceptsGzip(header));
  }
}

}  // namespace
}  // namespace strata
