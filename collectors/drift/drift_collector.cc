#include "collectors/drift/drift_collector.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/absence_log.h"
#include "collectors/drift/drift_baselines.h"
#include "collectors/drift/drift_hasher.h"
#include "collectors/drift/drift_metrics.h"
#include "collectors/options_collector_module.h"

namespace strata {
namespace {

namespace m = drift_metrics;

// A parsed file, kept until stat(2) says the file changed.
template <typename T>
struct Parsed {
  FileVersion version;
  T value;
};

// Reads and parses `path` below --path.rootfs unless the copy in `cache` is
// of the same file version. Errors name the file: absent, not a regular file,
// larger than `max_bytes`, unreadable or malformed.
template <typename T, typename Parser>
absl::StatusOr<const T*> LoadCached(const HostFs& fs, const std::string& path, int64_t max_bytes,
                                    Parser parse, std::map<std::string, Parsed<T>>& cache) {
  absl::StatusOr<FileStat> stat = fs.Stat(HostRoot::kRootfs, path);
  if (!stat.ok()) {
    cache.erase(path);
    return stat.status();
  }
  const std::string full = fs.Resolve(HostRoot::kRootfs, path);
  if (stat->type != FileStat::Type::kRegular) {
    return absl::FailedPreconditionError(absl::StrCat(full, ": not a regular file"));
  }
  if (stat->size > max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat(full, ": ", stat->size, " bytes, more than the limit of ", max_bytes));
  }
  const FileVersion version = FileVersion::Of(*stat);
  if (auto it = cache.find(path); it != cache.end() && it->second.version == version) {
    return &it->second.value;
  }
  absl::StatusOr<T> parsed = ReadAndParse(fs, HostRoot::kRootfs, path, parse);
  if (!parsed.ok()) {
    cache.erase(path);
    return parsed.status();
  }
  Parsed<T>& entry = cache[path];
  entry = {version, *std::move(parsed)};
  return &entry.value;
}

absl::StatusOr<std::vector<NamedBaseline>> ParseBaselineFlags(
    const std::vector<std::string>& values, absl::string_view flag) {
  std::vector<NamedBaseline> baselines;
  std::set<std::string> names;
  for (const std::string& value : values) {
    absl::StatusOr<NamedBaseline> baseline = ParseNamedBaseline(value);
    if (!baseline.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(flag, ": ", baseline.status().message()));
    }
    if (!names.insert(baseline->name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": baseline name \"", baseline->name, "\" is given twice"));
    }
    baselines.push_back(*std::move(baseline));
  }
  return baselines;
}

const char* FileStateName(FileDigest::State state, bool matches) {
  switch (state) {
    case FileDigest::State::kHashed:
      return matches ? "matching" : "modified";
    case FileDigest::State::kMissing:
      return "missing";
    case FileDigest::State::kUnreadable:
      return "unreadable";
  }
  return "unreadable";
}

class DriftCollector : public Collector {
 public:
  DriftCollector(const CollectorContext& context, std::vector<NamedBaseline> files,
                 std::vector<NamedBaseline> packages, int max_drifted_files,
                 int max_drifted_packages)
      : fs_(context.fs),
        logger_(context.logger),
        file_baselines_(std::move(files)),
        package_baselines_(std::move(packages)),
        max_drifted_files_(max_drifted_files),
        max_drifted_packages_(max_drifted_packages),
        digests_(context.fs) {}

  absl::Status Collect(std::vector<prometheus::MetricFamily>& out) override {
    if (file_baselines_.empty() && package_baselines_.empty()) {
      idle_.Absent({});
      return absl::OkStatus();
    }
    std::vector<absl::Status> problems;
    if (!file_baselines_.empty()) CollectFiles(out, problems);
    if (!package_baselines_.empty()) CollectPackages(out, problems);
    if (problems.empty()) return absl::OkStatus();
    std::vector<std::string> messages;
    for (const absl::Status& problem : problems) messages.emplace_back(problem.message());
    return absl::Status(problems.front().code(), absl::StrJoin(messages, "; "));
  }

 private:
  void CollectFiles(std::vector<prometheus::MetricFamily>& out,
                    std::vector<absl::Status>& problems);
  void CollectPackages(std::vector<prometheus::MetricFamily>& out,
                       std::vector<absl::Status>& problems);

  const HostFs& fs_;
  const Logger& logger_;
  const std::vector<NamedBaseline> file_baselines_;
  const std::vector<NamedBaseline> package_baselines_;
  const int max_drifted_files_;
  const int max_drifted_packages_;
  FileDigestCache digests_;
  std::map<std::string, Parsed<std::vector<FileBaselineEntry>>> parsed_file_baselines_;
  std::map<std::string, Parsed<PackageBaseline>> parsed_package_baselines_;
  std::map<std::string, Parsed<std::vector<InstalledPackage>>> parsed_status_;
  AbsenceLog idle_{logger_, "drift", "no baseline configured"};
};

void DriftCollector::CollectFiles(std::vector<prometheus::MetricFamily>& out,
                                  std::vector<absl::Status>& problems) {
  FamilyBuilder files(m::kFiles), drifted(m::kFileDrifted), omitted(m::kFileDriftedOmitted);
  for (const NamedBaseline& baseline : file_baselines_) {
    absl::StatusOr<const std::vector<FileBaselineEntry>*> entries = LoadCached(
        fs_, baseline.path, kMaxBaselineBytes, ParseSha256Baseline, parsed_file_baselines_);
    if (!entries.ok()) {
      problems.push_back(absl::Status(
          entries.status().code(),
          absl::StrCat("file baseline ", baseline.name, ": ", entries.status().message())));
      continue;
    }
    std::map<std::string, int> counts = {
        {"matching", 0}, {"modified", 0}, {"missing", 0}, {"unreadable", 0}};
    std::vector<std::pair<const std::string*, const char*>> drifted_files;  // sorted by path
    std::vector<std::string> unreadable;
    for (const FileBaselineEntry& entry : **entries) {
      FileDigest digest = digests_.Get(entry.path);
      const char* state = FileStateName(digest.state, digest.sha256 == entry.sha256);
      ++counts[state];
      if (digest.state == FileDigest::State::kUnreadable) unreadable.push_back(digest.error);
      if (std::string_view(state) != "matching") drifted_files.push_back({&entry.path, state});
    }
    for (const char* state : {"matching", "modified", "missing", "unreadable"}) {
      files.Add(counts[state], {baseline.name, state});
    }
    const size_t kept = std::min(drifted_files.size(), static_cast<size_t>(max_drifted_files_));
    for (size_t i = 0; i < kept; ++i) {
      drifted.Add(1, {baseline.name, *drifted_files[i].first, drifted_files[i].second});
    }
    omitted.Add(static_cast<double>(drifted_files.size() - kept), {baseline.name});
    if (!unreadable.empty()) {
      // The files are counted as unreadable above, and the collector fails as
      // well: a file that cannot be verified is not known to be unchanged.
      constexpr size_t kNamed = 5;
      std::string named = absl::StrJoin(
          unreadable.begin(), unreadable.begin() + std::min(unreadable.size(), kNamed), "; ");
      if (unreadable.size() > kNamed) {
        absl::StrAppend(&named, "; and ", unreadable.size() - kNamed, " more");
      }
      problems.push_back(absl::PermissionDeniedError(
          absl::StrCat("file baseline ", baseline.name, ": ", unreadable.size(),
                       " file(s) could not be hashed: ", named)));
    }
  }
  digests_.Sweep();
  files.EmitTo(out);
  drifted.EmitTo(out);
  omitted.EmitTo(out);
  FamilyBuilder(m::kFileHashes).Add(static_cast<double>(digests_.files_hashed())).EmitTo(out);
  FamilyBuilder(m::kHashedBytes).Add(static_cast<double>(digests_.bytes_hashed())).EmitTo(out);
}

void DriftCollector::CollectPackages(std::vector<prometheus::MetricFamily>& out,
                                     std::vector<absl::Status>& problems) {
  absl::StatusOr<const std::vector<InstalledPackage>*> installed =
      LoadCached(fs_, kDpkgStatusPath, static_cast<int64_t>(kMaxHostFileBytes), ParseDpkgStatus,
                 parsed_status_);
  if (!installed.ok()) {
    problems.push_back(
        absl::Status(installed.status().code(),
                     absl::StrCat("dpkg status database: ", installed.status().message(),
                                  absl::IsNotFound(installed.status())
                                      ? " (package baselines need a Debian-based host)"
                                      : "")));
    return;
  }
  FamilyBuilder packages(m::kPackages), drifted(m::kPackageDrifted),
      omitted(m::kPackageDriftedOmitted);
  for (const NamedBaseline& baseline : package_baselines_) {
    absl::StatusOr<const PackageBaseline*> expected = LoadCached(
        fs_, baseline.path, kMaxBaselineBytes, ParsePackageBaseline, parsed_package_baselines_);
    if (!expected.ok()) {
      problems.push_back(absl::Status(
          expected.status().code(),
          absl::StrCat("package baseline ", baseline.name, ": ", expected.status().message())));
      continue;
    }
    PackageComparison comparison = ComparePackages(**expected, **installed);
    packages.Add(comparison.matching, {baseline.name, "matching"})
        .Add(comparison.version_differs, {baseline.name, "version_differs"})
        .Add(comparison.missing, {baseline.name, "missing"});
    if ((*expected)->complete) packages.Add(comparison.unexpected, {baseline.name, "unexpected"});
    const size_t kept =
        std::min(comparison.drifted.size(), static_cast<size_t>(max_drifted_packages_));
    for (size_t i = 0; i < kept; ++i) {
      const PackageDrift& drift = comparison.drifted[i];
      drifted.Add(1, {baseline.name, drift.package, drift.state, drift.expected_version,
                      drift.installed_version});
    }
    omitted.Add(static_cast<double>(comparison.drifted.size() - kept), {baseline.name});
  }
  packages.EmitTo(out);
  drifted.EmitTo(out);
  omitted.EmitTo(out);
}

// Checks a NAME=PATH value while the command line is parsed, so a typo is a
// one-line start-up error.
CLI::Validator NamedBaselineValidator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        absl::StatusOr<NamedBaseline> parsed = ParseNamedBaseline(value);
        return parsed.ok() ? std::string() : std::string(parsed.status().message());
      },
      "NAME=PATH");
}

void AddDriftFlags(CLI::App& app, DriftCollectorOptions& options) {
  app.add_option("--collector.drift.files", options.files,
                 "File baseline NAME=PATH: PATH (below --path.rootfs) is sha256sum output; "
                 "repeat for more.")
      ->allow_extra_args(false)
      ->check(NamedBaselineValidator());
  app.add_option("--collector.drift.packages", options.packages,
                 "Package baseline NAME=PATH: PATH (below --path.rootfs) is dpkg-query -W "
                 "output, with a line \"# complete\" to report unexpected packages; repeat for "
                 "more.")
      ->allow_extra_args(false)
      ->check(NamedBaselineValidator());
  app.add_option("--collector.drift.max-drifted-files", options.max_drifted_files,
                 "Most strata_drift_file_drifted series per baseline.")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  app.add_option("--collector.drift.max-drifted-packages", options.max_drifted_packages,
                 "Most strata_drift_package_drifted series per baseline.")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Collector>> NewDriftCollector(const CollectorContext& context,
                                                             const DriftCollectorOptions& options) {
  absl::StatusOr<std::vector<NamedBaseline>> files =
      ParseBaselineFlags(options.files, "--collector.drift.files");
  if (!files.ok()) return files.status();
  absl::StatusOr<std::vector<NamedBaseline>> packages =
      ParseBaselineFlags(options.packages, "--collector.drift.packages");
  if (!packages.ok()) return packages.status();
  if (options.max_drifted_files < 0 || options.max_drifted_packages < 0) {
    return absl::InvalidArgumentError("the max-drifted limits must not be negative");
  }
  return std::make_unique<DriftCollector>(context, *std::move(files), *std::move(packages),
                                          options.max_drifted_files, options.max_drifted_packages);
}

std::unique_ptr<CollectorModule> NewDriftCollectorModule() {
  return std::make_unique<OptionsCollectorModule<DriftCollectorOptions>>(
      CollectorInfo{
          "drift",
          true,
          "Files and installed packages compared with sha256sum and dpkg-query baselines",
          {&m::kFiles, &m::kFileDrifted, &m::kFileDriftedOmitted, &m::kFileHashes, &m::kHashedBytes,
           &m::kPackages, &m::kPackageDrifted, &m::kPackageDriftedOmitted}},
      AddDriftFlags, NewDriftCollector);
}

}  // namespace strata
