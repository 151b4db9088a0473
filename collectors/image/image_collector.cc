#include "collectors/image/image_collector.h"

#include <map>
#include <optional>
#include <set>
#include <utility>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "collectors/image/image_metrics.h"
#include "collectors/image/image_release.h"
#include "collectors/options_collector_module.h"

namespace strata {
namespace {

namespace m = image_metrics;

using KeyValues = std::map<std::string, std::string>;

// os-release(5): /etc/os-release, else /usr/lib/os-release.
constexpr const char* kOsReleasePaths[] = {"etc/os-release", "usr/lib/os-release"};

// The stamp keys that override os-release's.
constexpr const char* kStampKeys[] = {"IMAGE_ID", "IMAGE_VERSION", "BUILD_ID"};

std::string Get(const KeyValues& values, const std::string& key) {
  auto it = values.find(key);
  return it == values.end() ? std::string() : it->second;
}

class ImageCollector : public Collector {
 public:
  ImageCollector(const CollectorContext& context, ImageCollectorOptions options)
      : fs_(context.fs), logger_(context.logger), options_(std::move(options)) {}

  absl::Status Collect(std::vector<prometheus::MetricFamily>& out) override {
    absl::Status status;
    std::optional<KeyValues> os_release;
    for (const char* path : kOsReleasePaths) {
      absl::StatusOr<KeyValues> parsed = Read(path);
      if (absl::IsNotFound(parsed.status())) continue;
      if (!parsed.ok()) return parsed.status();
      os_release = *std::move(parsed);
      break;
    }

    std::optional<KeyValues> stamp;
    std::optional<double> build_timestamp;
    if (!options_.stamp_file.empty()) {
      absl::StatusOr<FileStat> stat = fs_.Stat(HostRoot::kRootfs, options_.stamp_file);
      absl::StatusOr<KeyValues> parsed =
          stat.ok() ? Read(options_.stamp_file) : absl::StatusOr<KeyValues>(stat.status());
      if (parsed.ok()) {
        stamp = *std::move(parsed);
        auto it = stamp->find("BUILD_TIMESTAMP");
        if (it == stamp->end()) {
          build_timestamp = absl::ToDoubleSeconds(stat->mtime - absl::UnixEpoch());
        } else if (absl::StatusOr<double> parsed_time = ParseBuildTimestamp(it->second);
                   parsed_time.ok()) {
          build_timestamp = *parsed_time;
        } else {
          status = absl::InvalidArgumentError(
              absl::StrCat(fs_.Resolve(HostRoot::kRootfs, options_.stamp_file), ": ",
                           parsed_time.status().message()));
        }
      } else if (absl::IsNotFound(parsed.status())) {
        LogOnce("no image stamp file", options_.stamp_file);
      } else {
        status = parsed.status();
      }
    }

    if (!os_release.has_value() && !stamp.has_value()) {
      LogOnce("no os-release file", "/etc/os-release");
      return status;
    }
    KeyValues image = os_release.value_or(KeyValues());
    if (stamp.has_value()) {
      for (const char* key : kStampKeys) {
        if (auto it = stamp->find(key); it != stamp->end()) image[key] = it->second;
      }
    }
    FamilyBuilder(m::kInfo)
        .Add(1, {Get(image, "IMAGE_ID"), Get(image, "IMAGE_VERSION"), Get(image, "BUILD_ID"),
                 Get(image, "ID"), Get(image, "VERSION_ID")})
        .EmitTo(out);
    if (build_timestamp.has_value()) {
      FamilyBuilder(m::kBuildTimestamp).Add(*build_timestamp).EmitTo(out);
    }
    return status;
  }

 private:
  // Reads and parses one KEY=value file below --path.rootfs.
  absl::StatusOr<KeyValues> Read(const std::string& path) const {
    absl::StatusOr<std::string> text = fs_.ReadFile(HostRoot::kRootfs, path);
    if (!text.ok()) return text.status();
    const std::string full = fs_.Resolve(HostRoot::kRootfs, path);
    if (static_cast<int64_t>(text->size()) > kMaxReleaseFileBytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          full, ": ", text->size(), " bytes, more than the limit of ", kMaxReleaseFileBytes));
    }
    absl::StatusOr<KeyValues> parsed = ParseOsRelease(*text);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(full, ": ", parsed.status().message()));
    }
    return parsed;
  }

  void LogOnce(absl::string_view message, const std::string& path) {
    if (logged_.insert(std::string(message)).second) {
      logger_.Debug(message, {{"collector", "image"}, {"path", path}});
    }
  }

  const HostFs& fs_;
  const Logger& logger_;
  const ImageCollectorOptions options_;
  std::set<std::string> logged_;
};

void AddImageFlags(CLI::App& app, ImageCollectorOptions& options) {
  app.add_option("--collector.image.stamp-file", options.stamp_file,
                 "KEY=value file (below --path.rootfs) written at image build time; its "
                 "IMAGE_ID, IMAGE_VERSION and BUILD_ID override os-release's, and "
                 "BUILD_TIMESTAMP (or its mtime) gives the build time. Empty for none.")
      ->capture_default_str();
}

}  // namespace

std::unique_ptr<Collector> NewImageCollector(const CollectorContext& context,
                                             const ImageCollectorOptions& options) {
  return std::make_unique<ImageCollector>(context, options);
}

std::unique_ptr<CollectorModule> NewImageCollectorModule() {
  return std::make_unique<OptionsCollectorModule<ImageCollectorOptions>>(
      CollectorInfo{"image",
                    true,
                    "Golden-image identity from os-release and an image stamp file",
                    {&m::kInfo, &m::kBuildTimestamp}},
      AddImageFlags, NewImageCollector);
}

}  // namespace strata
