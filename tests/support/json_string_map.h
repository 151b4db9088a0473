// The string members of a JSON object (Prometheus' and Alertmanager's label
// and annotation sets) as a map; other members and non-objects give nothing.
#pragma once

#include <map>
#include <string>

#include "rapidjson/document.h"

namespace strata::testing {

inline std::map<std::string, std::string> JsonStringMap(const rapidjson::Value& object) {
  std::map<std::string, std::string> out;
  if (!object.IsObject()) return out;
  for (const auto& member : object.GetObject()) {
    if (member.value.IsString()) out[member.name.GetString()] = member.value.GetString();
  }
  return out;
}

}  // namespace strata::testing
