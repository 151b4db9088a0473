#include "collectors/cgroup/docker_api.h"

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/json_escapes.h"
#include "rapidjson/document.h"
#include "rapidjson/error/en.h"

namespace strata {
namespace {

absl::string_view StringOf(const rapidjson::Value& value) {
  return absl::string_view(value.GetString(), value.GetStringLength());
}

const rapidjson::Value* FindMember(const rapidjson::Value& object, const char* name) {
  rapidjson::Value::ConstMemberIterator it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

absl::Status Invalid(size_t index, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("containers/json: element ", index, ": ", what));
}

// Reads an optional string member: absent or null leave `out` empty.
absl::Status ReadOptionalString(const rapidjson::Value& object, const char* name, size_t index,
                                std::string* out) {
  const rapidjson::Value* value = FindMember(object, name);
  if (value == nullptr || value->IsNull()) return absl::OkStatus();
  if (!value->IsString()) return Invalid(index, absl::StrCat("\"", name, "\" is not a string"));
  *out = std::string(StringOf(*value));
  return absl::OkStatus();
}

// Docker lists a container once under its own name ("/web") and once more per
// legacy link pointing at it ("/proxy/web"); the name without a second '/' is
// the container's own.
absl::Status ReadName(const rapidjson::Value& object, size_t index, std::string* out) {
  const rapidjson::Value* names = FindMember(object, "Names");
  if (names == nullptr || names->IsNull()) return absl::OkStatus();
  if (!names->IsArray()) return Invalid(index, "\"Names\" is not an array");
  absl::string_view chosen;
  bool have_chosen = false;
  for (const rapidjson::Value& name : names->GetArray()) {
    if (!name.IsString()) return Invalid(index, "\"Names\" holds a non-string");
    absl::string_view bare = StringOf(name);
    if (!bare.empty() && bare.front() == '/') bare.remove_prefix(1);
    if (!have_chosen || (chosen.find('/') != absl::string_view::npos &&
                         bare.find('/') == absl::string_view::npos)) {
      chosen = bare;
      have_chosen = true;
    }
  }
  *out = std::string(chosen);
  return absl::OkStatus();
}

absl::Status ReadCreated(const rapidjson::Value& object, size_t index, double* out) {
  const rapidjson::Value* created = FindMember(object, "Created");
  if (created == nullptr || created->IsNull()) return absl::OkStatus();
  if (created->IsInt64()) {
    *out = static_cast<double>(created->GetInt64());
  } else if (created->IsNumber()) {
    *out = created->GetDouble();  // a fraction, or beyond int64
  } else {
    return Invalid(index, "\"Created\" is not a number");
  }
  return absl::OkStatus();
}

absl::Status ReadLabels(const rapidjson::Value& object, size_t index,
                        std::map<std::string, std::string>* out) {
  const rapidjson::Value* labels = FindMember(object, "Labels");
  if (labels == nullptr || labels->IsNull()) return absl::OkStatus();
  if (!labels->IsObject()) return Invalid(index, "\"Labels\" is not an object");
  for (const auto& label : labels->GetObject()) {
    if (!label.value.IsString()) {
      return Invalid(index, absl::StrCat("label \"", StringOf(label.name), "\" is not a string"));
    }
    (*out)[std::string(StringOf(label.name))] = std::string(StringOf(label.value));
  }
  return absl::OkStatus();
}

absl::StatusOr<EngineContainer> ParseContainer(const rapidjson::Value& item, size_t index) {
  if (!item.IsObject()) return Invalid(index, "not an object");
  EngineContainer container;
  const rapidjson::Value* id = FindMember(item, "Id");
  if (id == nullptr) return Invalid(index, "no \"Id\"");
  if (!id->IsString() || id->GetStringLength() == 0) {
    return Invalid(index, "\"Id\" is not a non-empty string");
  }
  container.id = std::string(StringOf(*id));
  absl::Status status = ReadName(item, index, &container.name);
  if (status.ok()) status = ReadOptionalString(item, "Image", index, &container.image);
  if (status.ok()) status = ReadOptionalString(item, "ImageID", index, &container.image_id);
  if (status.ok()) status = ReadCreated(item, index, &container.created_seconds);
  if (status.ok()) status = ReadLabels(item, index, &container.labels);
  if (!status.ok()) return status;
  return container;
}

}  // namespace

absl::StatusOr<std::vector<EngineContainer>> ParseContainerList(absl::string_view json) {
  rapidjson::Document document;
  // Names and labels end up in the exposition, which must be UTF-8.
  if (absl::Status parsed = ParseUntrustedJson(json, document); !parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("containers/json: ", parsed.message()));
  }
  if (!document.IsArray()) return absl::InvalidArgumentError("containers/json: not an array");
  std::vector<EngineContainer> containers;
  containers.reserve(document.Size());
  for (rapidjson::SizeType i = 0; i < document.Size(); ++i) {
    absl::StatusOr<EngineContainer> container = ParseContainer(document[i], i);
    if (!container.ok()) return container.status();
    containers.push_back(*std::move(container));
  }
  return containers;
}

ContainerMetadataCache::ContainerMetadataCache(std::unique_ptr<ContainerLister> lister,
                                               absl::Duration retry_missing, absl::Duration max_age,
                                               std::function<absl::Time()> clock)
    : lister_(std::move(lister)),
      retry_missing_(retry_missing),
      max_age_(max_age),
      clock_(std::move(clock)) {}

absl::Status ContainerMetadataCache::Refresh(const std::set<std::string>& ids) {
  const absl::Time now = clock_();
  const absl::Duration age = now - fetched_at_;
  if (fetched_ && ids == last_ids_ && age < max_age_ && (all_found_ || age < retry_missing_)) {
    return absl::OkStatus();
  }
  ++requests_;
  absl::StatusOr<std::vector<EngineContainer>> containers = lister_->ListContainers();
  if (!containers.ok()) {
    // Keep the old answer for Find, but ask again next time even if the ids
    // are unchanged: the engine may be back.
    fetched_ = false;
    return containers.status();
  }
  by_id_.clear();
  for (EngineContainer& container : *containers) {
    std::string id = container.id;
    by_id_.insert_or_assign(std::move(id), std::move(container));
  }
  last_ids_ = ids;
  fetched_ = true;
  fetched_at_ = now;
  all_found_ = std::all_of(ids.begin(), ids.end(),
                           [this](const std::string& id) { return by_id_.count(id) > 0; });
  return absl::OkStatus();
}

const EngineContainer* ContainerMetadataCache::Find(absl::string_view id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

}  // namespace strata
