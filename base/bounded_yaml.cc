#include "base/bounded_yaml.h"

#include <istream>
#include <string>

#include "absl/strings/str_cat.h"
#include "yaml-cpp/eventhandler.h"

namespace strata {
namespace {

// Counts the nodes and depth of a document without building it; throws
// YamlLimit at the first bound passed.
class YamlShapeHandler : public YAML::EventHandler {
 public:
  explicit YamlShapeHandler(int64_t max_nodes) : max_nodes_(max_nodes) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override { Count(); }
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { Count(); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Count();
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Open();
  }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Open();
  }
  void OnSequenceEnd() override { --depth_; }
  void OnMapEnd() override { --depth_; }

 private:
  void Count() {
    if (++nodes_ > max_nodes_) {
      throw YamlLimit{YamlRefused(absl::StrCat("more than ", max_nodes_, " YAML nodes"))};
    }
  }
  void Open() {
    Count();
    if (++depth_ > kMaxYamlDepth) throw YamlLimit{YamlNestingTooDeep()};
  }

  const int64_t max_nodes_;
  int64_t nodes_ = 0;
  int depth_ = 0;
};

}  // namespace

absl::Status YamlRefused(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("refused: ", why));
}

absl::Status YamlNestingTooDeep() {
  return YamlRefused(absl::StrCat("collections nested deeper than ", kMaxYamlDepth, " levels"));
}

absl::Status YamlTooManyFlowOpeners() {
  return YamlRefused(absl::StrCat("more than ", kMaxYamlFlowOpeners,
                                  " flow collection openers (\"[\" or \"{\") in what was read"));
}

FlowBoundedBuffer::int_type FlowBoundedBuffer::underflow() {
  if (gptr() != nullptr && gptr() < egptr()) return traits_type::to_int_type(*gptr());
  if (rest_.empty() || exceeded_) return traits_type::eof();
  const absl::string_view piece = rest_.substr(0, 256);
  for (char c : piece) openers_ += (c == '[' || c == '{') ? 1 : 0;
  if (openers_ > kMaxYamlFlowOpeners) {
    exceeded_ = true;
    return traits_type::eof();
  }
  rest_.remove_prefix(piece.size());
  char* begin = const_cast<char*>(piece.data());  // only ever read
  setg(begin, begin, begin + piece.size());
  return traits_type::to_int_type(*begin);
}

absl::Status CheckYamlShape(absl::string_view text, int64_t max_nodes) {
  FlowBoundedBuffer buffer(text);
  YamlShapeHandler handler(max_nodes);
  absl::Status status;
  try {
    std::istream in(&buffer);
    YAML::Parser parser(in);
    parser.HandleNextDocument(handler);
  } catch (const YamlLimit& limit) {
    status = limit.status;
  } catch (const YAML::Exception& e) {
    status = absl::InvalidArgumentError(absl::StrCat("not valid YAML: ", e.what()));
  }
  if (buffer.exceeded()) return YamlTooManyFlowOpeners();
  return status;
}

absl::StatusOr<YAML::Node> LoadBoundedYaml(absl::string_view text, int64_t max_nodes) {
  if (absl::Status shape = CheckYamlShape(text, max_nodes); !shape.ok()) return shape;
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("not valid YAML: ", e.what()));
  }
}

}  // namespace strata
