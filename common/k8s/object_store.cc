#include "common/k8s/object_store.h"

#include <utility>

namespace rmq::k8s {
namespace {

std::string MetaString(const Json& object, const char* field) {
  if (!object.is_object()) return "";
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return "";
  auto value = metadata->find(field);
  return value != metadata->end() && value->is_string() ? value->get<std::string>() : "";
}

}  // namespace

std::string ObjectStore::KeyOf(const Json& object) {
  const std::string name = MetaString(object, "name");
  if (name.empty()) return "";
  const std::string ns = MetaString(object, "namespace");
  return ns.empty() ? name : ns + "/" + name;
}

std::vector<ObjectEvent> ObjectStore::Replace(std::vector<Json> items) {
  std::map<std::string, Json> next;
  for (Json& item : items) {
    std::string key = KeyOf(item);
    if (!key.empty()) next[std::move(key)] = std::move(item);
  }
  std::vector<ObjectEvent> events;
  for (auto& [key, old] : objects_) {
    if (next.count(key) == 0) {
      events.push_back({ObjectEvent::Type::kDeleted, std::move(old), Json()});
    }
  }
  for (const auto& [key, object] : next) {
    auto it = objects_.find(key);
    if (it == objects_.end()) {
      events.push_back({ObjectEvent::Type::kAdded, object, Json()});
    } else if (MetaString(it->second, "resourceVersion") != MetaString(object, "resourceVersion")) {
      events.push_back({ObjectEvent::Type::kUpdated, object, std::move(it->second)});
    }
  }
  objects_ = std::move(next);
  return events;
}

std::optional<ObjectEvent> ObjectStore::Apply(const WatchEvent& event) {
  const std::string key = KeyOf(event.object);
  if (key.empty()) return std::nullopt;
  switch (event.type) {
    case WatchEvent::Type::kAdded:
    case WatchEvent::Type::kModified: {
      auto it = objects_.find(key);
      if (it == objects_.end()) {
        objects_[key] = event.object;
        return ObjectEvent{ObjectEvent::Type::kAdded, event.object, Json()};
      }
      if (MetaString(it->second, "resourceVersion") ==
          MetaString(event.object, "resourceVersion")) {
        return std::nullopt;
      }
      Json old = std::exchange(it->second, event.object);
      return ObjectEvent{ObjectEvent::Type::kUpdated, event.object, std::move(old)};
    }
    case WatchEvent::Type::kDeleted: {
      auto it = objects_.find(key);
      if (it == objects_.end()) return std::nullopt;
      objects_.erase(it);
      return ObjectEvent{ObjectEvent::Type::kDeleted, event.object, Json()};
    }
    case WatchEvent::Type::kBookmark:
    case WatchEvent::Type::kError:
      return std::nullopt;
  }
  return std::nullopt;
}

const Json* ObjectStore::Get(const std::string& key) const {
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : &it->second;
}

std::vector<std::string> ObjectStore::Keys() const {
  std::vector<std::string> keys;
  keys.reserve(objects_.size());
  for (const auto& [key, object] : objects_) keys.push_back(key);
  return keys;
}

}  // namespace rmq::k8s
