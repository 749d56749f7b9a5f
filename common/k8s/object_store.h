// object_store.h: an informer's cache of one resource type, keyed "namespace/name" (pure).
//
// The informer lists, then watches from the list's resourceVersion. The store turns both into the
// events a controller sees:
//  - Replace() (after every list, including the relist after a watch's 410 Gone) diffs the new
//    list against the cache: kAdded for new keys, kUpdated for objects whose resourceVersion
//    changed, kDeleted (with the last known object) for keys that vanished while the watch was
//    down. So a relist never loses a delete.
//  - Apply() applies one watch event; an event that changes nothing (an ADDED/MODIFIED with the
//    cached resourceVersion, a DELETED of an unknown key) yields no event.
// Thread-compatible.
//
// Example:
//   for (ObjectEvent& e : store.Replace(list_items)) handler(e);
//   if (auto e = store.Apply(watch_event)) handler(*e);
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/k8s/watch_stream.h"

namespace rmq::k8s {

struct ObjectEvent {
  enum class Type { kAdded, kUpdated, kDeleted };
  Type type = Type::kAdded;
  Json object;  // the new object (kDeleted: the last known one)
  Json old;     // kUpdated: the previous object
};

class ObjectStore {
 public:
  // "namespace/name" for namespaced objects, "name" otherwise; "" if the object has no name.
  static std::string KeyOf(const Json& object);

  std::vector<ObjectEvent> Replace(std::vector<Json> items);
  std::optional<ObjectEvent> Apply(const WatchEvent& event);

  const Json* Get(const std::string& key) const;
  size_t size() const { return objects_.size(); }
  std::vector<std::string> Keys() const;

 private:
  std::map<std::string, Json> objects_;
};

}  // namespace rmq::k8s
