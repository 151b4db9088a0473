// Bounds on what yaml-cpp is given, for YAML that anyone with write access to
// a file may have shaped: yaml-cpp's scanner reads ahead through nested flow
// collections ("[[[[" or "{a: {a: ..."), about 240 bytes per pending "[" (1
// MiB of them costs it 100 to 250 MB before any depth check of its own can
// fire), YAML::Load spends about 460 bytes per node, and both recurse once per
// level. So yaml-cpp reads through a buffer that stops it after
// kMaxYamlFlowOpeners "[" or "{" (whether or not they are in quotes: counting
// is cheaper than tokenising, and the files read have few), and a tree is
// counted by the event parser (which builds nothing) before it is loaded.
#pragma once

#include <cstdint>
#include <streambuf>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "yaml-cpp/yaml.h"

namespace strata {

// Deeper than any file the exporter reads (a Puppet summary is 3 levels deep,
// a web config 4).
inline constexpr int kMaxYamlDepth = 32;
// Keeps the scanner's look-ahead under about 4 MB.
inline constexpr int64_t kMaxYamlFlowOpeners = 16384;

// InvalidArgument "refused: <why>", the error of every bound below.
absl::Status YamlRefused(absl::string_view why);
absl::Status YamlNestingTooDeep();
absl::Status YamlTooManyFlowOpeners();

// What an event handler throws at a bound, carrying the error to return.
struct YamlLimit {
  absl::Status status;
};

// Hands `text` to yaml-cpp in small pieces, counting "[" and "{" as they go
// out; past kMaxYamlFlowOpeners it reports end of input and remembers why.
// `text` must outlive the buffer.
class FlowBoundedBuffer : public std::streambuf {
 public:
  explicit FlowBoundedBuffer(absl::string_view text) : rest_(text) {}
  bool exceeded() const { return exceeded_; }

 protected:
  int_type underflow() override;

 private:
  absl::string_view rest_;
  int64_t openers_ = 0;
  bool exceeded_ = false;
};

// Whether the first document of `text` is within kMaxYamlDepth, `max_nodes`
// and kMaxYamlFlowOpeners; InvalidArgument saying which bound it passes
// ("refused: ..."), or what yaml-cpp found wrong ("not valid YAML: ...").
absl::Status CheckYamlShape(absl::string_view text, int64_t max_nodes);

// CheckYamlShape, then YAML::Load: the first document's tree, or the error of
// either (yaml-cpp's exceptions become InvalidArgument "not valid YAML: ...").
absl::StatusOr<YAML::Node> LoadBoundedYaml(absl::string_view text, int64_t max_nodes);

}  // namespace strata
