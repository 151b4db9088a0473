// The image collector: which golden image this host was built from, read
// from os-release(5) and an optional stamp file written at image build time
// (by Packer and the like). Quiet (OK, nothing emitted) when neither exists.
#pragma once

#include <memory>
#include <string>

#include "collectors/collector.h"

namespace strata {

struct ImageCollectorOptions {
  // Below --path.rootfs; empty for none. Same KEY=value format as os-release.
  std::string stamp_file;
};

// Largest os-release or stamp file read; real ones are a few hundred bytes.
inline constexpr int64_t kMaxReleaseFileBytes = 64 << 10;

std::unique_ptr<CollectorModule> NewImageCollectorModule();

// For tests: the collector with explicit options.
std::unique_ptr<Collector> NewImageCollector(const CollectorContext& context,
                                             const ImageCollectorOptions& options);

}  // namespace strata
