// A CollectorModule put together from what is a collector's own: its info,
// the binding of its --collector.NAME.* flags to an options struct, and the
// factory that builds the collector from those options once they are parsed.
// A collector without knobs implements CollectorModule directly instead.
//
// Not thread-safe; AddFlags and Create run once, at start-up.
#pragma once

#include <functional>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "collectors/collector.h"

namespace strata {

template <typename Options>
class OptionsCollectorModule final : public CollectorModule {
 public:
  // Adds the flags to `app`, bound to the fields of `options`.
  using FlagBinder = void (*)(CLI::App& app, Options& options);
  // Either kind of factory: one that cannot fail, or one that checks the options.
  using Factory = std::function<absl::StatusOr<std::unique_ptr<Collector>>(
      const CollectorContext& context, const Options& options)>;

  OptionsCollectorModule(CollectorInfo info, FlagBinder bind_flags, Factory create)
      : info_(std::move(info)), bind_flags_(bind_flags), create_(std::move(create)) {}
  // The parsed flags write into options_ through the references bound to it.
  OptionsCollectorModule(const OptionsCollectorModule&) = delete;
  OptionsCollectorModule& operator=(const OptionsCollectorModule&) = delete;

  const CollectorInfo& info() const override { return info_; }
  void AddFlags(CLI::App& app) override { bind_flags_(app, options_); }
  absl::StatusOr<std::unique_ptr<Collector>> Create(const CollectorContext& ctx) const override {
    return create_(ctx, options_);
  }

 private:
  const CollectorInfo info_;
  const FlagBinder bind_flags_;
  const Factory create_;
  Options options_;
};

}  // namespace strata
