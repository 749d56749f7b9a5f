// json_read.h: lenient reads of a pod's JSON for the node agent's pure parts. The API server
// validated the pod, so a field of the wrong type is read as absent, never as an error.
//
// Example (in a .cc: `using json::Field; using json::Str; ...`):
//   for (const Json& c : json::Array(spec, "containers")) Use(json::Str(c, "name"));
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/k8s/watch_stream.h"

namespace rmq::nodeagent::json {

using Json = k8s::Json;

// obj[key], or nullptr when obj is not an object or the key is absent or null.
inline const Json* Field(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

inline std::string Str(const Json& obj, std::string_view key) {
  const Json* v = Field(obj, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

inline std::optional<int64_t> Int(const Json& obj, std::string_view key) {
  const Json* v = Field(obj, key);
  if (v == nullptr || !v->is_number_integer()) return std::nullopt;
  return v->get<int64_t>();
}

inline bool Bool(const Json& obj, std::string_view key) {
  const Json* v = Field(obj, key);
  return v != nullptr && v->is_boolean() && v->get<bool>();
}

// obj[key] when it is an array, else an empty array.
inline const Json& Array(const Json& obj, std::string_view key) {
  static const Json kEmpty = Json::array();  // NOLINT: a constant, trivially destroyed in effect
  const Json* v = Field(obj, key);
  return v != nullptr && v->is_array() ? *v : kEmpty;
}

inline std::vector<std::string> Strings(const Json& obj, std::string_view key) {
  std::vector<std::string> out;
  for (const Json& item : Array(obj, key)) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace rmq::nodeagent::json
